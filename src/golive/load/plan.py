"""The capacity plan from the latest ``load.capacity`` result (``golive plan capacity``)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from golive.errors import UsageError
from golive.load._capacity import CapacityPlan, PlanInputs, make_plan
from golive.results import CheckResult


@dataclass(frozen=True, kw_only=True)
class CapacitySource:
    """Where a capacity result came from, and what the plan needs from it."""

    origin: str
    knee_rps: float
    knee_users: int | None
    saturated: str | None
    db_connections_per_instance: float | None
    recorded: dict[str, Any]


def parse_factor(text: str) -> float:
    """``3x``, ``x3``, ``3`` or ``200%`` (as a growth to 2x) → 3.0."""
    t = text.strip().lower()
    m = re.fullmatch(r"x?(\d+(?:\.\d+)?)x?", t)
    if m:
        value = float(m.group(1))
    elif (m := re.fullmatch(r"\+?(\d+(?:\.\d+)?)%", t)) is not None:
        value = 1.0 + float(m.group(1)) / 100.0
    else:
        raise UsageError(f"invalid growth {text!r}: write e.g. 3x or +50%")
    if value <= 0:
        raise UsageError("growth must be positive")
    return value


def parse_percent(text: str) -> float:
    """``30%`` or ``30`` → 0.30."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)%?", text.strip())
    if not m or float(m.group(1)) >= 100:
        raise UsageError(f"invalid headroom {text!r}: write a percentage below 100, e.g. 30%")
    return float(m.group(1)) / 100.0


def from_file(path: Path) -> CapacitySource:
    """Read a ``capacity.json`` written by ``load.capacity``."""
    try:
        data = json.loads(path.read_text())
        result = data["result"]
    except (OSError, ValueError, KeyError) as exc:
        raise UsageError(f"{path}: not a capacity result ({exc})") from None
    knee = result.get("knee")
    if not knee:
        raise UsageError(f"{path}: no step met the SLO, so there is no capacity to plan from")
    sat = result.get("saturation") or {}
    return CapacitySource(
        origin=str(path),
        knee_rps=float(knee["rps"]),
        knee_users=int(knee["users"]),
        saturated=sat.get("name") if sat.get("saturated") else None,
        db_connections_per_instance=result.get("db_connections_at_knee"),
        recorded=dict(data.get("plan_inputs") or {}),
    )


def from_result(result: CheckResult, origin: str) -> CapacitySource:
    """Use the artifact of a stored result when it still exists, else its measurements."""
    for artifact in result.evidence.artifacts:
        if artifact.endswith("capacity.json") and Path(artifact).is_file():
            return from_file(Path(artifact))
    values = {m.name: m.value for m in result.measurements}
    if "knee_rps" not in values:
        raise UsageError(f"{origin}: the load.capacity result has no knee ({result.summary})")
    saturated = None
    match = re.search(r"(\S+) saturated first", result.summary)
    if match:
        saturated = match.group(1)
    return CapacitySource(
        origin=origin,
        knee_rps=values["knee_rps"],
        knee_users=int(values["knee_users"]) if "knee_users" in values else None,
        saturated=saturated,
        db_connections_per_instance=values.get("db_connections_at_knee"),
        recorded={},
    )


def latest_in_dir(reports: Path) -> Path | None:
    """The newest ``capacity.json`` under a reports directory."""
    found = sorted(reports.glob("**/capacity.json"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


def plan_from(
    source: CapacitySource,
    *,
    current_rps: float | None,
    growth: float | None,
    headroom: float | None,
    unit_cost: float | None,
    currency: str | None,
    db_max_connections: float | None,
    instance_hour_price: float | None = None,
) -> CapacityPlan:
    """Combine a capacity result with today's traffic and the growth to plan for.

    A price given here (hourly or monthly) replaces the one recorded with the result.
    """
    rec = source.recorded
    current = current_rps if current_rps is not None else rec.get("current_rps")
    if current is None:
        raise UsageError(
            "current production traffic unknown: pass --current-rps (or give load.capacity a plan)"
        )
    if unit_cost is not None and instance_hour_price is not None:
        raise UsageError("give --instance-hour-price or --unit-cost (per instance-month), not both")
    if unit_cost is None and instance_hour_price is None:
        unit_cost, instance_hour_price = rec.get("unit_cost"), rec.get("instance_hour_price")
    return make_plan(
        PlanInputs(
            knee_rps=source.knee_rps,
            current_rps=float(current),
            growth=growth if growth is not None else float(rec.get("growth", 3.0)),
            headroom=headroom if headroom is not None else float(rec.get("headroom", 0.3)),
            db_connections_per_instance=source.db_connections_per_instance,
            db_max_connections=db_max_connections
            if db_max_connections is not None
            else rec.get("db_max_connections"),
            unit_cost=unit_cost,
            instance_hour_price=instance_hour_price,
            currency=currency or str(rec.get("currency", "EUR")),
            saturated=source.saturated,
        )
    )
