"""A single self-contained HTML report: inline CSS, JS and SVG, nothing fetched.

The template is autoescaped: evidence is captured output and may contain markup.
A Content-Security-Policy meta tag forbids every network fetch, so opening the report
cannot leak anything even if a future template change slipped.
"""

from __future__ import annotations

from typing import ClassVar

from golive.reporters._view import STATUS_ORDER, TIER_ORDER, build_view, template_env
from golive.results import Review


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
        return template.render(view=view, states=states, tiers=[t.value for t in TIER_ORDER])


def render_html(review: Review) -> str:
    """The HTML report of a review."""
    return HtmlReporter().render(review)
