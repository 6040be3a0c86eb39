"""Check types of the load family: ``load.test``, ``load.capacity``, ``load.soak``,
``load.stress`` and ``db.queries``.

All of them drive real load with Locust in a separate process (see :mod:`golive.load._engine`),
only to loopback or allowed hosts, bounded in time and requests.
"""

from __future__ import annotations

import math
from typing import ClassVar

from pydantic import Field, model_validator

from golive.checks.base import Check, CheckContext, CheckError, Params
from golive.load import _capacity, _chart
from golive.load._dbstats import DbQueriesParams, run_db_queries
from golive.load._engine import LocustEngine, check_target
from golive.load._model import LoadPlan, LoadRun, Stage
from golive.load._params import ScenarioParams, ThresholdsMixin, parse_thresholds
from golive.load._report import stats_measurements, stats_table, threshold_measurements, verdict_lines
from golive.load._resources import ResourceSampler, ResourceSeries
from golive.load._thresholds import Threshold, parse_threshold
from golive.load.base import LoadError
from golive.results import Evidence, Measurement, Outcome, Status
from golive.spec._duration import Duration


async def run_load(
    params: ScenarioParams, ctx: CheckContext, plan: LoadPlan, name: str
) -> tuple[LoadRun, tuple[ResourceSeries, ...], LocustEngine]:
    """Run a plan while sampling the service's resources; load errors become check errors."""
    engine = LocustEngine(ctx, name)
    try:
        check_target(plan.host, ctx.environment.allow_hosts)
        sampler = ResourceSampler(
            http=ctx.http,
            base_url=plan.host,
            metrics_url=plan.host + params.metrics_path if params.metrics_path else None,
            specs=[r.spec() for r in params.resources],
            cpu_limit=params.cpu_limit,
        )
        async with sampler:
            run = await engine.execute(plan)
    except LoadError as exc:
        raise CheckError(str(exc)) from None
    return run, sampler.series(), engine


def _write_chart(ctx: CheckContext, name: str, svg: str) -> str:
    path = ctx.artifacts_dir / f"{name}.svg"
    path.write_text(svg)
    return str(path)


def _errors_text(run: LoadRun) -> str:
    if not run.errors:
        return ""
    return "\nerrors:\n" + "\n".join(f"  {n} x {msg}" for msg, n in run.errors[:5])


class LoadTestParams(ScenarioParams, ThresholdsMixin):
    """Params of ``load.test``."""


class LoadTestCheck:
    """A load test judged by k6-style thresholds."""

    #: Load skews every other measurement and may trip rate limits: run it alone.
    exclusive: ClassVar[bool] = True
    name: ClassVar[str] = "load.test"
    description: ClassVar[str] = "Drive a load scenario (Locust) and judge p95/p99/error_rate/rps thresholds."
    Params: ClassVar[type[LoadTestParams]] = LoadTestParams

    async def run(self, params: LoadTestParams, ctx: CheckContext) -> Outcome:
        """Run the scenario once; abort early on a sustained breach of an abort threshold."""
        thresholds = params.effective_thresholds(ctx.objectives)
        if not thresholds:
            raise CheckError("no thresholds: give thresholds or set objectives (latency_p95_ms, error_rate)")
        stage = Stage(
            users=params.users, duration_s=params.duration, spawn_rate=params.spawn_rate(params.users)
        )
        plan = params.build_plan(
            ctx, (stage,), abort=tuple(t for t in thresholds if t.abort_on_fail), settle_s=params.ramp_up
        )
        run, _, engine = await run_load(params, ctx, plan, "load")
        verdicts = run.judge(thresholds)
        chart = _write_chart(
            ctx, "load-timeline", _chart.timeline_svg(run, f"{ctx.criterion_id}: load over time")
        )
        total = run.stats()
        text = "\n\n".join(
            [
                stats_table(run),
                verdict_lines(verdicts),
                _chart.text_chart(run),
            ]
        ) + _errors_text(run)
        measurements = (*stats_measurements(total), *threshold_measurements(verdicts))
        evidence = Evidence(excerpt=text, artifacts=(str(engine.run_path), str(engine.plan_path), chart))
        failed = [v for v in verdicts if not v.passed]
        head = f"{total.requests} requests at {total.rps:.1f} req/s from {params.users} users"
        if run.aborted_by:
            return Outcome(
                status=Status.FAIL,
                summary=f"aborted after {run.duration_s:.1f}s: {run.aborted_by} breached for its window; "
                f"{head}",
                measurements=measurements,
                evidence=evidence,
                reproducer=engine.reproducer,
            )
        if total.requests == 0:
            return Outcome(
                status=Status.NO_DATA,
                summary="no request completed",
                evidence=evidence,
                reproducer=engine.reproducer,
            )
        if failed:
            return Outcome(
                status=Status.FAIL,
                summary=f"{head}; breached: " + "; ".join(verdict_lines([v]).lstrip("✗ ") for v in failed),
                measurements=measurements,
                evidence=evidence,
                reproducer=engine.reproducer,
            )
        return Outcome(
            status=Status.PASS,
            summary=f"{head}; all {len(verdicts)} thresholds met (p95 {total.p95}ms, errors "
            f"{total.error_rate:.2f}%)",
            measurements=measurements,
            evidence=evidence,
            reproducer=engine.reproducer,
        )


class PlanParams(Params):
    """Inputs of the capacity plan written with a ``load.capacity`` result."""

    current_rps: float | None = Field(default=None, ge=0, description="Production traffic now, req/s.")
    current_rps_query: str | None = Field(
        default=None, description="PromQL giving production req/s (needs the environment's prometheus_url)."
    )
    growth: float = Field(default=3.0, gt=0)
    headroom: float = Field(default=30.0, ge=0, lt=100, description="Percent kept free.")
    unit_cost: float | None = Field(default=None, ge=0, description="Cost of one instance per month.")
    currency: str = "EUR"
    db_max_connections: int | None = Field(default=None, ge=1)


class LoadCapacityParams(ScenarioParams, ThresholdsMixin):
    """Params of ``load.capacity``: step load from ``start_users`` to ``max_users``."""

    start_users: int = Field(default=5, ge=1)
    step_users: int = Field(default=5, ge=1)
    step_factor: float | None = Field(default=None, gt=1, description="Multiply users per step instead.")
    max_users: int = Field(default=100, ge=1)
    step_duration: Duration = Field(default=5.0, gt=0)
    settle: Duration = Field(default=1.0, ge=0, description="Start of each step left out of its stats.")
    saturation: float = Field(default=85.0, gt=0, le=100, description="Percent of a limit = saturated.")
    min_rps: float | None = Field(default=None, gt=0, description="Fail when the knee is below this.")
    db_connections_resource: str = Field(default="db_connections")
    plan: PlanParams | None = None

    @model_validator(mode="after")
    def _steps(self) -> LoadCapacityParams:
        if self.max_users < self.start_users:
            raise ValueError("max_users must be >= start_users")
        if self.step_duration < self.settle + 2:
            raise ValueError(
                "step_duration must be at least settle + 2s (steps are measured in whole seconds)"
            )
        return self

    def step_users_list(self) -> list[int]:
        """Users of each step."""
        out: list[int] = []
        users = self.start_users
        while users <= self.max_users and len(out) < 50:
            out.append(users)
            users = math.ceil(users * self.step_factor) if self.step_factor else users + self.step_users
        return out


class LoadCapacityCheck:
    """Raise load step by step until the SLO breaks; report the knee and what saturated."""

    #: Load skews every other measurement and may trip rate limits: run it alone.
    exclusive: ClassVar[bool] = True
    name: ClassVar[str] = "load.capacity"
    description: ClassVar[str] = (
        "Step load until an SLO breaks: the knee (max req/s within SLO), the saturated resource."
    )
    Params: ClassVar[type[LoadCapacityParams]] = LoadCapacityParams

    async def run(self, params: LoadCapacityParams, ctx: CheckContext) -> Outcome:
        """Run the steps in one engine process; stop at the first step that breaks the SLO."""
        slo = params.effective_thresholds(ctx.objectives)
        if not slo:
            raise CheckError("no SLO: give thresholds or set objectives (latency_p95_ms, error_rate)")
        users = params.step_users_list()
        stages = tuple(
            Stage(
                users=u, duration_s=params.step_duration, spawn_rate=float(max(u, 1) * 4), label=f"{u} users"
            )
            for u in users
        )
        plan = params.build_plan(ctx, stages, stop_when=slo, settle_s=params.settle)
        run, series, engine = await run_load(params, ctx, plan, "capacity")
        result = _capacity.analyse(
            run, slo, series, settle_s=params.settle, saturation_at=params.saturation / 100.0
        )
        knee = result.knee
        db = next((s for s in series if s.name == params.db_connections_resource), None)
        if knee is not None and db is not None:
            mark = next(m for m in run.stages if m.label == knee.label)
            result = _capacity.CapacityResult(
                **{
                    **result.__dict__,
                    "db_connections_at_knee": db.peak(mark.start, mark.end),
                    "db_pool_limit": db.limit,
                }
            )
        curve = _write_chart(
            ctx,
            "capacity-curve",
            _chart.curve_svg(
                [(s.rps, s.p95 or 0.0, s.p99 or 0.0) for s in result.steps],
                f"{ctx.criterion_id}: latency vs throughput",
            ),
        )
        timeline = _write_chart(
            ctx, "capacity-timeline", _chart.timeline_svg(run, f"{ctx.criterion_id}: steps")
        )
        plan_text = ""
        plan_extra: dict[str, object] = {}
        if params.plan is not None and knee is not None:
            current = await _current_rps(params.plan, ctx)
            if current is not None:
                inputs = _capacity.PlanInputs(
                    knee_rps=knee.rps,
                    current_rps=current,
                    growth=params.plan.growth,
                    headroom=params.plan.headroom / 100.0,
                    db_connections_per_instance=result.db_connections_at_knee,
                    db_max_connections=params.plan.db_max_connections,
                    unit_cost=params.plan.unit_cost,
                    currency=params.plan.currency,
                    saturated=result.saturation.name
                    if result.saturation and result.saturation.saturated
                    else None,
                )
                plan_text = "\n" + _capacity.plan_markdown(_capacity.make_plan(inputs))
                plan_extra = {"plan_inputs": inputs.__dict__}
        cap_path = ctx.artifacts_dir / "capacity.json"
        _capacity.save(result, {"target": plan.host, "criterion": ctx.criterion_id, **plan_extra}, cap_path)
        lines = ["step         users   req/s    p50      p95      p99     err%   SLO"]
        for s in result.steps:
            lines.append(
                f"{s.label:<12} {s.users:>5} {s.rps:>7.1f} {_ms(s.p50):>8} {_ms(s.p95):>8} {_ms(s.p99):>8} "
                f"{s.error_rate:>6.2f}   {'ok' if s.passed else 'BROKEN: ' + '; '.join(s.failed)}"
            )
        sat = result.saturation
        sat_text = (
            "no resource samples (expose /metrics or run the service on this host)"
            if sat is None
            else (
                f"{sat.name} saturated first ({_pct(sat.utilisation)} of its limit at {sat.step})"
                if sat.saturated
                else f"no resource reached {params.saturation:g}% of its limit; highest: {sat.name} "
                f"({_pct(sat.utilisation)} at {sat.step})"
            )
        )
        for r in series:
            lines.append(
                f"resource {r.name}: peak {max((v for _, v in r.points), default=0):.4g} {r.unit}"
                + (f" (limit {r.limit:g})" if r.limit else "")
            )
        excerpt = (
            "\n".join(lines) + f"\n\n{sat_text}\n\n" + _chart.text_chart(run) + plan_text + _errors_text(run)
        )
        artifacts = (str(cap_path), curve, timeline, str(engine.run_path), str(engine.plan_path))
        measurements: list[Measurement] = []
        if knee is not None:
            measurements += [
                Measurement(
                    name="knee_rps",
                    value=round(knee.rps, 2),
                    unit="req/s",
                    target=f">= {params.min_rps:g}" if params.min_rps else None,
                ),
                Measurement(name="knee_users", value=float(knee.users)),
            ]
            if knee.p95 is not None:
                measurements.append(Measurement(name="knee_p95", value=knee.p95, unit="ms"))
            if result.db_connections_at_knee is not None:
                measurements.append(
                    Measurement(name="db_connections_at_knee", value=result.db_connections_at_knee)
                )
        measurements.append(
            Measurement(
                name="max_rps_measured",
                value=round(max((s.rps for s in result.steps), default=0.0), 2),
                unit="req/s",
            )
        )
        if sat is not None and sat.utilisation is not None:
            measurements.append(
                Measurement(name=f"saturation_{sat.name}", value=round(sat.utilisation * 100, 1), unit="%")
            )
        evidence = Evidence(excerpt=excerpt, artifacts=artifacts)
        if knee is None:
            return Outcome(
                status=Status.FAIL,
                summary=f"no step met the SLO ({', '.join(result.slo)}), not even {users[0]} users; "
                + sat_text,
                measurements=tuple(measurements),
                evidence=evidence,
                reproducer=engine.reproducer,
            )
        bound = (
            f"SLO broke at {result.broke_at.users} users"
            if result.broke_at
            else f"SLO held at every step up to {result.steps[-1].users} users (max_users): capacity is "
            "at least this"
        )
        summary = f"knee {knee.rps:.1f} req/s at {knee.users} users within SLO; {bound}; {sat_text}"
        status = Status.PASS
        if params.min_rps is not None and knee.rps < params.min_rps:
            status = Status.FAIL
            summary = f"knee {knee.rps:.1f} req/s is below the required {params.min_rps:g} req/s; " + summary
        return Outcome(
            status=status,
            summary=summary,
            measurements=tuple(measurements),
            evidence=evidence,
            reproducer=engine.reproducer,
        )


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}ms"


def _pct(value: float | None) -> str:
    return "?" if value is None else f"{value * 100:.0f}%"


async def _current_rps(plan: PlanParams, ctx: CheckContext) -> float | None:
    if plan.current_rps is not None:
        return plan.current_rps
    if plan.current_rps_query and ctx.environment.prometheus_url:
        url = ctx.resolve(ctx.environment.prometheus_url).rstrip("/") + "/api/v1/query"
        try:
            resp = await ctx.http.get(url, params={"query": plan.current_rps_query}, timeout=10.0)
            data = resp.json()["data"]["result"]
            return float(data[0]["value"][1]) if data else 0.0
        except Exception as exc:  # the plan is optional; the capacity verdict does not depend on it
            ctx.logger.warning("current traffic query failed: %s", exc)
    return None


class LoadSoakParams(ScenarioParams, ThresholdsMixin):
    """Params of ``load.soak``: constant load; compare the first and last third of the run."""

    duration: Duration = Field(default=60.0, gt=0)
    max_memory_growth: float = Field(default=20.0, ge=0, description="Percent RSS growth allowed.")
    max_error_drift: float = Field(default=1.0, ge=0, description="Error-rate increase allowed, in points.")
    max_latency_drift: float = Field(default=50.0, ge=0, description="Percent p95 increase allowed.")


class LoadSoakCheck:
    """Long constant load: memory growth and error/latency drift."""

    #: Load skews every other measurement and may trip rate limits: run it alone.
    exclusive: ClassVar[bool] = True
    name: ClassVar[str] = "load.soak"
    description: ClassVar[str] = "Constant load for a long time: memory growth, error and latency drift."
    Params: ClassVar[type[LoadSoakParams]] = LoadSoakParams

    async def run(self, params: LoadSoakParams, ctx: CheckContext) -> Outcome:
        """Run the load; judge thresholds over the run and drift between its first and last third."""
        thresholds = params.effective_thresholds(ctx.objectives)
        stage = Stage(
            users=params.users, duration_s=params.duration, spawn_rate=params.spawn_rate(params.users)
        )
        plan = params.build_plan(ctx, (stage,), abort=tuple(t for t in thresholds if t.abort_on_fail))
        run, series, engine = await run_load(params, ctx, plan, "soak")
        start = run.started + params.ramp_up
        third = (run.ended - start) / 3
        first, last = run.window(start, start + third), run.window(run.ended - third, run.ended)
        problems = [verdict_lines([v]).lstrip("✗ ") for v in run.judge(thresholds) if not v.passed]
        measurements = [*stats_measurements(run.stats())]
        memory = next((s for s in series if s.name == "memory"), None)
        growth = None
        if memory is not None and len(memory.points) >= 3:
            m0 = memory.mean(start, start + third)
            m1 = memory.mean(run.ended - third, run.ended + 1)
            if m0 and m1:
                growth = 100.0 * (m1 - m0) / m0
                measurements.append(
                    Measurement(
                        name="memory_growth",
                        value=round(growth, 2),
                        unit="%",
                        target=f"<= {params.max_memory_growth:g}%",
                    )
                )
                if growth > params.max_memory_growth:
                    problems.append(f"memory grew {growth:.1f}% (limit {params.max_memory_growth:g}%)")
        error_drift = last.error_rate - first.error_rate
        measurements.append(
            Measurement(
                name="error_drift",
                value=round(error_drift, 3),
                unit="points",
                target=f"<= {params.max_error_drift:g}",
            )
        )
        if error_drift > params.max_error_drift:
            problems.append(f"error rate drifted {first.error_rate:.2f}% → {last.error_rate:.2f}%")
        if first.p95 and last.p95:
            drift = 100.0 * (last.p95 - first.p95) / first.p95
            measurements.append(
                Measurement(
                    name="p95_drift",
                    value=round(drift, 1),
                    unit="%",
                    target=f"<= {params.max_latency_drift:g}%",
                )
            )
            if drift > params.max_latency_drift:
                problems.append(f"p95 drifted {first.p95:g}ms → {last.p95:g}ms (+{drift:.0f}%)")
        chart = _write_chart(ctx, "soak-timeline", _chart.timeline_svg(run, f"{ctx.criterion_id}: soak"))
        mem_text = (
            "memory: not sampled" if growth is None else f"memory growth first→last third: {growth:+.1f}%"
        )
        text = (
            stats_table(run) + "\n\n" + verdict_lines(run.judge(thresholds)) + f"\n{mem_text}\n"
            f"first third: p95 {_ms(first.p95)}, errors {first.error_rate:.2f}%; "
            f"last third: p95 {_ms(last.p95)}, errors {last.error_rate:.2f}%\n\n"
            + _chart.text_chart(run)
            + _errors_text(run)
        )
        evidence = Evidence(excerpt=text, artifacts=(str(engine.run_path), chart))
        head = f"{run.stats().requests} requests over {run.duration_s:.0f}s"
        if run.aborted_by:
            problems.insert(0, f"aborted: {run.aborted_by}")
        return Outcome(
            status=Status.FAIL if problems else Status.PASS,
            summary=f"{head}; " + ("; ".join(problems) if problems else f"no drift ({mem_text})"),
            measurements=tuple(measurements),
            evidence=evidence,
            reproducer=engine.reproducer,
        )


class LoadStressParams(ScenarioParams):
    """Params of ``load.stress``: overload, then a recovery period at low load."""

    users: int = Field(default=100, ge=1)
    recovery: Duration = Field(default=5.0, gt=0, description="Low-load period after the overload.")
    recovery_users: int | None = Field(default=None, ge=1, description="[default: users / 10]")
    max_latency: Duration = Field(
        default=2.0, gt=0, description="p95 above this under overload means requests pile up."
    )
    max_error_rate: float = Field(
        default=5.0, ge=0, le=100, description="Errors other than 429/503 allowed under overload, percent."
    )
    recovery_thresholds: list[str] = Field(
        default_factory=list, description="Must hold after the overload [default: objectives, else p95 < 1s]."
    )
    shed_statuses: list[int] = Field(default_factory=lambda: [429, 503])

    @model_validator(mode="after")
    def _parse(self) -> LoadStressParams:
        for t in self.recovery_thresholds:
            parse_threshold(t)
        return self


class LoadStressCheck:
    """Beyond-capacity load: does the service shed (429/503) and recover, or fall over?"""

    #: Load skews every other measurement and may trip rate limits: run it alone.
    exclusive: ClassVar[bool] = True
    name: ClassVar[str] = "load.stress"
    description: ClassVar[str] = "Overload the service: it must shed load (429/503) and recover afterwards."
    Params: ClassVar[type[LoadStressParams]] = LoadStressParams

    async def run(self, params: LoadStressParams, ctx: CheckContext) -> Outcome:
        """Overload, then recover at low load; judge shedding, latency, errors and recovery."""
        rec_users = params.recovery_users or max(1, params.users // 10)
        stages = (
            Stage(
                users=params.users,
                duration_s=params.duration,
                spawn_rate=params.spawn_rate(params.users),
                label="overload",
            ),
            Stage(
                users=rec_users, duration_s=params.recovery, spawn_rate=float(params.users), label="recovery"
            ),
        )
        plan = params.build_plan(ctx, stages)
        run, _, engine = await run_load(params, ctx, plan, "stress")
        recovery_t: tuple[Threshold, ...] = (
            parse_thresholds(list(params.recovery_thresholds))
            if params.recovery_thresholds
            else tuple(t for t in _objective_or_default(ctx))
        )
        over = next((m for m in run.stages if m.label == "overload"), None)
        rec = next((m for m in run.stages if m.label == "recovery"), None)
        if over is None:
            raise CheckError("the overload stage did not run")
        o = run.window(over.start + params.ramp_up, over.end)
        shed = o.bucket.status_count(*params.shed_statuses)
        other_errors = o.failures - shed
        other_rate = 100.0 * other_errors / o.requests if o.requests else 0.0
        problems = []
        if o.p95 is not None and o.p95 > params.max_latency * 1000:
            problems.append(
                f"p95 under overload {o.p95:g}ms > {params.max_latency * 1000:g}ms (requests pile up)"
            )
        if other_rate > params.max_error_rate:
            problems.append(
                f"{other_rate:.1f}% errors other than {params.shed_statuses} under overload "
                "(timeouts, 5xx, refused connections)"
            )
        recovered, rec_text = True, "recovery stage did not run"
        if rec is not None:
            # The first second after the overload belongs to draining, not to recovery.
            settle = min(1.0, (rec.end - rec.start) / 3)
            verdicts = run.judge(recovery_t, rec.start + settle, rec.end)
            recovered = all(v.passed for v in verdicts)
            rec_text = verdict_lines(verdicts)
            if not recovered:
                problems.append(
                    "did not recover: "
                    + "; ".join(verdict_lines([v]).lstrip("✗ ") for v in verdicts if not v.passed)
                )
        chart = _write_chart(ctx, "stress-timeline", _chart.timeline_svg(run, f"{ctx.criterion_id}: stress"))
        text = (
            f"overload ({params.users} users):\n"
            + stats_table(run, over.start, over.end)
            + f"\n\nrecovery ({rec_users} users):\n"
            + (stats_table(run, rec.start, rec.end) if rec else "—")
            + "\n"
            + rec_text
            + "\n\n"
            + _chart.text_chart(run)
            + _errors_text(run)
        )
        measurements = (
            *stats_measurements(o, "overload_"),
            Measurement(name="shed_responses", value=float(shed)),
            Measurement(
                name="shed_rate", value=round(100.0 * shed / o.requests, 2) if o.requests else 0.0, unit="%"
            ),
            Measurement(
                name="overload_other_error_rate",
                value=round(other_rate, 2),
                unit="%",
                target=f"<= {params.max_error_rate:g}%",
            ),
        )
        evidence = Evidence(excerpt=text, artifacts=(str(engine.run_path), chart))
        codes = "/".join(map(str, params.shed_statuses))
        head = f"{params.users} users: {o.rps:.0f} req/s, p95 {_ms(o.p95)}, {shed} shed ({codes})"
        if problems:
            verdict = "falls over without shedding load" if shed == 0 else "sheds some load but degrades"
            return Outcome(
                status=Status.FAIL,
                summary=f"{verdict}: " + "; ".join(problems) + f" — {head}",
                measurements=measurements,
                evidence=evidence,
                reproducer=engine.reproducer,
            )
        if shed == 0:
            return Outcome(
                status=Status.NO_DATA,
                summary=f"not overloaded: {head}, latency and errors within limits — raise users to find "
                "the limit",
                measurements=measurements,
                evidence=evidence,
                reproducer=engine.reproducer,
            )
        return Outcome(
            status=Status.PASS,
            summary=f"sheds load and recovers: {head}",
            measurements=measurements,
            evidence=evidence,
            reproducer=engine.reproducer,
        )


def _objective_or_default(ctx: CheckContext) -> tuple[Threshold, ...]:
    from golive.load._params import objective_thresholds

    return objective_thresholds(ctx.objectives) or (
        parse_threshold("p95 < 1s"),
        parse_threshold("error_rate < 5%"),
    )


class DbQueriesCheck:
    """Top PostgreSQL queries (pg_stat_statements) during a load test; flag missing indexes."""

    #: Load skews every other measurement and may trip rate limits: run it alone.
    exclusive: ClassVar[bool] = True
    name: ClassVar[str] = "db.queries"
    description: ClassVar[str] = (
        "During load, top queries from pg_stat_statements; seq scans on large tables."
    )
    Params: ClassVar[type[DbQueriesParams]] = DbQueriesParams

    async def run(self, params: DbQueriesParams, ctx: CheckContext) -> Outcome:
        """Snapshot statistics, run the load, diff, and judge."""

        async def load() -> tuple[str, str]:
            stage = Stage(
                users=params.users, duration_s=params.duration, spawn_rate=params.spawn_rate(params.users)
            )
            run, _, engine = await run_load(params, ctx, params.build_plan(ctx, (stage,)), "dbload")
            return stats_table(run), engine.reproducer

        return await run_db_queries(params, ctx, load)


CHECK_TYPES: list[type[Check]] = [
    LoadTestCheck,
    LoadCapacityCheck,
    LoadSoakCheck,
    LoadStressCheck,
    DbQueriesCheck,
]
