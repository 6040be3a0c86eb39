"""The price of capacity: the plan's costs, the ``load.cost`` check and ``golive plan capacity``.

The capacity results ``load.cost`` reads are real :class:`CheckResult` objects carrying the
``capacity.json`` that ``load.capacity`` writes (through its own writer), for a ledger service
shaped unlike storefront: a knee of 240 req/s, priced in USD, with 20% headroom in its plan.
One test runs both check types through the engine against a server with a known limit.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from golive.cli import app
from golive.errors import SpecError
from golive.kit.check import CheckError
from golive.load._capacity import CapacityResult, PlanInputs, StepResult, make_plan, save
from golive.load._cost import HOURS_PER_MONTH, cost_per_million, price_capacity
from golive.load._cost_check import LoadCostCheck
from golive.results import CheckResult, Evidence, Measurement, Outcome, Review, Status, Tier
from tests.fixtures.review import crit
from tests.fixtures.servers import Server
from tests.load.conftest import make_ctx, measurement

Run = Callable[..., Review]

PRICE = 0.085  # USD per instance-hour
KNEE = 240.0


# -- the maths ---------------------------------------------------------------------------------


def test_cost_per_million_requests() -> None:
    # 0.085 an hour buys 240 x 3600 = 864,000 requests at the knee.
    assert cost_per_million(PRICE, KNEE) == pytest.approx(0.085 / 864_000 * 1e6)
    with pytest.raises(ValueError, match="above 0 req/s"):
        cost_per_million(PRICE, 0.0)


def test_pricing_from_an_hourly_or_a_monthly_price() -> None:
    hourly = price_capacity(knee_rps=KNEE, headroom=0.2, currency="USD", instance_hour_price=PRICE)
    assert hourly.instance_month_price == pytest.approx(PRICE * 730)
    assert hourly.cost_per_million_at_knee == pytest.approx(0.098380, rel=1e-4)
    # At 80% utilisation an instance serves 192 req/s: the same hour buys fewer requests.
    assert hourly.cost_per_million_planned == pytest.approx(0.085 / (192 * 3600) * 1e6)
    monthly = price_capacity(knee_rps=KNEE, headroom=0.2, currency="USD", instance_month_price=62.05)
    assert monthly.instance_hour_price == pytest.approx(62.05 / HOURS_PER_MONTH)
    assert monthly.cost_per_million_planned == pytest.approx(hourly.cost_per_million_planned)
    with pytest.raises(ValueError, match="not both"):
        price_capacity(knee_rps=KNEE, headroom=0.2, currency="USD")


def test_plan_costs_now_and_after_growth() -> None:
    plan = make_plan(
        PlanInputs(
            knee_rps=KNEE, current_rps=150, growth=4, headroom=0.2, instance_hour_price=PRICE, currency="USD"
        )
    )
    now, grown = plan.rows
    # usable 192 req/s per instance: 150 -> 1 instance, 600 -> 4 instances.
    assert (now.instances, grown.instances) == (1, 4)
    assert (now.instance_hours, grown.instance_hours) == (730, 2920)
    assert grown.monthly_cost == pytest.approx(4 * 730 * PRICE)
    # One instance for 150 req/s costs more per request than four for 600 (each at 150 of 192).
    assert now.cost_per_million == pytest.approx(PRICE / (150 * 3600) * 1e6)
    assert grown.cost_per_million == pytest.approx(now.cost_per_million)
    assert plan.pricing is not None and plan.pricing.utilisation == pytest.approx(0.8)


def test_monthly_unit_cost_keeps_its_figures() -> None:
    plan = make_plan(PlanInputs(knee_rps=100, current_rps=50, growth=3, headroom=0.3, unit_cost=40))
    assert [r.monthly_cost for r in plan.rows] == [40, 120]
    unpriced = make_plan(PlanInputs(knee_rps=100, current_rps=0, growth=3))
    assert unpriced.pricing is None
    assert [(r.monthly_cost, r.cost_per_million, r.instance_hours) for r in unpriced.rows] == [
        (None, None, 730),
        (None, None, 730),
    ]


# -- load.cost on real capacity results --------------------------------------------------------


def capacity_result(
    tmp: Path,
    *,
    knee_rps: float | None = KNEE,
    headroom: float | None = 0.2,
    criterion: str = "ledger.capacity",
    check_type: str = "load.capacity",
    artifact: bool = True,
) -> CheckResult:
    """A load.capacity result with the capacity.json it writes (``knee_rps`` None: no step met the SLO)."""
    step = StepResult(
        label="24 users",
        users=24,
        rps=knee_rps or 31.0,
        p50=12.0,
        p95=80.0,
        p99=95.0,
        error_rate=0.0,
        passed=knee_rps is not None,
        failed=() if knee_rps else ("p95 < 100ms (measured 340)",),
        resources=(),
    )
    found = CapacityResult(
        steps=(step,),
        knee=step if knee_rps else None,
        broke_at=None if knee_rps else step,
        saturation=None,
        slo=("p95 < 100ms",),
    )
    extra: dict[str, object] = {"criterion": criterion}
    if headroom is not None and knee_rps:
        extra["plan_inputs"] = PlanInputs(knee_rps=knee_rps, current_rps=120, headroom=headroom).__dict__
    path = tmp / "artifacts" / criterion / "capacity.json"
    save(found, extra, path)
    return CheckResult(
        criterion_id=criterion,
        title="Ledger capacity",
        area="performance",
        tier=Tier.SHOULD,
        check_type=check_type,
        status=Status.PASS if knee_rps else Status.FAIL,
        summary=f"knee {knee_rps} req/s" if knee_rps else "no step met the SLO (p95 < 100ms)",
        measurements=(Measurement(name="knee_rps", value=knee_rps, unit="req/s"),) if knee_rps else (),
        evidence=Evidence(artifacts=(str(path),) if artifact else ()),
    )


def cost(tmp_path: Path, params: dict[str, Any], *needed: CheckResult) -> Outcome:
    """Run load.cost with the results of the criteria it needs."""
    validated = LoadCostCheck.Params.model_validate(params)

    async def main() -> Outcome:
        async with httpx.AsyncClient() as client:
            ctx = make_ctx(client, workdir=tmp_path, base_url="http://127.0.0.1:9")
            ctx = dataclasses.replace(
                ctx, criterion_id="ledger.cost", needed={r.criterion_id: r for r in needed}
            )
            return await LoadCostCheck().run(validated, ctx)

    return asyncio.run(main())


BUDGETED = {"instance_hour_price": PRICE, "currency": "USD", "max_cost_per_million": 0.15}


def test_cost_within_budget_at_the_planned_utilisation(tmp_path: Path) -> None:
    res = cost(tmp_path, BUDGETED, capacity_result(tmp_path))
    assert res.status is Status.PASS, res.summary
    # The capacity plan's 20% headroom: 192 of 240 req/s per instance.
    assert res.summary == (
        "0.123 USD per million requests at 80% of the knee (192.0 of 240.0 req/s per instance, "
        "ledger.capacity) at 0.085 USD per instance-hour: within the budget 0.15 USD"
    )
    assert measurement(res, "cost_per_million") == pytest.approx(0.085 / (192 * 3600) * 1e6)
    assert measurement(res, "cost_per_million_at_knee") == pytest.approx(0.098380, rel=1e-4)
    assert (measurement(res, "knee_rps"), measurement(res, "instance_hour_price")) == (KNEE, PRICE)
    assert "golive plan capacity --from " in res.reproducer and "--headroom 20%" in res.reproducer
    assert "0.085 / (192.00 x 3600) x 1e6 = 0.123 USD" in res.evidence.excerpt


def test_cost_over_budget_fails_with_the_figure(tmp_path: Path) -> None:
    # Within the budget at the knee itself (0.098), not at the planned utilisation (0.123).
    res = cost(tmp_path, {**BUDGETED, "max_cost_per_million": 0.1}, capacity_result(tmp_path))
    assert res.status is Status.FAIL
    assert res.summary.startswith("0.123 USD per million requests at 80% of the knee")
    assert res.summary.endswith("exceeds the budget 0.1 USD")
    # More headroom, fewer requests per paid hour.
    res = cost(tmp_path, {**BUDGETED, "headroom": 50}, capacity_result(tmp_path))
    assert res.status is Status.FAIL and "0.1968 USD per million requests at 50% of the knee" in res.summary


def test_measurements_alone_are_priced_with_the_default_headroom(tmp_path: Path) -> None:
    res = cost(tmp_path, BUDGETED, capacity_result(tmp_path, artifact=False))
    assert res.status is Status.PASS, res.summary
    assert "at 70% of the knee (168.0 of 240.0 req/s" in res.summary
    assert res.reproducer == ""


def test_nothing_to_price_is_no_data(tmp_path: Path) -> None:
    res = cost(tmp_path, BUDGETED)
    assert res.status is Status.NO_DATA
    assert res.summary == (
        "no load.capacity result to price: add the capacity criterion to needs and run it in the same review"
    )
    res = cost(tmp_path, {**BUDGETED, "capacity": "ledger.capacity"})
    assert res.status is Status.NO_DATA
    assert "no result of ledger.capacity in this review" in res.summary
    assert "--only ledger.capacity --only ledger.cost" in res.summary
    res = cost(tmp_path, BUDGETED, capacity_result(tmp_path, knee_rps=None))
    assert res.status is Status.NO_DATA
    assert res.summary.startswith("ledger.capacity found no knee (no step met the SLO on enough requests)")


def test_the_capacity_to_price_must_be_one_load_capacity(tmp_path: Path) -> None:
    other = capacity_result(tmp_path, criterion="ledger.load", check_type="load.test")
    with pytest.raises(CheckError, match="criterion ledger.load is a load.test check"):
        cost(tmp_path, {**BUDGETED, "capacity": "ledger.load"}, other)
    # A need of another type is not a capacity to price.
    assert cost(tmp_path, BUDGETED, other).status is Status.NO_DATA
    second = capacity_result(tmp_path, criterion="ledger.capacity-eu", knee_rps=120.0)
    with pytest.raises(CheckError, match="several load.capacity criteria"):
        cost(tmp_path, BUDGETED, capacity_result(tmp_path), second)
    res = cost(tmp_path, {**BUDGETED, "capacity": "ledger.capacity-eu"}, capacity_result(tmp_path), second)
    assert res.status is Status.FAIL and "of 120.0 req/s per instance, ledger.capacity-eu" in res.summary


def test_capacity_and_cost_through_the_engine(review: Run, limited: Server) -> None:
    # /limited serves at most 100 req/s; the knee is below it, so a million requests at 0.04 an
    # hour and 30% headroom cost at least 0.04 / (70 x 3600) x 1e6 = 0.16.
    capacity = {
        "type": "load.capacity",
        "requests": [{"path": "/limited"}],
        "rate_per_user": 10,
        "start_users": 2,
        "step_factor": 2,
        "max_users": 8,
        "step_duration": "2.5s",
        "settle": "0.5s",
        "thresholds": ["p95 < 150ms", "error_rate < 1%"],
    }
    priced = {"type": "load.cost", "instance_hour_price": 0.04, "max_cost_per_million": 5}
    criteria = [
        crit("api.capacity", capacity, area="performance", timeout="60s"),
        crit("api.cost", priced, area="performance", needs=["api.capacity"]),
        crit("api.cost-tight", {**priced, "max_cost_per_million": 0.1}, needs=["api.capacity"]),
        crit("api.cost-alone", priced),
    ]
    results = {r.criterion_id: r for r in review(criteria, base_url=limited.url).results}
    cap = results["api.capacity"]
    assert cap.status is Status.PASS, cap.summary
    knee = next(m.value for m in cap.measurements if m.name == "knee_rps")
    ok = results["api.cost"]
    assert ok.status is Status.PASS, ok.summary
    assert next(m.value for m in ok.measurements if m.name == "knee_rps") == knee
    expected = 0.04 / (knee * 0.7 * 3600) * 1e6
    assert next(m.value for m in ok.measurements if m.name == "cost_per_million") == pytest.approx(
        expected, rel=0.01
    )
    assert results["api.cost-tight"].status is Status.FAIL
    assert results["api.cost-alone"].status is Status.NO_DATA


# -- validation --------------------------------------------------------------------------------

SPEC = """\
service: {name: ledger}
environments:
  staging: {base_url: "http://127.0.0.1:9"}
criteria:
  - id: ledger.capacity
    title: Capacity is known
    area: performance
    tier: should
    check:
      type: load.capacity
      requests: [{path: /balance}]
      rate_per_user: 20
      start_users: 10
      max_users: 40
      step_duration: 10s
      thresholds: [p95 < 100ms]
      plan: {current_rps: 120, unit_cost: 62, instance_hour_price: 0.085}
  - id: ledger.cost
    title: Cost per million requests within budget
    area: performance
    tier: nice
    check: {type: load.cost, instance_hour_price: 0, max_cost_per_million: 0.15}
"""


def _validate(tmp_path: Path, text: str) -> tuple[int, list[str]]:
    (tmp_path / "golive.yaml").write_text(text)
    result = CliRunner().invoke(app, ["validate", str(tmp_path)])
    return result.exit_code, [line.replace(str(tmp_path) + "/", "") for line in result.output.splitlines()]


def test_bad_prices_are_spec_errors_at_their_place(tmp_path: Path) -> None:
    code, lines = _validate(tmp_path, SPEC)
    assert code == 2, lines
    plan_line = SPEC.splitlines().index(
        "      plan: {current_rps: 120, unit_cost: 62, instance_hour_price: 0.085}"
    )
    cost_line = SPEC.splitlines().index(
        "    check: {type: load.cost, instance_hour_price: 0, max_cost_per_million: 0.15}"
    )
    text = "\n".join(lines)
    assert re.search(
        rf"golive\.yaml:{plan_line + 1}:\d+: .*give unit_cost .* or instance_hour_price, not both", text
    )
    assert re.search(rf"golive\.yaml:{cost_line + 1}:\d+: load\.cost check: .*instance_hour_price", text), (
        text
    )
    assert "greater than 0" in text


def test_a_cost_without_its_capacity_need_is_a_warning(tmp_path: Path) -> None:
    fixed = SPEC.replace("unit_cost: 62, ", "").replace(
        "instance_hour_price: 0,", "instance_hour_price: 0.085,"
    )
    code, lines = _validate(tmp_path, fixed)
    assert code == 0, lines
    cost_line = fixed.splitlines().index("  - id: ledger.cost") + 1
    (warning,) = [line for line in lines if line.startswith("warning:")]
    assert re.match(
        rf"warning: golive\.yaml:{cost_line}:5: ledger\.cost: needs no load\.capacity criterion", warning
    )
    needing = fixed.replace("    tier: nice\n", "    tier: nice\n    needs: [ledger.capacity]\n")
    code, lines = _validate(tmp_path, needing)
    assert code == 0 and not [line for line in lines if line.startswith("warning:")], lines


def test_cost_warnings_name_the_capacity_to_price() -> None:
    from golive.load._params import LoadCostParams
    from golive.load._warnings import cost_warnings

    params = LoadCostParams(instance_hour_price=PRICE, max_cost_per_million=1)
    both = {"a.capacity": "load.capacity", "b.capacity": "load.capacity"}
    (warning,) = cost_warnings(params, Path("."), both)
    assert warning.startswith("needs several load.capacity criteria (a.capacity, b.capacity)")
    named = params.model_copy(update={"capacity": "a.load"})
    assert cost_warnings(named, Path("."), {"a.load": "load.test"}) == [
        "capacity 'a.load' is a load.test check: name a load.capacity criterion"
    ]
    assert "is not in needs" in cost_warnings(named, Path("."), {})[0]


def test_spec_errors_reach_the_loader(review: Run) -> None:
    with pytest.raises(SpecError) as err:
        review([crit("c", {"type": "load.cost", "instance_hour_price": 0.1})])
    assert "max_cost_per_million" in str(err.value.problems[0])


# -- golive plan capacity ----------------------------------------------------------------------


def test_cli_prices_the_plan(tmp_path: Path, snapshot: Any) -> None:
    src = capacity_result(tmp_path).evidence.artifacts[0]
    out = tmp_path / "plan.md"
    args = ["plan", "capacity", "--from", src, "--current-rps", "150", "--growth", "4x", "--headroom", "20%"]
    result = CliRunner().invoke(
        app, [*args, "--instance-hour-price", "0.085", "--currency", "USD", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_text().replace(src, "capacity.json").splitlines() == snapshot
    # The terminal gets the same plan, wrapped to its width.
    assert "0.123 USD at the planned 80% utilisation" in " ".join(result.output.split())
    both = CliRunner().invoke(app, [*args, "--instance-hour-price", "0.085", "--unit-cost", "60"])
    assert both.exit_code == 2 and "not both" in both.output
