"""The DR runbook ``golive init dr`` writes: the drill's own commands, in recovery order."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import jinja2

from golive.discover.facts import ServiceFacts
from golive.dr._discovered import discovered_database
from golive.dr._params import (
    BackupParams,
    DrillParams,
    MigrationsParams,
    RestoreEstimateParams,
    command_text,
)
from golive.kit.processes import CommandLine
from golive.spec import Environment, Spec, format_duration

__all__ = ["DEFAULT_PATH", "render_dr_runbook"]

DEFAULT_PATH = "docs/DR_RUNBOOK.md"
"""Where ``golive init dr`` writes the runbook, relative to the spec."""

_PG_DEFAULTS = {
    "backup": 'pg_dump --format=custom --file="$BACKUP_FILE" --dbname="${SOURCE_DATABASE_URL/+psycopg/}"',
    "create": (
        'psql "${SOURCE_DATABASE_URL/+psycopg/}" -c "CREATE DATABASE restored_$(date +%Y%m%d%H%M) '
        'TEMPLATE template0"\nexport RESTORED_DATABASE_URL="<server URL>/restored_<timestamp>"'
    ),
    "restore": (
        'pg_restore --jobs="$RESTORE_JOBS" --no-owner --no-privileges --exit-on-error '
        '--dbname="${RESTORED_DATABASE_URL/+psycopg/}" "$BACKUP_FILE"'
    ),
}
_SQLITE_DEFAULTS = {
    "backup": 'sqlite3 "${SOURCE_DATABASE_URL#sqlite:///}" ".backup \'$BACKUP_FILE\'"',
    "create": 'export RESTORED_DATABASE_URL="sqlite:///$PWD/restored-$(date +%Y%m%d%H%M).db"',
    "restore": 'sqlite3 "${RESTORED_DATABASE_URL#sqlite:///}" ".restore \'$BACKUP_FILE\'"',
}


@dataclass(frozen=True, kw_only=True)
class _Query:
    name: str
    sql: str
    expect: str | None


def _dur(value: float | None) -> str:
    return "not set" if value is None else format_duration(value)


def _cmd(value: CommandLine | None, default: str) -> str:
    return command_text(value) if value is not None else default


def _drill(cid: str, title: str, p: DrillParams, spec: Spec, env: Environment) -> dict[str, Any]:
    source = p.database_url or env.database_url or "(the environment's database_url)"
    kind = "SQLite" if source.startswith("sqlite") else "PostgreSQL"
    defaults = _SQLITE_DEFAULTS if kind == "SQLite" else _PG_DEFAULTS
    rto = p.rto if p.rto is not None else spec.objectives.rto
    rpo = p.rpo if p.rpo is not None else spec.objectives.rpo
    return {
        "id": cid,
        "title": title,
        "kind": kind,
        "source": source,
        "jobs": p.jobs,
        "backup": _cmd(p.backup_command, defaults["backup"]),
        "stop": _cmd(p.stop, "# no stop command in the spec: stop the failed instance with your platform"),
        "create": defaults["create"],
        "create_hint": "the drill creates golive_dr_<random> and drops it afterwards"
        if kind == "PostgreSQL"
        else "a new file next to the old one",
        "restore": _cmd(p.restore_command, defaults["restore"]),
        "in_place": p.recovery == "in_place",
        "start": command_text(p.start) if p.start is not None else "",
        "env": sorted(p.env.items()),
        "ready_url": p.ready_url
        or (
            (
                (env.base_url or "$BASE_URL").rstrip("/")
                if p.recovery == "in_place"
                else "http://127.0.0.1:$DRILL_PORT"
            )
            + p.ready_path
        ),
        "ready_timeout": _dur(p.ready_timeout),
        "restart": command_text(p.restart) if p.restart is not None else "",
        "exclude": ", ".join(p.exclude_tables),
        "queries": [_Query(name=q.name, sql=q.sql, expect=q.expect) for q in p.queries],
        "head": bool(p.alembic_script_location),
        "head_source": p.alembic_script_location or "",
        "rto": _dur(rto),
        "rpo": _dur(rpo),
    }


def render_dr_runbook(spec: Spec, env_name: str, facts: ServiceFacts | None = None) -> str:
    """The runbook's Markdown for ``spec`` in environment ``env_name``.

    With ``facts``, a database discovery found (compose, ``.env``) gets its backup and
    restore commands even before the spec has a drill for it.
    """
    env = spec.environments[env_name]
    drills, backups, migrations, estimates = [], [], [], []
    for c in spec.criteria:
        p = c.check.params
        if isinstance(p, DrillParams):
            drills.append(_drill(c.id, c.title, p, spec, env))
        elif isinstance(p, BackupParams):
            max_age = p.max_age if p.max_age is not None else spec.objectives.rpo
            where = f"`{p.dir}/{p.pattern}`" if p.dir else f"listed by `{command_text(p.list_command or '')}`"
            backups.append(
                {
                    "id": c.id,
                    "where": where,
                    "max_age": _dur(max_age),
                    "schedule": p.schedule,
                    "how": "custom verify command"
                    if p.verify_command
                    else "read completely with pg_restore, or SQLite integrity_check",
                }
            )
        elif isinstance(p, MigrationsParams):
            migrations.append({"id": c.id})
        elif isinstance(p, RestoreEstimateParams):
            estimates.append({"id": c.id, "size": str(p.production_size) if p.production_size else ""})
    loader = jinja2.Environment(
        loader=jinja2.PackageLoader("golive.dr", "templates"),
        autoescape=False,  # Markdown, not HTML  # noqa: S701
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    text = loader.get_template("dr_runbook.md.j2").render(
        service=spec.service,
        spec_name=spec.path.name,
        spec_dir=".",
        env_name=env_name,
        rto=_dur(spec.objectives.rto),
        rpo=_dur(spec.objectives.rpo),
        drills=drills,
        backups=backups,
        migrations=migrations,
        estimates=estimates,
        database=discovered_database(facts) if not drills else None,
        owner=spec.service.owner or "the owning team",
        env_vars=sorted(env.vars.items()),
        oncall=env.vars.get("oncall", ""),
        escalation=env.vars.get("escalation", "the incident commander"),
    )
    # Blank-line runs left by template conditionals.
    return re.sub(r"\n{3,}", "\n\n", text).rstrip() + "\n"
