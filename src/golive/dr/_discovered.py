"""The database discovery found, as the DR runbook's backup and restore commands.

Without a ``dr.drill`` criterion the spec says nothing about the database; discovery does
(compose, ``.env``, the app's settings). The commands reach it only through the variables
the service itself reads (``${DATABASE_URL}``, or ``${..._HOST}``/``${..._USER}``...), so no
host, user or password is ever written into the runbook.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from golive.discover.facts import ServiceFacts

__all__ = ["DiscoveredDatabase", "discovered_database"]

_ENV_FILES = (".env", ".env.example", ".env.sample", ".env.template")
_KEY = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=", re.MULTILINE)


@dataclass(frozen=True, kw_only=True)
class DiscoveredDatabase:
    """What the runbook says about the discovered database."""

    kind: str
    #: Where discovery found it (``compose.yaml (compose service 'db')``).
    source: str
    #: ``pg_dump``'s connection options, as variable references.
    connect: str
    #: The variables those options read.
    variables: tuple[str, ...]
    compose_service: str | None
    #: The variable holding the password (passed as ``PGPASSWORD``), when there is one.
    password_env: str | None


def _env_keys(root: Path) -> set[str]:
    keys: set[str] = set()
    for name in _ENV_FILES:
        try:
            keys |= set(_KEY.findall((root / name).read_text(encoding="utf-8", errors="replace")))
        except OSError:
            continue
    return keys


def _host_style(env: str, keys: set[str]) -> tuple[str, tuple[str, ...], str | None]:
    """Options from a host variable and its siblings (POSTGRES_SERVER → POSTGRES_USER, ...)."""
    prefix = re.sub(r"(HOST|SERVER|HOSTNAME)$", "", env)
    options = [f'--host="${{{env}}}"']
    used = [env]
    for option, suffixes in (
        ("port", ("PORT",)),
        ("username", ("USER", "USERNAME")),
        ("dbname", ("DB", "NAME")),
    ):
        key = next((prefix + s for s in suffixes if prefix + s in keys), None)
        if key:
            options.append(f'--{option}="${{{key}}}"')
            used.append(key)
    password = next((prefix + s for s in ("PASSWORD", "PASS") if prefix + s in keys), None)
    return " ".join(options), tuple(used), password


def discovered_database(facts: ServiceFacts | None) -> DiscoveredDatabase | None:
    """The discovered PostgreSQL database, or None (no facts, no database, another kind)."""
    if facts is None or facts.database is None:
        return None
    db = facts.database.value
    if db.kind not in ("postgresql", "postgres"):
        return None
    env = db.url_env or "DATABASE_URL"
    variables: tuple[str, ...]
    if re.search(r"URL|URI|DSN", env, re.IGNORECASE):
        # As the drill does: a SQLAlchemy driver suffix (+psycopg) is not libpq's.
        connect, variables, password = f'--dbname="${{{env}/+psycopg/}}"', (env,), None
    else:
        connect, variables, password = _host_style(env, _env_keys(facts.root))
    return DiscoveredDatabase(
        kind="PostgreSQL",
        source=str(facts.database.source),
        connect=connect,
        variables=variables,
        compose_service=db.compose_service,
        password_env=password,
    )
