"""Keeping a migration round trip on golive's scratch database, and proving it stayed there.

Two defences besides the connection guard of :mod:`golive.dr._alembic_child`:

- :func:`url_overrides`: the environment variables applications usually build their database
  URL from point at the scratch database (or, for a SQLite scratch database that no
  PostgreSQL variable can name, at a closed port), so that settings read from the environment
  cannot lead a migration to the application's own database;
- :class:`Watch`: the ``alembic_version`` of every database golive can see that belongs to
  the project (the environment's ``database_url``, and the databases of the scratch server
  whose revision is one of the project's) is read before and after every phase; a change
  means a migration ran somewhere golive did not create, and the round trip stops.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from golive.dr import _postgres as pg
from golive.dr._urls import DbKind, DbUrl, parse_db_url
from golive.dr.base import DrError

__all__ = ["URL_VARIABLES", "Watch", "url_overrides"]

#: Variables that hold a whole database URL in common frameworks and templates.
URL_VARIABLES = (
    "DATABASE_URL",
    "DATABASE_URI",
    "DB_URL",
    "SQLALCHEMY_DATABASE_URI",
    "SQLALCHEMY_DATABASE_URL",
    "SQLALCHEMY_URL",
    "ALEMBIC_DATABASE_URL",
    "POSTGRES_URL",
    "POSTGRES_DSN",
    "PG_DSN",
)
_HOST = ("POSTGRES_SERVER", "POSTGRES_HOST", "PGHOST", "DB_HOST", "DATABASE_HOST", "MYSQL_HOST")
_PORT = ("POSTGRES_PORT", "PGPORT", "DB_PORT", "DATABASE_PORT", "MYSQL_PORT")
_NAME = ("POSTGRES_DB", "POSTGRES_DATABASE", "PGDATABASE", "DB_NAME", "DATABASE_NAME", "MYSQL_DATABASE")
_USER = ("POSTGRES_USER", "PGUSER", "DB_USER", "DATABASE_USER")
_PASSWORD = ("POSTGRES_PASSWORD", "PGPASSWORD", "DB_PASSWORD", "DATABASE_PASSWORD")


def url_overrides(scratch: DbUrl) -> dict[str, str]:
    """The usual URL variables, all naming ``scratch`` (the child's environment on top of golive's)."""
    env = dict.fromkeys(URL_VARIABLES, scratch.text)
    if scratch.kind is DbKind.POSTGRESQL:
        url = scratch.url
        parts = {
            _HOST: url.host or "127.0.0.1",
            _PORT: str(url.port or 5432),
            _NAME: scratch.database,
            _USER: url.username or "",
            _PASSWORD: str(url.password or ""),
        }
    else:
        # No host/port/name triple can name a SQLite file: a URL built from them points at a
        # closed local port and fails to connect, instead of reaching the application's database.
        parts = {_HOST: "127.0.0.1", _PORT: "1", _NAME: "golive_scratch_is_sqlite", _USER: "", _PASSWORD: ""}
    for names, value in parts.items():
        env.update(dict.fromkeys(names, value))
    env["MYSQL_HOST"], env["MYSQL_PORT"] = "127.0.0.1", "1"
    return env


def _version_pg(url: DbUrl) -> str | None:
    """``alembic_version`` of a PostgreSQL database (``""`` for none); None when unreadable."""
    try:
        with pg.connect(url) as conn:
            found = conn.execute("SELECT to_regclass('alembic_version') IS NOT NULL").fetchone()
            if not found or not found[0]:
                return ""
            rows = conn.execute("SELECT version_num FROM alembic_version ORDER BY 1").fetchall()
    except (DrError, psycopg.Error):
        return None
    return ",".join(str(r[0]) for r in rows)


def _version_sqlite(path: Path) -> str | None:
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error:
        return None
    try:
        rows = conn.execute("SELECT version_num FROM alembic_version ORDER BY 1").fetchall()
    except sqlite3.Error as exc:
        # No table is a revision ("none"); a busy or unreadable file is no reading at all.
        return "" if "no such table" in str(exc) else None
    finally:
        conn.close()
    return ",".join(str(r[0]) for r in rows)


def _server_databases(server: DbUrl) -> list[str]:
    with contextlib.suppress(DrError, psycopg.Error), pg.connect(server) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate "
            "AND datname NOT LIKE %s ORDER BY 1",
            (pg.SCRATCH_PREFIX.replace("_", r"\_") + "%",),
        ).fetchall()
        return [str(r[0]) for r in rows]
    return []


@dataclass
class Watch:
    """The project's databases golive can see, and their ``alembic_version`` before the round trip."""

    databases: dict[str, DbUrl] = field(default_factory=dict)
    before: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def _read(url: DbUrl) -> str | None:
        return _version_sqlite(url.sqlite_path) if url.kind is DbKind.SQLITE else _version_pg(url)

    @classmethod
    def start(cls, app: DbUrl | None, server: DbUrl | None, revisions: Collection[str]) -> Watch:
        """Read the versions to watch: ``app`` always, the server's databases at a project revision."""
        watch = cls()
        if app is not None and not (app.kind is DbKind.SQLITE and app.database in ("", ":memory:")):
            version = cls._read(app)
            if version is not None:
                watch.databases[app.display], watch.before[app.display] = app, version
        if server is not None:
            for name in _server_databases(server):
                url = server.with_database(name)
                if url.display in watch.databases:
                    continue
                version = _version_pg(url)
                if version and set(version.split(",")) <= set(revisions):
                    watch.databases[url.display], watch.before[url.display] = url, version
        return watch

    def to_json(self) -> dict[str, dict[str, str]]:
        """What the migration process needs to watch the same databases (URLs with passwords)."""
        return {
            label: {"url": url.text, "before": self.before[label]} for label, url in self.databases.items()
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Mapping[str, str]]) -> Watch:
        """The watch :meth:`to_json` described."""
        watch = cls()
        for label, item in data.items():
            watch.databases[label], watch.before[label] = parse_db_url(item["url"]), item["before"]
        return watch

    def changes(self) -> list[str]:
        """``<database>: alembic_version A -> B`` for every watched database whose revision moved."""
        out = []
        for label, url in self.databases.items():
            now = self._read(url)
            if now is not None and now != self.before[label]:
                out.append(f"{label}: alembic_version {self.before[label] or 'none'} -> {now or 'none'}")
        return out

    @property
    def summary(self) -> Mapping[str, str]:
        """What is watched, for the evidence."""
        return dict(self.before)
