"""``dr.restore_time_estimate``: the drill's measured restore speed applied to production's size.

The drill's numbers come from the drill criterion's result, handed to the check by the engine
because the estimate ``needs`` the drill (:meth:`~golive.kit.CheckContext.result_of`): its
evidence lists the ``drill.json`` the drill wrote.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from golive.dr._params import RestoreEstimateParams, parse_size
from golive.dr._report import REPORT_NAME, load_report
from golive.dr.base import DrError
from golive.kit.check import CheckContext, CheckError
from golive.results import Evidence, Measurement, Outcome, Status

__all__ = ["DrillSample", "Estimate", "drill_sample", "estimate_outcome", "resolved_size"]


def resolved_size(ctx: CheckContext, value: str | float | None) -> float:
    """A size param (``${VAR}`` resolved) in bytes; CheckError when it is not a size."""
    try:
        return parse_size(ctx.resolve(value) if isinstance(value, str) else value)
    except ValueError as exc:
        raise CheckError(str(exc)) from None


@dataclass(frozen=True, kw_only=True)
class DrillSample:
    """What one passed drill measured: the basis of the estimate."""

    criterion_id: str
    restore_bytes_per_s: float
    database_bytes: float
    overhead_s: float
    #: Where the numbers come from, for the summary.
    source: str


def drill_sample(ctx: CheckContext, drill: str) -> DrillSample | str:
    """The drill criterion ``drill``'s measurements, or why there are none to use (no data)."""
    result = ctx.result_of(drill)
    if result.check_type != "dr.drill":
        raise CheckError(f"criterion {drill} is a {result.check_type} check; `drill` names a dr.drill")
    path = next((Path(a) for a in result.evidence.artifacts if Path(a).name == REPORT_NAME), None)
    if path is None:
        return f"drill {drill} left no {REPORT_NAME} in its evidence; no throughput to use"
    try:
        data = load_report(path)
    except DrError as exc:
        raise CheckError(str(exc)) from None
    if data.get("problems") or not data.get("restore_bytes_per_s"):
        return f"drill {drill} did not complete a verified restore; no throughput to use"
    age = time.time() - path.stat().st_mtime
    return DrillSample(
        criterion_id=drill,
        restore_bytes_per_s=float(data["restore_bytes_per_s"]),
        database_bytes=float(data.get("database_bytes") or 0.0),
        overhead_s=float(data.get("overhead_s") or 0.0),
        source=f"drill {drill} ({data.get('started_at')}, {age / 3600:.1f}h ago)",
    )


@dataclass(frozen=True, kw_only=True)
class Estimate:
    """The inputs of one estimate, and where each came from."""

    overhead_s: float
    throughput: float
    source: str
    size: float
    size_from: str


def estimate_outcome(
    estimate: Estimate, params: RestoreEstimateParams, rto: float | None, reproducer: str
) -> Outcome:
    """Estimated RTO = overhead + size / throughput x safety factor, against the RTO objective."""
    restore = estimate.size / estimate.throughput * params.safety_factor
    total = estimate.overhead_s + restore
    measurements = (
        Measurement(
            name="estimated_rto",
            value=round(total, 1),
            unit="s",
            target=f"<= {rto:g}s" if rto is not None else None,
        ),
        Measurement(name="estimated_restore_time", value=round(restore, 1), unit="s"),
        Measurement(name="restore_throughput", value=round(estimate.throughput / 1e6, 3), unit="MB/s"),
        Measurement(name="production_size", value=estimate.size, unit="B"),
    )
    text = (
        f"estimated production RTO {total:.0f}s = overhead {estimate.overhead_s:.1f}s + "
        f"{estimate.size / 1e9:.2f} GB ({estimate.size_from}) / {estimate.throughput / 1e6:.1f} MB/s"
        + (f" × {params.safety_factor:g}" if params.safety_factor != 1.0 else "")
        + f", from {estimate.source}"
    )
    evidence = Evidence(excerpt=text)
    if rto is None:
        return Outcome(
            status=Status.NO_DATA,
            summary=f"{text}; no RTO objective to compare with",
            measurements=measurements,
            evidence=evidence,
            reproducer=reproducer,
        )
    status = Status.PASS if total <= rto else Status.FAIL
    verdict = "within" if status is Status.PASS else "exceeds"
    return Outcome(
        status=status,
        summary=f"{text}: {verdict} the RTO objective {rto:g}s",
        measurements=measurements,
        evidence=evidence,
        reproducer=reproducer,
    )
