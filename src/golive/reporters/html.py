"""A single self-contained HTML report: inline CSS, JS and SVG, nothing fetched.

The template is autoescaped: evidence is captured output and may contain markup.
A Content-Security-Policy meta tag forbids every network fetch, so opening the report
cannot leak anything even if a future template change slipped.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import ClassVar

from golive.reporters._critical import CAUSE_LABEL, critical_path
from golive.reporters._view import STATUS_ORDER, TIER_ORDER, build_view, template_env
from golive.results import Review

#: Charts larger than this stay links: the report must stay light enough to mail around.
MAX_INLINE_CHART = 512 * 1024


def inline_charts(review: Review) -> dict[str, list[tuple[str, str]]]:
    """SVG charts among each result's artifacts, as (name, data URI) to show inline.

    Shown through ``<img>``, an SVG cannot run scripts, and the CSP allows only ``data:``
    images, so the report stays self-contained and inert. A chart that is gone or too
    large is simply left as a listed artifact.
    """
    charts: dict[str, list[tuple[str, str]]] = {}
    for result in review.results:
        for artifact in result.evidence.artifacts:
            path = Path(artifact)
            if path.suffix.lower() != ".svg":
                continue
            try:
                if path.stat().st_size > MAX_INLINE_CHART:
                    continue
                data = path.read_bytes()
            except OSError:
                continue
            uri = "data:image/svg+xml;base64," + base64.b64encode(data).decode("ascii")
            charts.setdefault(result.criterion_id, []).append((path.name, uri))
    return charts


class HtmlReporter:
    """Renders the review as one HTML page (``readiness-report.html``)."""

    name: ClassVar[str] = "html"
    extension: ClassVar[str] = "html"

    def render(self, review: Review) -> str:
        """The HTML document."""
        view = build_view(review)
        order = [s.value for s in STATUS_ORDER] + ["waived"]
        counts: dict[str, int] = {}
        for v in view.results:
            counts[v.state] = counts.get(v.state, 0) + 1
        states = [(s, counts[s]) for s in order if s in counts]
        template = template_env(html=True).get_template("report.html.j2")
        return template.render(
            view=view,
            states=states,
            tiers=[t.value for t in TIER_ORDER],
            charts=inline_charts(review),
            critical=critical_path(review),
            cause_label=CAUSE_LABEL,
        )


def render_html(review: Review) -> str:
    """The HTML report of a review."""
    return HtmlReporter().render(review)
