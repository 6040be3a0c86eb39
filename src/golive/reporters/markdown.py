"""The production readiness review document, in markdown."""

from __future__ import annotations

import re
from typing import ClassVar

from golive.reporters._view import build_view, template_env
from golive.results import Review

_FENCE = re.compile(r"^(`{3,})")


def _collapse_blank_lines(text: str) -> str:
    """Squeeze runs of blank lines left by optional sections, but never inside code blocks."""
    out: list[str] = []
    fence: str | None = None
    for line in text.split("\n"):
        m = _FENCE.match(line)
        if fence is None:
            if m:
                fence = m.group(1)
            elif line.strip() == "" and out and out[-1].strip() == "":
                continue
        elif line.rstrip() == fence:
            fence = None
        out.append(line)
    return "\n".join(out).strip("\n") + "\n"


class MarkdownReporter:
    """Renders the readiness review as a markdown document (``readiness-report.md``)."""

    name: ClassVar[str] = "markdown"
    extension: ClassVar[str] = "md"

    def render(self, review: Review) -> str:
        """The whole review document."""
        template = template_env(html=False).get_template("report.md.j2")
        return _collapse_blank_lines(template.render(view=build_view(review)))


def render_markdown(review: Review) -> str:
    """The markdown review document for a review."""
    return MarkdownReporter().render(review)
