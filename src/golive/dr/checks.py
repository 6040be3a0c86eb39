"""Check types of the dr family: ``dr.backup``, ``dr.drill``, ``db.migrations``, ``dr.restore_time_estimate``.

``dr.drill`` runs a whole recovery (backup under writes, loss, restore into a scratch database,
a fresh instance, verification) and measures RTO and RPO; the others check that backups exist
and are readable, that migrations go up and down cleanly, and what the measured restore speed
means for the production database.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import ClassVar

from pydantic import Field, field_validator, model_validator

from golive.checks._common import excerpt
from golive.checks.base import Check, CheckContext, CheckError, Params
from golive.dr import _backup, _migrations
from golive.dr._drill import (
    DrillConfig,
    DrillReport,
    VerifyQuery,
    load_report,
    render_timeline,
    run_drill,
    write_artifacts,
)
from golive.dr._urls import DbKind, DbUrl, parse_db_url
from golive.dr.base import DrError
from golive.results import Evidence, Measurement, Outcome, Status
from golive.spec import Duration

__all__ = [
    "CHECK_TYPES",
    "BackupCheck",
    "BackupParams",
    "DrillCheck",
    "DrillParams",
    "MigrationsCheck",
    "MigrationsParams",
    "QueryParams",
    "RestoreEstimateCheck",
    "RestoreEstimateParams",
]

CommandLine = list[str] | str
_IDENT = r"^[A-Za-z_][A-Za-z0-9_]*$"


def _command_ok(value: CommandLine | None) -> CommandLine | None:
    if isinstance(value, list) and not value:
        raise ValueError("a command must not be empty")
    if isinstance(value, str) and not value.strip():
        raise ValueError("a command must not be empty")
    return value


def _db_url(ctx: CheckContext, explicit: str | None) -> DbUrl:
    text = explicit or ctx.environment.database_url
    if not text:
        raise CheckError("no database: set database_url in the check or in the environment")
    try:
        url = parse_db_url(ctx.resolve(text))
    except DrError as exc:
        raise CheckError(str(exc)) from None
    if url.kind is DbKind.SQLITE and url.database and url.database != ":memory:":
        # Relative SQLite paths are relative to the spec, like every other path in it.
        url = url.with_database(str(ctx.path(url.database)))
    return url


def _reproducer(ctx: CheckContext) -> str:
    return f"golive review {ctx.workdir} --env {ctx.environment_name} --only {ctx.criterion_id}"


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
    start: CommandLine = Field(
        description="Starts a fresh instance on the restored copy; gets ${RESTORED_DATABASE_URL} and "
        "${DRILL_PORT} (a string runs through /bin/sh).",
    )
    stop: CommandLine | None = Field(default=None, description="Stops the instance under drill (the loss).")
    restart: CommandLine | None = Field(
        default=None, description="Brings the instance under drill back after the drill."
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
        default=None, description="Full readiness URL [default: http://127.0.0.1:${DRILL_PORT}<ready_path>]."
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
    def _unique_queries(self) -> DrillParams:
        names = [q.name for q in self.queries]
        if len(names) != len(set(names)):
            raise ValueError("query names must be unique")
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


def command_text(command: CommandLine) -> str:
    """A command as a person types it."""
    import shlex

    return command if isinstance(command, str) else shlex.join(command)


class DrillCheck:
    """A full recovery drill in a scratch target; measures RTO and RPO."""

    name: ClassVar[str] = "dr.drill"
    description: ClassVar[str] = (
        "Back up under writes, lose the service, restore into a scratch database, start it, "
        "verify checksums/queries/migrations, measure RTO and RPO."
    )
    Params: ClassVar[type[DrillParams]] = DrillParams
    #: The drill stops the service and writes to its database: nothing else runs meanwhile.
    exclusive: ClassVar[bool] = True

    async def run(self, params: DrillParams, ctx: CheckContext) -> Outcome:
        """Run the drill and judge it against the objectives."""
        source = _db_url(ctx, params.database_url)
        scratch = _db_url(ctx, params.scratch_server_url) if params.scratch_server_url else None
        head = None
        if params.alembic_script_location:
            head = await asyncio.to_thread(
                _migrations.alembic_head, params.alembic_script_location, ctx.workdir
            )
        stale = self._runbook_problems(params, ctx)
        cfg = DrillConfig(
            source=source,
            scratch_server=scratch,
            start=params.start,
            stop=params.stop,
            restart=params.restart,
            backup_command=params.backup_command,
            restore_command=params.restore_command,
            ready_url=params.ready_url or "http://127.0.0.1:${DRILL_PORT}" + params.ready_path,
            ready_timeout=params.ready_timeout,
            jobs=params.jobs,
            marker_table=params.marker_table,
            marker_interval=params.marker_interval,
            writes_after_backup=params.writes_after_backup,
            queries=tuple(VerifyQuery(name=q.name, sql=q.sql, expect=q.expect) for q in params.queries),
            exclude_tables=tuple(params.exclude_tables),
            alembic_head=head,
            rto=params.rto if params.rto is not None else ctx.objectives.rto,
            rpo=params.rpo if params.rpo is not None else ctx.objectives.rpo,
            keep_backup=params.keep_backup,
            env=params.env,
        )
        report = await run_drill(cfg, ctx)
        artifacts = await asyncio.to_thread(write_artifacts, report, ctx.artifacts_dir)
        return drill_outcome(report, stale, artifacts, _reproducer(ctx))

    @staticmethod
    def _runbook_problems(params: DrillParams, ctx: CheckContext) -> list[str]:
        if not params.runbook:
            return []
        path = ctx.path(params.runbook)
        if not path.is_file():
            return [f"DR runbook {params.runbook} does not exist (write it with `golive init dr`)"]
        # Whitespace-insensitive: the runbook indents commands inside numbered steps.
        text = " ".join(path.read_text(errors="replace").split())
        missing = [n for n, c in drill_commands(params) if " ".join(command_text(c).split()) not in text]
        if missing:
            return [
                f"DR runbook {params.runbook} does not show the drill's {', '.join(missing)} command(s): "
                "regenerate it with `golive init dr`"
            ]
        return []


def drill_outcome(
    report: DrillReport, stale: list[str], artifacts: tuple[str, ...], reproducer: str
) -> Outcome:
    """Judge a drill report: pass only with a verified restore within the objectives."""
    measurements = []
    if report.rto_s is not None:
        target = f"<= {report.rto_target_s:g}s" if report.rto_target_s is not None else None
        measurements.append(Measurement(name="rto", value=round(report.rto_s, 3), unit="s", target=target))
    if report.rpo_s is not None:
        target = f"<= {report.rpo_target_s:g}s" if report.rpo_target_s is not None else None
        measurements.append(Measurement(name="rpo", value=round(report.rpo_s, 3), unit="s", target=target))
    for s in report.steps:
        if s.name in ("backup", "restore"):
            measurements.append(Measurement(name=f"{s.name}_time", value=round(s.duration_s, 3), unit="s"))
    measurements += [
        Measurement(name="verify_time", value=round(report.verify_s, 3), unit="s"),
        Measurement(name="backup_size", value=report.backup_bytes, unit="B"),
        Measurement(name="database_size", value=report.database_bytes, unit="B"),
        Measurement(name="restore_throughput", value=round(report.restore_bytes_per_s / 1e6, 3), unit="MB/s"),
        Measurement(name="rows_verified", value=report.rows),
    ]
    problems = [*report.problems, *stale]
    timeline = render_timeline(report)
    findings = "\n".join([*(f"✗ {p}" for p in problems), *(f"note: {n}" for n in report.notes)])
    evidence = Evidence(
        excerpt=excerpt(timeline + ("\n\n" + findings if findings else ""), 6000), artifacts=artifacts
    )
    rto = "n/a" if report.rto_s is None else f"{report.rto_s:.1f}s"
    rpo = "n/a" if report.rpo_s is None else f"{report.rpo_s:.1f}s"
    objectives = (
        f"RTO {rto} (objective {_obj(report.rto_target_s)}), "
        f"RPO {rpo} (objective {_obj(report.rpo_target_s)})"
    )
    if problems:
        return Outcome(
            status=Status.FAIL,
            summary=f"{problems[0]}"
            + (f" (+{len(problems) - 1} more)" if len(problems) > 1 else "")
            + f"; {objectives}",
            measurements=tuple(measurements),
            evidence=evidence,
            reproducer=reproducer,
        )
    return Outcome(
        status=Status.PASS,
        summary=f"restored {report.tables} tables / {report.rows} rows, checksums equal to the backup "
        f"snapshot; {objectives}",
        measurements=tuple(measurements),
        evidence=evidence,
        reproducer=reproducer,
    )


def _obj(value: float | None) -> str:
    return "none" if value is None else f"{value:g}s"


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


class BackupCheck:
    """The newest backup is fresh, not empty and readable."""

    name: ClassVar[str] = "dr.backup"
    description: ClassVar[str] = (
        "The newest backup is younger than the RPO objective, not empty and readable "
        "(pg_restore / SQLite integrity check)."
    )
    Params: ClassVar[type[BackupParams]] = BackupParams

    async def run(self, params: BackupParams, ctx: CheckContext) -> Outcome:
        """Find the newest backup and test it."""
        if params.list_command is not None:
            cmd = params.list_command
            argv = ctx.resolve(cmd) if isinstance(cmd, str) else [ctx.resolve(a) for a in cmd]
            result = await ctx.run(argv, shell=isinstance(cmd, str))
            if result.returncode != 0 or result.timed_out:
                raise CheckError(f"list_command failed: {excerpt(result.stderr or result.stdout, 500)}")
            candidates = [ctx.path(line.strip()) for line in result.stdout.splitlines() if line.strip()]
            where = "list_command output"
        else:
            assert params.dir is not None
            folder = ctx.path(params.dir)
            candidates = sorted(folder.glob(params.pattern)) if folder.is_dir() else []
            where = f"{params.dir}/{params.pattern}"
        max_age = params.max_age if params.max_age is not None else ctx.objectives.rpo
        found = await asyncio.to_thread(_backup.newest, candidates)
        if found is None:
            return Outcome(
                status=Status.FAIL, summary=f"no backup found in {where}", reproducer=_reproducer(ctx)
            )
        path, mtime = found
        age = time.time() - mtime
        size = _backup.size(path)
        measurements = [
            Measurement(
                name="age",
                value=round(age, 1),
                unit="s",
                target=f"<= {max_age:g}s" if max_age is not None else None,
            ),
            Measurement(name="size", value=size, unit="B", target=f">= {params.min_size}"),
        ]
        problems = []
        if max_age is not None and age > max_age:
            problems.append(f"newest backup {path.name} is {age:.0f}s old (max {max_age:g}s)")
        if size < params.min_size:
            problems.append(f"newest backup {path.name} has {size} bytes (min {params.min_size})")
        detail = ""
        if not problems and (params.verify or params.verify_command):
            if params.verify_command is not None:
                cmd = params.verify_command
                env = {"BACKUP_FILE": str(path)}
                from dataclasses import replace

                rctx = replace(ctx, environ={**ctx.environ, **env})
                argv2 = rctx.resolve(cmd) if isinstance(cmd, str) else [rctx.resolve(a) for a in cmd]
                result = await ctx.run(argv2, shell=isinstance(cmd, str), env=env)
                detail = excerpt(result.stdout + "\n" + result.stderr, 1500)
                if result.returncode != 0 or result.timed_out:
                    problems.append(
                        f"verify_command says {path.name} is unreadable (exit {result.returncode})"
                    )
            else:
                verdict = await _backup.verify(path, ctx)
                detail = verdict.detail
                measurements.append(Measurement(name="tables", value=verdict.tables))
                if not verdict.ok:
                    problems.append(f"{path.name} is not readable: {verdict.reason}")
                elif verdict.tables == 0:
                    problems.append(f"{path.name} contains no table")
        evidence = Evidence(
            excerpt=excerpt(f"newest: {path} ({size} bytes, {age:.0f}s old)\n{detail}"), artifacts=()
        )
        if problems:
            return Outcome(
                status=Status.FAIL,
                summary="; ".join(problems),
                measurements=tuple(measurements),
                evidence=evidence,
                reproducer=_reproducer(ctx),
            )
        return Outcome(
            status=Status.PASS,
            summary=f"newest backup {path.name} is {age:.0f}s old"
            + (f" (max {max_age:g}s)" if max_age is not None else " (no RPO objective)")
            + f", {size} bytes"
            + (", readable" if params.verify or params.verify_command else ""),
            measurements=tuple(measurements),
            evidence=evidence,
            reproducer=_reproducer(ctx),
        )


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


class MigrationsCheck:
    """upgrade head → downgrade base → upgrade head on a scratch database; risky migrations flagged."""

    name: ClassVar[str] = "db.migrations"
    description: ClassVar[str] = (
        "On a scratch database, migrations go up to head, down to base and up again without error; "
        "table-locking migrations and dropped columns still used by the code are flagged."
    )
    Params: ClassVar[type[MigrationsParams]] = MigrationsParams

    async def run(self, params: MigrationsParams, ctx: CheckContext) -> Outcome:
        """Run the round trip and the lint."""
        server = None
        if params.database == "postgresql":
            server = _db_url(ctx, params.server_url)
        result = await _migrations.round_trip(params, ctx, server)
        lint_dir = params.migrations_dir or result.versions_dir
        warnings: list[str] = []
        if lint_dir:
            warnings = await asyncio.to_thread(
                _migrations.lint,
                ctx.path(lint_dir),
                [ctx.path(p) for p in params.code_paths],
                set(params.large_tables),
            )
        lines = [
            f"{s.duration_s:6.2f}s  {'ok' if s.ok else '!!'}  {s.name}: {s.detail}" for s in result.steps
        ]
        lines += [f"warning: {w}" for w in warnings]
        evidence = Evidence(excerpt=excerpt("\n".join(lines), 6000))
        measurements = (
            Measurement(
                name="round_trip_time", value=round(sum(s.duration_s for s in result.steps), 3), unit="s"
            ),
            Measurement(name="warnings", value=len(warnings)),
        )
        failed = [s for s in result.steps if not s.ok]
        if result.schema_drift:
            then = f"; then {failed[0].name} failed" if failed else ""
            return Outcome(
                status=Status.FAIL,
                summary=result.schema_drift + then,
                measurements=measurements,
                evidence=evidence,
                reproducer=_reproducer(ctx),
            )
        if failed:
            return Outcome(
                status=Status.FAIL,
                summary=f"{failed[0].name} failed: {failed[0].detail}",
                measurements=measurements,
                evidence=evidence,
                reproducer=_reproducer(ctx),
            )
        if warnings and params.fail_on_warnings:
            return Outcome(
                status=Status.FAIL,
                summary=f"{len(warnings)} risky migration(s): {warnings[0]}",
                measurements=measurements,
                evidence=evidence,
                reproducer=_reproducer(ctx),
            )
        summary = (
            f"upgrade head → downgrade base → upgrade head ran cleanly on a scratch {params.database} "
            "database"
        )
        if result.head:
            summary += f" (head {result.head})"
        if warnings:
            summary += f"; {len(warnings)} warning(s): {warnings[0]}"
        return Outcome(
            status=Status.PASS,
            summary=summary,
            measurements=measurements,
            evidence=evidence,
            reproducer=_reproducer(ctx),
        )


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


def _size(ctx: CheckContext, value: str | float | None) -> float:
    try:
        return parse_size(ctx.resolve(value) if isinstance(value, str) else value)
    except ValueError as exc:
        raise CheckError(str(exc)) from None


class RestoreEstimateParams(Params):
    """Params of ``dr.restore_time_estimate``."""

    drill: str | None = Field(
        default=None,
        description="Criterion id of the dr.drill whose measurements are used (add it to needs).",
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


class RestoreEstimateCheck:
    """Production RTO estimated from the drill's measured restore throughput."""

    name: ClassVar[str] = "dr.restore_time_estimate"
    description: ClassVar[str] = (
        "Estimate the production RTO from the drill's restore throughput and the production database size."
    )
    Params: ClassVar[type[RestoreEstimateParams]] = RestoreEstimateParams

    async def run(self, params: RestoreEstimateParams, ctx: CheckContext) -> Outcome:
        """Compute the estimate and compare it with the RTO objective."""
        source = ""
        overhead = params.overhead or 0.0
        if params.drill is not None:
            path = ctx.artifacts_dir.parent / params.drill / "drill.json"
            if not path.is_file():
                return Outcome(
                    status=Status.NO_DATA,
                    summary=f"no drill results at {path}: run criterion {params.drill} first "
                    "(add it to needs)",
                    reproducer=_reproducer(ctx),
                )
            try:
                data = load_report(path)
            except DrError as exc:
                raise CheckError(str(exc)) from None
            if data.get("problems") or not data.get("restore_bytes_per_s"):
                return Outcome(
                    status=Status.NO_DATA,
                    summary=f"drill {params.drill} did not complete a verified restore; no throughput to use",
                    reproducer=_reproducer(ctx),
                )
            if params.overhead is None:
                overhead = float(data.get("overhead_s") or 0.0)
            age = time.time() - path.stat().st_mtime
            source = f"drill {params.drill} ({data.get('started_at')}, {age / 3600:.1f}h ago)"
            sample = float(data.get("database_bytes") or 0.0)
            if params.restore_throughput is not None:
                throughput = _size(ctx, params.restore_throughput)
                source += " overhead, configured throughput"
            elif sample < _size(ctx, params.min_sample):
                # On a few megabytes the restore time is process start-up, not data: the rate
                # would predict hours for what takes minutes.
                return Outcome(
                    status=Status.NO_DATA,
                    summary=f"drill {params.drill} restored only {sample / 1e6:.1f} MB (min "
                    f"{params.min_sample}): too small to extrapolate; drill a larger copy or set "
                    "restore_throughput",
                    reproducer=_reproducer(ctx),
                )
            else:
                throughput = float(data["restore_bytes_per_s"])
        else:
            throughput = _size(ctx, params.restore_throughput)
            source = "configured throughput"
        if params.production_size is not None:
            size = _size(ctx, params.production_size)
            size_from = "configured"
        else:
            assert params.production_database_url is not None
            url = _db_url(ctx, params.production_database_url)
            size = float(await asyncio.to_thread(_backup.database_size, url))
            size_from = f"measured on {url.display}"
        restore = size / throughput * params.safety_factor
        estimate = overhead + restore
        rto = params.rto if params.rto is not None else ctx.objectives.rto
        measurements = (
            Measurement(
                name="estimated_rto",
                value=round(estimate, 1),
                unit="s",
                target=f"<= {rto:g}s" if rto is not None else None,
            ),
            Measurement(name="estimated_restore_time", value=round(restore, 1), unit="s"),
            Measurement(name="restore_throughput", value=round(throughput / 1e6, 3), unit="MB/s"),
            Measurement(name="production_size", value=size, unit="B"),
        )
        text = (
            f"estimated production RTO {estimate:.0f}s = overhead {overhead:.1f}s + "
            f"{size / 1e9:.2f} GB ({size_from}) / {throughput / 1e6:.1f} MB/s"
            + (f" × {params.safety_factor:g}" if params.safety_factor != 1.0 else "")
            + f", from {source}"
        )
        evidence = Evidence(excerpt=text)
        if rto is None:
            return Outcome(
                status=Status.NO_DATA,
                summary=f"{text}; no RTO objective to compare with",
                measurements=measurements,
                evidence=evidence,
                reproducer=_reproducer(ctx),
            )
        status = Status.PASS if estimate <= rto else Status.FAIL
        verdict = "within" if status is Status.PASS else "exceeds"
        return Outcome(
            status=status,
            summary=f"{text}: {verdict} the RTO objective {rto:g}s",
            measurements=measurements,
            evidence=evidence,
            reproducer=_reproducer(ctx),
        )


CHECK_TYPES: list[type[Check]] = [BackupCheck, DrillCheck, MigrationsCheck, RestoreEstimateCheck]
"""The dr family's check types (registered by :func:`golive.checks.builtin_types`)."""
