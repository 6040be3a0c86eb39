"""Charts of a load run: self-contained SVG files and text sparklines for report excerpts."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from golive.load._model import LoadRun

_BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float | None]) -> str:
    """Unicode sparkline; gaps (``None``) show as spaces."""
    known = [v for v in values if v is not None]
    if not known:
        return ""
    lo, hi = min(known), max(known)
    span = (hi - lo) or 1.0
    return "".join(" " if v is None else _BARS[int((v - lo) / span * (len(_BARS) - 1))] for v in values)


def per_second(run: LoadRun) -> list[tuple[int, int, float, float | None, float | None]]:
    """``(t, users, rps, p95_ms, error_rate_%)`` for every second of the run."""
    rows = []
    for s in run.seconds:
        total = s.total
        rows.append(
            (
                s.t - int(run.started),
                s.users,
                float(total.requests),
                total.histogram.percentile(95),
                100.0 * total.failures / total.requests if total.requests else None,
            )
        )
    return rows


def text_chart(run: LoadRun) -> str:
    """Throughput and p95 over time as two sparklines, for a report excerpt."""
    rows = per_second(run)
    if not rows:
        return "no requests were measured"
    rps = [r[2] for r in rows]
    p95 = [r[3] for r in rows]
    top_p95 = max((v for v in p95 if v is not None), default=0.0)
    return (
        f"req/s per second ({min(rps):.0f}..{max(rps):.0f}): {sparkline(rps)}\n"
        f"p95 ms per second (..{top_p95:.0f}):   {sparkline(p95)}"
    )


def _polyline(points: Sequence[tuple[float, float]], color: str) -> str:
    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    return f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{coords}"/>'


def _svg(title: str, x_label: str, series: Sequence[tuple[str, str, Sequence[tuple[float, float]]]]) -> str:
    width, height, pad = 720, 300, 50
    xs = [x for _, _, pts in series for x, _ in pts] or [0.0, 1.0]
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<text x="{pad}" y="20" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#888"/>',
        f'<text x="{width / 2:.0f}" y="{height - 15}" text-anchor="middle">{escape(x_label)}</text>',
        f'<text x="{pad}" y="{height - pad + 15}">{x0:g}</text>',
        f'<text x="{width - pad}" y="{height - pad + 15}" text-anchor="end">{x1:g}</text>',
    ]
    for i, (label, color, pts) in enumerate(series):
        if not pts:
            continue
        ys = [y for _, y in pts]
        top = max(ys) or 1.0

        def sx(x: float) -> float:
            return pad + (x - x0) / (x1 - x0) * (width - 2 * pad)

        def sy(y: float, top: float = top) -> float:
            return height - pad - y / top * (height - 2 * pad - 20)

        parts.append(_polyline([(sx(x), sy(y)) for x, y in pts], color))
        parts.append(
            f'<text x="{pad + 10 + i * 240}" y="38" fill="{color}">{escape(label)} (max {top:.4g})</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def timeline_svg(run: LoadRun, title: str) -> str:
    """Throughput, p95 latency and users per second (each scaled to its own maximum)."""
    rows = per_second(run)
    return _svg(
        title,
        "seconds since start",
        [
            ("requests/s", "#1f77b4", [(r[0], r[2]) for r in rows]),
            ("p95 ms", "#d62728", [(r[0], r[3]) for r in rows if r[3] is not None]),
            ("users", "#2ca02c", [(r[0], float(r[1])) for r in rows]),
        ],
    )


def curve_svg(points: Sequence[tuple[float, float, float]], title: str) -> str:
    """Latency against throughput: ``(rps, p95_ms, p99_ms)`` per capacity step."""
    ordered = sorted(points)
    return _svg(
        title,
        "throughput (requests/s)",
        [
            ("p95 ms", "#d62728", [(x, p95) for x, p95, _ in ordered]),
            ("p99 ms", "#9467bd", [(x, p99) for x, _, p99 in ordered]),
        ],
    )
