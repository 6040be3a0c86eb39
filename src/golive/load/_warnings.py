"""``golive validate`` warnings of the load check types: plans that cannot judge their thresholds,
and a ``load.cost`` without the ``load.capacity`` it prices.

A threshold is judged only on enough requests (:attr:`Threshold.needed`); a plan whose users,
duration, task weights and pacing cannot be expected to give a thresholded request that many
gets a warning, so a healthy service is never failed (or left without a verdict) by chance.
"Expected" has a margin: the count of a request is roughly Poisson, so the plan must expect at
least ``n`` with ``n - 3 * sqrt(n) >= needed`` (e.g. 39 for a p95) to fall short less than
about once in a thousand runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from golive.load._params import (
    LoadCapacityParams,
    LoadCostParams,
    LoadSoakParams,
    LoadStressParams,
    LoadTestParams,
    ScenarioParams,
    parse_thresholds,
)
from golive.load._scenario import ScenarioModel, declarative, from_locustfile
from golive.load._thresholds import Threshold, parse_threshold, safe_count


def scenario_model(params: ScenarioParams, base_dir: Path) -> ScenarioModel:
    """The scenario of a check's params: its ``requests`` or its locustfile."""
    if params.locustfile:
        path = Path(params.locustfile)
        return from_locustfile(path if path.is_absolute() else base_dir / path, list(params.user_classes))
    auth = []
    if params.auth is not None:
        auth = ["auth:login"] + (["auth:register"] if params.auth.register_path else [])
    return declarative(
        [(r.name or f"{r.method.upper()} {r.path}", r.weight) for r in params.requests],
        wait=params.wait_range(),
        rate=params.rate_per_user,
        auth=auth,
    )


def _shortfall(
    model: ScenarioModel,
    t: Threshold,
    *,
    users: int,
    seconds: float,
    starts: bool,
) -> tuple[float, float] | str | None:
    """``(expected, safe)`` when ``t`` may lack samples, a message when it never has any."""
    if t.request is not None and t.request not in model.names:
        if not model.complete:
            return None  # some request names are computed: cannot tell
        made = ", ".join(sorted(model.names)) or "none"
        return f"the scenario makes no request named {t.request!r} (it makes: {made}): it can never be judged"
    expected = model.expected(t.request, users=users, seconds=seconds, starts=starts)
    if expected is None:
        return None
    safe = safe_count(t.needed)
    return (expected, safe) if expected < safe else None


def _threshold_warnings(
    model: ScenarioModel,
    thresholds: Sequence[Threshold],
    *,
    users: int,
    seconds: float,
    fix: str,
    starts: bool = True,
) -> list[str]:
    out = []
    for t in thresholds:
        found = _shortfall(model, t, users=users, seconds=seconds, starts=starts)
        if isinstance(found, str):
            out.append(f"{t.label}: {found}")
        elif found is not None:
            expected, safe = found
            out.append(
                f"{t.label}: about {expected:.1f} samples expected in {seconds:g} s with {users} users, "
                f"{t.metric} needs {t.needed} (expect at least {safe:.0f} so that chance never leaves "
                f"it short); {fix}"
            )
    return out


def _common(params: ScenarioParams, base_dir: Path) -> tuple[ScenarioModel, list[str]]:
    model = scenario_model(params, base_dir)
    if model.problem:
        return model, [f"cannot estimate the samples of each request: {model.problem}"]
    return model, []


def _timeout_warning(params: ScenarioParams) -> list[str]:
    if params.request_timeout < params.duration:
        return []
    return [
        f"request_timeout ({params.request_timeout:g} s) is not shorter than duration "
        f"({params.duration:g} s): a request that hangs is never counted as an error; lower request_timeout"
    ]


def _abort_warnings(
    model: ScenarioModel, params: ScenarioParams, thresholds: Sequence[Threshold]
) -> list[str]:
    out = []
    for t in thresholds:
        if not t.abort_on_fail:
            continue
        found = _shortfall(model, t, users=params.users, seconds=t.window_s, starts=False)
        if isinstance(found, tuple):
            out.append(
                f"{t.label}: about {found[0]:.1f} requests expected in its {t.window_s:g} s abort window, "
                f"{t.metric} needs {t.needed}: it will not abort the load; lengthen window"
            )
    return out


def load_test_warnings(params: LoadTestParams | LoadSoakParams, base_dir: Path) -> list[str]:
    """``load.test`` and ``load.soak``: every threshold over the whole run, abort windows, timeout."""
    model, out = _common(params, base_dir)
    thresholds = parse_thresholds(params.thresholds)
    if model.problem:
        return out + _timeout_warning(params)
    active = max(0.0, params.duration - params.ramp_up / 2)
    out += _threshold_warnings(
        model, thresholds, users=params.users, seconds=active, fix="raise duration or users"
    )
    return out + _abort_warnings(model, params, thresholds) + _timeout_warning(params)


def capacity_warnings(params: LoadCapacityParams, base_dir: Path) -> list[str]:
    """``load.capacity``: each step's window must hold enough requests to judge the SLO."""
    model, out = _common(params, base_dir)
    if model.problem:
        return out
    # A step is judged on the whole seconds after its settle time.
    window = max(0.0, params.step_duration - params.settle - 1)
    steps = params.step_users_list()
    short: list[tuple[int, str]] = []
    for users in steps:
        found = _threshold_warnings(
            model, parse_thresholds(params.thresholds), users=users, seconds=window, fix="", starts=False
        )
        short += [(users, f) for f in found]
    if not short:
        return out
    shorted = sorted({u for u, _ in short})
    lead = (
        "no step can"
        if len(shorted) == len(steps)
        else f"the steps at {', '.join(map(str, shorted))} users cannot"
    )
    return [
        *out,
        f"{lead} be expected to have enough requests to judge the SLO in a {window:g} s window "
        f"({short[0][1].rstrip('; ')}); raise step_duration or start_users",
    ]


def stress_warnings(params: LoadStressParams, base_dir: Path) -> list[str]:
    """``load.stress``: the recovery period must hold enough requests to judge recovery."""
    model, out = _common(params, base_dir)
    if model.problem:
        return out
    users = params.recovery_users or max(1, params.users // 10)
    window = max(0.0, params.recovery - min(1.0, params.recovery / 3) - 1)
    thresholds = (
        parse_thresholds(list(params.recovery_thresholds))
        if params.recovery_thresholds
        else (parse_threshold("p95 < 1s"), parse_threshold("error_rate < 5%"))
    )
    return out + _threshold_warnings(
        model, thresholds, users=users, seconds=window, fix="raise recovery or recovery_users", starts=False
    )


def cost_warnings(params: LoadCostParams, base_dir: Path, needs: Mapping[str, str]) -> list[str]:
    """``load.cost``: it prices the knee of a ``load.capacity`` criterion, so it must need one.

    ``needs`` maps each criterion this one needs to its check type (``base_dir`` is unused: the
    check reads no file of its own).
    """
    del base_dir
    fix = "the cost is computed from that criterion's knee"
    if params.capacity is not None:
        ctype = needs.get(params.capacity)
        if ctype is None:
            return [f"capacity {params.capacity!r} is not in needs: add it to needs ({fix})"]
        if ctype != "load.capacity":
            return [f"capacity {params.capacity!r} is a {ctype} check: name a load.capacity criterion"]
        return []
    found = [cid for cid, ctype in needs.items() if ctype == "load.capacity"]
    if not found:
        return [f"needs no load.capacity criterion: add the capacity criterion to needs ({fix})"]
    if len(found) > 1:
        return [
            f"needs several load.capacity criteria ({', '.join(found)}): name the one to price in capacity"
        ]
    return []
