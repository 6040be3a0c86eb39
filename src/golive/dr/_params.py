"""Spec params of the dr check types, and the commands they name as a person types them.

The params live apart from the checks so that the drill, the migration round trip and the
runbook generator can read them without importing the check module (no import circles).
"""

from __future__ import annotations

import re
import shlex
from typing import Literal

from pydantic import Field, field_validator, model_validator

from golive.kit import CommandLine

# One resolver for every command golive runs; re-exported for the dr modules that import it here.
# Taken from its own module, not golive.kit.processes: validating a spec loads no asyncio.
from golive.kit._commands import resolve_command as resolve_command
from golive.kit.check import Params
from golive.spec import Duration

__all__ = [
    "BackupParams",
    "DrillParams",
    "MigrationCommands",
    "MigrationsParams",
    "QueryParams",
    "RestoreEstimateParams",
    "command_text",
    "drill_commands",
    "parse_size",
    "resolve_command",
]

_IDENT = r"^[A-Za-z_][A-Za-z0-9_]*$"


def _command_ok(value: CommandLine | None) -> CommandLine | None:
    if isinstance(value, list) and not value:
        raise ValueError("a command must not be empty")
    if isinstance(value, str) and not value.strip():
        raise ValueError("a command must not be empty")
    return value


def command_text(command: CommandLine) -> str:
    """A command as a person types it."""
    return command if isinstance(command, str) else shlex.join(command)


# -- dr.drill ---------------------------------------------------------------------------------


class QueryParams(Params):
    """A verification query run on the restored copy."""

    name: str = Field(pattern=_IDENT, description="Name used in the report.")
    sql: str = Field(min_length=1, description="SQL; the first column of the first row is compared.")
    expect: str | None = Field(
        default=None,
        description="Expected value as text; when omitted, the value at the backup snapshot of the source.",
    )


class DrillParams(Params):
    """Params of ``dr.drill``."""

    database_url: str | None = Field(
        default=None, description="Source database [default: the environment's database_url]."
    )
    recovery: Literal["scratch", "in_place"] = Field(
        default="scratch",
        description="scratch: restore into a scratch database and start a fresh instance on it (the "
        "service keeps its data); in_place: stop the service, remove its database, restore into the "
        "same place and restart it (only for a SQLite database of a local stack golive starts, inside "
        "the spec's .golive/ directory).",
    )
    start: CommandLine | None = Field(
        default=None,
        description="recovery: scratch: starts a fresh instance on the restored copy; gets "
        "${RESTORED_DATABASE_URL} and ${DRILL_PORT} (a string runs through /bin/sh).",
    )
    stop: CommandLine | None = Field(
        default=None, description="Stops the service under drill (the loss); must return once it is stopped."
    )
    restart: CommandLine | None = Field(
        default=None,
        description="Brings the service under drill back: after the drill (scratch), or as the last step of "
        "the recovery (in_place; must return, golive then waits for ready_url).",
    )
    backup_command: CommandLine | None = Field(
        default=None,
        description="The service's own backup procedure; writes ${BACKUP_FILE} from ${SOURCE_DATABASE_URL} "
        "(PostgreSQL: pass --snapshot=${PG_SNAPSHOT} to pg_dump) [default: pg_dump -Fc / online backup].",
    )
    restore_command: CommandLine | None = Field(
        default=None,
        description="Restores ${BACKUP_FILE} into the empty ${RESTORED_DATABASE_URL} "
        "[default: pg_restore -j ${RESTORE_JOBS} / online backup API].",
    )
    ready_path: str = Field(default="/readyz", description="Readiness path of the restored instance.")
    ready_url: str | None = Field(
        default=None,
        description="Full readiness URL [default: http://127.0.0.1:${DRILL_PORT}<ready_path> (scratch), the "
        "environment's base_url + ready_path (in_place)].",
    )
    ready_timeout: Duration = Field(default=60.0, gt=0)
    jobs: int = Field(default=2, ge=1, le=64, description="pg_restore -j and parallel checksum connections.")
    scratch_server_url: str | None = Field(
        default=None, description="PostgreSQL server for the scratch database [default: the source's]."
    )
    marker_table: str = Field(default="golive_dr_markers", pattern=_IDENT)
    marker_interval: Duration = Field(default=0.1, gt=0, description="One RPO marker row per interval.")
    writes_after_backup: Duration = Field(
        default=1.0, ge=0, description="How long markers keep coming between the backup and the loss."
    )
    queries: list[QueryParams] = Field(default_factory=list)
    exclude_tables: list[str] = Field(default_factory=list, description="Tables not checksummed.")
    alembic_script_location: str | None = Field(
        default=None,
        description="Alembic script location (a path relative to the spec, or package:dir); the restored "
        "copy must be at its head [default: at the source's revision].",
    )
    rto: Duration | None = Field(default=None, description="[default: objectives.rto]")
    rpo: Duration | None = Field(default=None, description="[default: objectives.rpo]")
    stable_for: Duration = Field(
        default=2.0,
        ge=0,
        description="recovery: in_place: how long the recovered service must keep answering ready_url.",
    )
    keep_backup: bool = Field(default=False, description="Keep the drill's backup in the artifacts.")
    env: dict[str, str] = Field(default_factory=dict, description="Extra environment for the commands.")
    runbook: str | None = Field(
        default=None,
        description="DR runbook (from `golive init dr`) that must contain every command the drill runs.",
    )

    @field_validator("start", "stop", "restart", "backup_command", "restore_command")
    @classmethod
    def _non_empty(cls, value: CommandLine | None) -> CommandLine | None:
        return _command_ok(value)

    @model_validator(mode="after")
    def _consistent(self) -> DrillParams:
        names = [q.name for q in self.queries]
        if len(names) != len(set(names)):
            raise ValueError("query names must be unique")
        if self.recovery == "scratch" and self.start is None:
            raise ValueError("recovery: scratch needs start (a fresh instance on the restored copy)")
        if self.recovery == "in_place":
            if self.start is not None:
                raise ValueError("recovery: in_place brings the service back with restart, not start")
            if self.stop is None or self.restart is None:
                raise ValueError("recovery: in_place needs stop (the loss) and restart (the recovery)")
        return self


def drill_commands(params: DrillParams) -> list[tuple[str, CommandLine]]:
    """The commands a drill runs, as written in the spec (the runbook must show these)."""
    named: list[tuple[str, CommandLine | None]] = [
        ("backup", params.backup_command),
        ("stop", params.stop),
        ("restore", params.restore_command),
        ("start", params.start),
        ("restart", params.restart),
    ]
    return [(n, c) for n, c in named if c is not None]


# -- dr.backup --------------------------------------------------------------------------------


class BackupParams(Params):
    """Params of ``dr.backup``."""

    dir: str | None = Field(default=None, description="Directory holding the backups (relative to the spec).")
    pattern: str = Field(default="*", description="Glob of backup files inside dir.")
    list_command: CommandLine | None = Field(
        default=None, description="Prints backup paths, one per line (instead of dir)."
    )
    max_age: Duration | None = Field(default=None, description="[default: objectives.rpo]")
    min_size: int = Field(default=1, ge=0, description="Bytes; smaller backups count as empty.")
    verify: bool = Field(
        default=True, description="Read the whole newest backup (pg_restore / integrity_check)."
    )
    verify_command: CommandLine | None = Field(
        default=None, description="Custom readability test, gets ${BACKUP_FILE}; exit 0 = readable."
    )
    schedule: str | None = Field(
        default=None, description="How often backups run (e.g. cron `*/5 * * * *`); shown in the DR runbook."
    )

    @model_validator(mode="after")
    def _one_source(self) -> BackupParams:
        if (self.dir is None) == (self.list_command is None):
            raise ValueError("give exactly one of dir or list_command")
        _command_ok(self.list_command)
        _command_ok(self.verify_command)
        return self


# -- db.migrations ----------------------------------------------------------------------------


class MigrationCommands(Params):
    """Commands of a migration tool; each runs with DATABASE_URL set to the scratch database."""

    upgrade: CommandLine
    downgrade: CommandLine
    env: dict[str, str] = Field(default_factory=dict)
    cwd: str | None = None


class MigrationsParams(Params):
    """Params of ``db.migrations``."""

    alembic_script_location: str | None = Field(
        default=None, description="Alembic scripts (path relative to the spec, or package:dir)."
    )
    commands: MigrationCommands | None = Field(default=None, description="Any other migration tool.")
    database: str = Field(
        default="sqlite",
        pattern=r"^(sqlite|postgresql)$",
        description="Kind of scratch database: sqlite, or postgresql on server_url.",
    )
    server_url: str | None = Field(
        default=None, description="PostgreSQL server for the scratch database [default: environment's]."
    )
    migrations_dir: str | None = Field(
        default=None, description="Migration scripts to lint [default: the Alembic versions directory]."
    )
    code_paths: list[str] = Field(
        default_factory=list, description="Source directories searched for columns a migration drops."
    )
    large_tables: list[str] = Field(
        default_factory=list, description="Tables big enough that a locking migration is flagged."
    )
    fail_on_warnings: bool = False

    @model_validator(mode="after")
    def _one_tool(self) -> MigrationsParams:
        if (self.alembic_script_location is None) == (self.commands is None):
            raise ValueError("give exactly one of alembic_script_location or commands")
        return self


# -- dr.restore_time_estimate -----------------------------------------------------------------

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?i?B)?\s*$", re.IGNORECASE)
_UNITS = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}


def parse_size(value: object) -> float:
    """``120GB``, ``500 MiB`` or a number of bytes."""
    if isinstance(value, bool):
        raise ValueError("expected a size such as 120GB")
    if isinstance(value, int | float):
        return float(value)
    match = _SIZE.match(str(value))
    if not match:
        raise ValueError(f"invalid size {value!r}: use e.g. 500MB, 120GB, 1.5TiB or bytes")
    return float(match.group(1)) * _UNITS[(match.group(2) or "").lower()]


class RestoreEstimateParams(Params):
    """Params of ``dr.restore_time_estimate``."""

    drill: str | None = Field(
        default=None,
        description="Criterion id of the dr.drill whose measurements are used (it must be in needs).",
    )
    restore_throughput: str | float | None = Field(
        default=None, description="Bytes per second (or e.g. 80MB), instead of a drill's measurement."
    )
    overhead: Duration | None = Field(
        default=None, description="Time besides the restore (stop, start, ready) [default: from the drill]."
    )
    production_size: str | float | None = Field(default=None, description="e.g. 120GB")
    production_database_url: str | None = Field(default=None, description="Queried for its size instead.")
    safety_factor: float = Field(default=1.0, ge=1.0, description="Multiplies the restore time.")
    min_sample: str = Field(
        default="50MB", description="Smallest drill restore whose throughput is extrapolated."
    )
    rto: Duration | None = Field(default=None, description="[default: objectives.rto]")

    @model_validator(mode="after")
    def _inputs(self) -> RestoreEstimateParams:
        if self.drill is None and self.restore_throughput is None:
            raise ValueError("give drill, restore_throughput, or both")
        if (self.production_size is None) == (self.production_database_url is None):
            raise ValueError("give exactly one of production_size or production_database_url")
        for v in (self.restore_throughput, self.production_size):
            if v is not None and "${" not in str(v):  # references are checked when resolved
                parse_size(v)
        return self
