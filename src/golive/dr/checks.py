"""Check types of the dr family: ``dr.backup``, ``dr.drill``, ``db.migrations``, ``dr.restore_time_estimate``.

``dr.drill`` runs a whole recovery (backup under writes, loss, restore into a scratch database,
a fresh instance, verification) and measures RTO and RPO; the others check that backups exist
and are readable, that migrations go up and down cleanly, and what the measured restore speed
means for the production database. Their params are in :mod:`golive.dr._params`.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import ClassVar

from golive.dr import _backup, _in_place, _lint, _migrations
from golive.dr._drill import DrillConfig, run_drill
from golive.dr._estimate import Estimate, drill_sample, estimate_outcome, resolved_size
from golive.dr._params import (
    BackupParams,
    DrillParams,
    MigrationsParams,
    RestoreEstimateParams,
    command_text,
    drill_commands,
    resolve_command,
)
from golive.dr._report import drill_outcome, write_artifacts
from golive.dr._urls import DbKind, DbUrl, parse_db_url
from golive.dr._verify import VerifyQuery
from golive.dr.base import DrError
from golive.kit.check import CheckContext, CheckError
from golive.kit.outcomes import Findings
from golive.kit.text import excerpt
from golive.results import Evidence, Measurement, Outcome, Status

__all__ = ["BackupCheck", "DrillCheck", "MigrationsCheck", "RestoreEstimateCheck"]


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


class DrillCheck:
    """A full recovery drill in a scratch target; measures RTO and RPO."""

    #: Times the system (recovery time): never alongside golive's own CPU-heavy work.
    measures_performance: ClassVar[bool] = True

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
        ready_url = params.ready_url or "http://127.0.0.1:${DRILL_PORT}" + params.ready_path
        if params.recovery == "in_place":
            # Checked before anything runs: the drill is about to take this database away.
            refused = _in_place.refusal(ctx, source)
            if refused:
                raise CheckError(refused)
            ready_url = ctx.resolve(params.ready_url) if params.ready_url else ctx.url(params.ready_path)
            ctx.require_target(ready_url, what="the service the drill recovers")
        cfg = DrillConfig(
            source=source,
            scratch_server=scratch,
            recovery=params.recovery,
            start=params.start,
            stop=params.stop,
            restart=params.restart,
            backup_command=params.backup_command,
            restore_command=params.restore_command,
            ready_url=ready_url,
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
            stable_for=params.stable_for,
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


# -- dr.backup --------------------------------------------------------------------------------


class BackupCheck:
    """The newest backup is fresh, not empty and readable."""

    #: Reads the whole backup (pg_restore decompresses every data block): golive's own CPU work,
    #: never alongside a performance measurement.
    cpu_heavy: ClassVar[bool] = True

    name: ClassVar[str] = "dr.backup"
    description: ClassVar[str] = (
        "The newest backup is younger than the RPO objective, not empty and readable "
        "(pg_restore / SQLite integrity check)."
    )
    Params: ClassVar[type[BackupParams]] = BackupParams

    async def run(self, params: BackupParams, ctx: CheckContext) -> Outcome:
        """Find the newest backup and test it."""
        candidates, where = await self._candidates(params, ctx)
        max_age = params.max_age if params.max_age is not None else ctx.objectives.rpo
        found = await asyncio.to_thread(_backup.newest, candidates)
        if found is None:
            return Outcome(
                status=Status.FAIL, summary=f"no backup found in {where}", reproducer=_reproducer(ctx)
            )
        path, mtime = found
        age = time.time() - mtime
        size = _backup.size(path)
        findings = Findings()
        findings.measure("age", round(age, 1), "s", f"<= {max_age:g}s" if max_age is not None else None)
        findings.measure("size", size, "B", f">= {params.min_size}")
        if max_age is not None and age > max_age:
            findings.problem(f"newest backup {path.name} is {age:.0f}s old (max {max_age:g}s)")
        if size < params.min_size:
            findings.problem(f"newest backup {path.name} has {size} bytes (min {params.min_size})")
        detail = ""
        if not findings.problems and (params.verify or params.verify_command):
            detail = await self._readable(params, path, ctx, findings)
        evidence = Evidence(excerpt=excerpt(f"newest: {path} ({size} bytes, {age:.0f}s old)\n{detail}"))
        if findings.problems:
            return Outcome(
                status=Status.FAIL,
                summary="; ".join(findings.problems),
                measurements=tuple(findings.measurements),
                evidence=evidence,
                reproducer=_reproducer(ctx),
            )
        return Outcome(
            status=Status.PASS,
            summary=f"newest backup {path.name} is {age:.0f}s old"
            + (f" (max {max_age:g}s)" if max_age is not None else " (no RPO objective)")
            + f", {size} bytes"
            + (", readable" if params.verify or params.verify_command else ""),
            measurements=tuple(findings.measurements),
            evidence=evidence,
            reproducer=_reproducer(ctx),
        )

    @staticmethod
    async def _candidates(params: BackupParams, ctx: CheckContext) -> tuple[list[Path], str]:
        """The backup files to choose the newest from, and where they were looked for."""
        if params.list_command is not None:
            cmd = params.list_command
            result = await ctx.run(resolve_command(ctx.variables, cmd), shell=isinstance(cmd, str))
            if result.returncode != 0 or result.timed_out:
                raise CheckError(f"list_command failed: {excerpt(result.stderr or result.stdout, 500)}")
            lines = [line.strip() for line in result.stdout.splitlines()]
            return [ctx.path(line) for line in lines if line], "list_command output"
        assert params.dir is not None
        folder = ctx.path(params.dir)
        found = sorted(folder.glob(params.pattern)) if folder.is_dir() else []
        return found, f"{params.dir}/{params.pattern}"

    @staticmethod
    async def _readable(params: BackupParams, path: Path, ctx: CheckContext, findings: Findings) -> str:
        """Read the backup (custom command, pg_restore or integrity check); the output to show."""
        if params.verify_command is not None:
            cmd = params.verify_command
            env = {"BACKUP_FILE": str(path)}
            # The file name is data: a shell string gets it from the environment, never as text.
            argv = resolve_command(ctx.variables.with_environ(env), cmd, from_env=env)
            result = await ctx.run(argv, shell=isinstance(cmd, str), env=env)
            if result.returncode != 0 or result.timed_out:
                findings.problem(f"verify_command says {path.name} is unreadable (exit {result.returncode})")
            return excerpt(result.stdout + "\n" + result.stderr, 1500)
        verdict = await _backup.verify(path, ctx)
        findings.measure("tables", verdict.tables)
        if not verdict.ok:
            findings.problem(f"{path.name} is not readable: {verdict.reason}")
        elif verdict.tables == 0:
            findings.problem(f"{path.name} contains no table")
        return verdict.detail


# -- db.migrations ----------------------------------------------------------------------------


class MigrationsCheck:
    """upgrade head → downgrade base → upgrade head on a scratch database; risky migrations flagged."""

    #: Runs the project's migrations and reflects the schema at every revision on this machine:
    #: golive's own CPU work, never alongside a performance measurement.
    cpu_heavy: ClassVar[bool] = True

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
        result = await _migrations.round_trip(params, ctx, server, _migrations.app_database(ctx))
        lint_dir = params.migrations_dir or result.versions_dir
        warnings: list[str] = []
        if lint_dir:
            warnings = await asyncio.to_thread(
                _lint.lint,
                ctx.path(lint_dir),
                [ctx.path(p) for p in params.code_paths],
                set(params.large_tables),
            )
        lines = [
            f"{s.duration_s:6.2f}s  {'ok' if s.ok else '!!'}  {s.name}: {s.detail}" for s in result.steps
        ]
        if result.proof:
            lines.append(f"proof: {result.proof}")
        if result.watched:
            lines.append(f"unchanged alembic_version: {', '.join(result.watched)}")
        lines += [f"warning: {w}" for w in warnings]
        measurements = (
            Measurement(
                name="round_trip_time", value=round(sum(s.duration_s for s in result.steps), 3), unit="s"
            ),
            Measurement(name="revisions_compared", value=result.compared),
            Measurement(name="warnings", value=len(warnings)),
        )
        problem = _migrations_problem(result, warnings, params)
        return Outcome(
            status=Status.FAIL if problem else Status.PASS,
            summary=problem or _migrations_passed(result, params, warnings),
            measurements=measurements,
            evidence=Evidence(excerpt=excerpt("\n".join(lines), 6000)),
            reproducer=_reproducer(ctx),
        )


def _migrations_problem(result: _migrations.RoundTrip, warnings: list[str], params: MigrationsParams) -> str:
    """The failing summary of a round trip, or "" when it passed."""
    failed = [s for s in result.steps if not s.ok]
    if result.schema_drift:
        return result.schema_drift + (f"; then {failed[0].name} failed" if failed else "")
    if failed:
        return f"{failed[0].name} failed: {failed[0].detail}"
    if warnings and params.fail_on_warnings:
        return f"{len(warnings)} risky migration(s): {warnings[0]}"
    return ""


def _migrations_passed(result: _migrations.RoundTrip, params: MigrationsParams, warnings: list[str]) -> str:
    """What a passing round trip verified, and nothing more."""
    where = f"a scratch {params.database} database golive created"
    if result.head:
        where += f" (head {result.head})"
    summary = (
        f"up, down to base and up again on {where}: the schema came back at each of the "
        f"{result.compared} step(s) down and at head again"
    )
    if warnings:
        summary += f"; {len(warnings)} warning(s): {warnings[0]}"
    return summary


# -- dr.restore_time_estimate -----------------------------------------------------------------


class RestoreEstimateCheck:
    """Production RTO estimated from the drill's measured restore throughput."""

    name: ClassVar[str] = "dr.restore_time_estimate"
    description: ClassVar[str] = (
        "Estimate the production RTO from the drill's restore throughput and the production database size."
    )
    Params: ClassVar[type[RestoreEstimateParams]] = RestoreEstimateParams

    async def run(self, params: RestoreEstimateParams, ctx: CheckContext) -> Outcome:
        """Compute the estimate and compare it with the RTO objective."""
        overhead = params.overhead or 0.0
        if params.drill is None:
            throughput = resolved_size(ctx, params.restore_throughput)
            source = "configured throughput"
        else:
            sample = drill_sample(ctx, params.drill)
            if isinstance(sample, str):
                return Outcome(status=Status.NO_DATA, summary=sample, reproducer=_reproducer(ctx))
            if params.overhead is None:
                overhead = sample.overhead_s
            source = sample.source
            if params.restore_throughput is not None:
                throughput = resolved_size(ctx, params.restore_throughput)
                source += " overhead, configured throughput"
            elif sample.database_bytes < resolved_size(ctx, params.min_sample):
                # On a few megabytes the restore time is process start-up, not data: the rate
                # would predict hours for what takes minutes.
                return Outcome(
                    status=Status.NO_DATA,
                    summary=f"drill {params.drill} restored only {sample.database_bytes / 1e6:.1f} MB (min "
                    f"{params.min_sample}): too small to extrapolate; drill a larger copy or set "
                    "restore_throughput",
                    reproducer=_reproducer(ctx),
                )
            else:
                throughput = sample.restore_bytes_per_s
        if params.production_size is not None:
            size, size_from = resolved_size(ctx, params.production_size), "configured"
        else:
            url = _db_url(ctx, params.production_database_url)
            size = float(await asyncio.to_thread(_backup.database_size, url))
            size_from = f"measured on {url.display}"
        estimate = Estimate(
            overhead_s=overhead, throughput=throughput, source=source, size=size, size_from=size_from
        )
        rto = params.rto if params.rto is not None else ctx.objectives.rto
        return estimate_outcome(estimate, params, rto, _reproducer(ctx))
