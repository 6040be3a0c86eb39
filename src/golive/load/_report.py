"""Text for outcomes: statistics tables, threshold lines, measurements."""

from __future__ import annotations

from collections.abc import Sequence

from golive.load._model import TOTAL, LoadRun, Stats, Verdict
from golive.results import Measurement


def ms(value: float | None) -> str:
    """A latency for people."""
    return "—" if value is None else f"{value:.4g}ms"


def stats_table(run: LoadRun, start: float | None = None, end: float | None = None) -> str:
    """One line per request name and a total line."""
    rows = [("request", "reqs", "req/s", "err%", "p50", "p95", "p99", "max", "statuses")]
    for name in (*run.names, TOTAL):
        s = run.window(start, end, name)
        rows.append(
            (
                "TOTAL" if name == TOTAL else name,
                str(s.requests),
                f"{s.rps:.1f}",
                f"{s.error_rate:.2f}",
                ms(s.p50),
                ms(s.p95),
                ms(s.p99),
                ms(s.max),
                " ".join(f"{code or 'conn-err'}:{n}" for code, n in s.statuses),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)


def _unit(metric: str) -> str:
    if metric.startswith("p") or metric in ("avg", "max", "min"):
        return "ms"
    return {"error_rate": "%", "rps": " req/s"}.get(metric, "")


def verdict_line(v: Verdict) -> str:
    """``p95 < 300ms (measured 120ms)``, or why it was not judged."""
    if not v.judged or v.measured is None:
        return f"{v.threshold.label} (not judged: {v.samples} samples, needs {v.threshold.needed})"
    return f"{v.threshold.label} (measured {v.measured:.4g}{_unit(v.threshold.metric)})"


def verdict_lines(verdicts: Sequence[Verdict]) -> str:
    """``✓ p95 < 300ms (measured 120ms)``, ``✗ ...`` for a breach, ``? ...`` when not judged."""
    marks = {"pass": "✓", "fail": "✗", "no-data": "?"}
    return "\n".join(f"{marks[v.status]} {verdict_line(v)}" for v in verdicts)


def judgement(
    verdicts: Sequence[Verdict], fix: str = "raise duration or users"
) -> tuple[list[str], list[str]]:
    """``(breaches, shortfalls)``: the measured misses, and the thresholds too few requests had."""
    breaches = [verdict_line(v) for v in verdicts if v.breached]
    shortfalls = [v.shortfall(fix) for v in verdicts if not v.judged]
    return breaches, shortfalls


def stats_measurements(s: Stats, prefix: str = "") -> list[Measurement]:
    """Standard measurements of an aggregate."""
    out = [
        Measurement(name=f"{prefix}requests", value=float(s.requests)),
        Measurement(name=f"{prefix}rps", value=round(s.rps, 2), unit="req/s"),
        Measurement(name=f"{prefix}error_rate", value=round(s.error_rate, 3), unit="%"),
    ]
    for label, value in (("p50", s.p50), ("p95", s.p95), ("p99", s.p99), ("max", s.max)):
        if value is not None:
            out.append(Measurement(name=f"{prefix}{label}", value=value, unit="ms"))
    return out


def threshold_measurements(verdicts: Sequence[Verdict]) -> list[Measurement]:
    """One measurement per judged threshold, with the threshold as its target."""
    return [
        Measurement(
            name=f"{v.threshold.metric}" + (f"[{v.threshold.request}]" if v.threshold.request else ""),
            value=round(v.measured, 3),
            unit="%"
            if v.threshold.metric == "error_rate"
            else "req/s"
            if v.threshold.metric == "rps"
            else "ms",
            target=v.threshold.text,
        )
        for v in verdicts
        if v.judged and v.measured is not None
    ]
