"""Formatting helpers and the view of a review that the text reporters share.

Everything a template needs is computed here, so the templates stay declarative and
the markdown, HTML and terminal reports agree on wording, ordering and number format.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

import jinja2

from golive.results import (
    CheckResult,
    GoalResult,
    Measurement,
    Review,
    Risk,
    RiskItem,
    Status,
    Tier,
    WaiverRecord,
)

STATUS_ORDER: tuple[Status, ...] = tuple(Status)
TIER_ORDER: tuple[Tier, ...] = tuple(Tier)
RISK_ORDER: tuple[Risk, ...] = (Risk.HIGH, Risk.MEDIUM, Risk.LOW)

STATUS_ICON: dict[Status, str] = {
    Status.PASS: "✅",
    Status.FAIL: "❌",
    Status.ERROR: "💥",
    Status.NO_DATA: "❔",
    Status.BLOCKED: "⛔",
    Status.SKIPPED: "⏭️",
}
WAIVED_ICON = "🟡"


def fmt_percent(value: float) -> str:
    """A percentage with one decimal: ``66.7%``."""
    return f"{value:.1f}%"


def fmt_threshold(value: float) -> str:
    """A tier threshold without needless decimals: ``80%``, ``62.5%``."""
    return f"{value:g}%"


def fmt_number(value: float) -> str:
    """A measured value, short but without losing what matters."""
    if math.isnan(value) or math.isinf(value):
        return str(value)
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    if abs(value) >= 1:
        return f"{value:.3f}".rstrip("0").rstrip(".")
    return f"{value:.3g}"


def fmt_measurement(m: Measurement) -> str:
    """A measurement's value with its unit: ``120 ms``, ``99.5%``."""
    number = fmt_number(m.value)
    if not m.unit:
        return number
    if m.unit == "%":
        return f"{number}%"
    return f"{number} {m.unit}"


def fmt_duration(seconds: float) -> str:
    """A duration for people: ``0.25 s``, ``12.3 s``, ``4 min 05 s``, ``1 h 02 min``."""
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def fmt_datetime(value: datetime) -> str:
    """A timestamp in UTC to the second: ``2024-05-01 12:00:00 UTC`` (naive: as given)."""
    if value.tzinfo is None:
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def fmt_date(value: datetime) -> str:
    """The calendar date of a timestamp (UTC when the timestamp is aware)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d")


_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def clean_text(value: object) -> str:
    """Captured output made fit for a document: no ANSI escapes, no control characters.

    Colour codes are removed, CRLF becomes LF, and any other character that is not
    printable text (or not allowed in XML) becomes U+FFFD.
    """
    text = _ANSI.sub("", str(value)).replace("\r\n", "\n").replace("\r", "\n")
    return _UNPRINTABLE.sub("\ufffd", text)


# Every character that can open inline markup: code, emphasis, link, image, raw HTML,
# autolink, strikethrough, a table cell's end. The rest only where they would act: `_` at a
# word's edge (inside a word it never emphasises), `&` starting an entity, a run of `#`
# standing alone (a heading's closing sequence).
_MD_ESCAPE = re.compile(
    r"[\\`*\[\]<|~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|&(?=#?[A-Za-z0-9]+;)|(?<!\S)#(?=#*(?:\s|$))"
)
# What turns the start of a line into a block: a bullet or ordered list item, a thematic break.
_MD_BLOCK_START = re.compile(r"^(?:[-+]|\d{1,9}(?=[.)](?:\s|$)))")


def md_text(value: object) -> str:
    """Text from a spec made literal inline in markdown (and in a table cell): one line.

    Every character that could start markup is backslash-escaped (CommonMark renders the
    character itself), so a title reads as written and can never become an image, a link
    or raw HTML.
    """
    text = " ".join(clean_text(value).split())
    text = _MD_ESCAPE.sub(lambda m: "\\" + m.group(0), text)
    # The text may start a list item's line ("- {{ w | md }}"): "1." must not open a list.
    return _MD_BLOCK_START.sub(_escape_block_start, text, count=1)


def _escape_block_start(m: re.Match[str]) -> str:
    marker = m.group(0)
    return marker + "\\" if marker[0].isdigit() else "\\" + marker


def md_code(value: object, *, cell: bool = False) -> str:
    """Text from a checked service as one inline code span: shown verbatim, never rendered.

    The span's fence is longer than any backtick run inside, and padded with a space when
    the text starts or ends with a backtick, so nothing inside can close it early. In a
    table cell (``cell=True``) ``|`` is escaped, which GFM undoes before it reads the span.
    Empty text gives an empty string (an empty span would show its backticks).
    """
    text = " ".join(clean_text(value).split())
    if not text:
        return ""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    if cell:
        text = text.replace("|", "\\|")
    return f"{fence}{pad}{text}{pad}{fence}"


def md_fence(text: str, lang: str = "") -> str:
    """A fenced code block that no backtick run inside the text can close early."""
    text = clean_text(text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    body = text.rstrip("\n")
    return f"{fence}{lang}\n{body}\n{fence}"


@dataclass(frozen=True, kw_only=True)
class ResultView:
    """One criterion's result with the extra facts reports show next to it."""

    result: CheckResult
    blocking: bool
    waiver: WaiverRecord | None
    #: The goal this criterion proves, when the spec declares goals.
    goal: GoalResult | None = None

    @property
    def tier_label(self) -> str:
        """The tier that decides: the goal's (with its title) when there are goals."""
        if self.goal is None:
            return self.result.tier.value
        return f"{self.goal.tier.value}, goal: {self.goal.title}"

    @property
    def id(self) -> str:
        return self.result.criterion_id

    @property
    def state(self) -> str:
        """``waived`` for a waived non-passing criterion, otherwise the status value."""
        if self.result.waived and self.result.status is not Status.PASS:
            return "waived"
        return self.result.status.value

    @property
    def icon(self) -> str:
        return WAIVED_ICON if self.state == "waived" else STATUS_ICON[self.result.status]


@dataclass(frozen=True, kw_only=True)
class GoalView:
    """A goal with the results of its criteria beneath it."""

    goal: GoalResult
    results: tuple[ResultView, ...]

    @property
    def icon(self) -> str:
        return STATUS_ICON[Status.PASS] if self.goal.passed else STATUS_ICON[Status.FAIL]

    @property
    def passed_count(self) -> int:
        return len(self.goal.criteria) - len(self.goal.failing)


@dataclass(frozen=True, kw_only=True)
class ReviewView:
    """A review arranged for reporting."""

    review: Review
    results: tuple[ResultView, ...]
    blocking: tuple[ResultView, ...]
    failing: tuple[ResultView, ...]
    risks: dict[Risk, tuple[RiskItem, ...]]
    status_counts: dict[Status, int]
    areas: tuple[str, ...]
    passed: int
    goals: tuple[GoalView, ...] = ()

    @property
    def total(self) -> int:
        return len(self.results)

    @property
    def passed_line(self) -> str:
        """``5 of 7 criteria passed``, or with goals ``4 of 6 goals passed (5 of 7 criteria)``."""
        criteria = f"{self.passed} of {self.total} criteria"
        if not self.goals:
            return f"{criteria} passed"
        ok = sum(1 for g in self.goals if g.goal.passed)
        return f"{ok} of {len(self.goals)} goals passed ({criteria})"

    @property
    def go(self) -> bool:
        return self.review.decision.value == "GO"

    @property
    def partial_label(self) -> str:
        """The PARTIAL banner text, or "" when the review is complete.

        An interrupted review is also partial; without a selection the INTERRUPTED banner
        says all there is to say, so no PARTIAL banner is shown for it.
        """
        r = self.review
        if not r.partial:
            return ""
        if r.selection:
            return f"PARTIAL review (only: {', '.join(r.selection)})"
        return "" if r.interrupted else "PARTIAL review"

    @property
    def title(self) -> str:
        r = self.review
        return f"Production readiness review: {r.service} ({r.environment}), {fmt_date(r.started_at)}"


def build_view(review: Review) -> ReviewView:
    """Arrange a review for the reporters: blocking first, risks by level, counts."""
    waivers = {w.criterion_id: w for w in review.waivers}
    blocking_ids = review.scorecard.blocking
    goal_of = {cid: g for g in review.scorecard.goals for cid in g.criteria}
    results = tuple(
        ResultView(
            result=r,
            blocking=r.criterion_id in blocking_ids,
            waiver=waivers.get(r.criterion_id),
            goal=goal_of.get(r.criterion_id),
        )
        for r in review.results
    )
    by_id = {v.id: v for v in results}
    blocking = tuple(by_id[i] for i in blocking_ids if i in by_id)
    tier_rank = {t: n for n, t in enumerate(TIER_ORDER)}
    failing = tuple(
        sorted(
            (v for v in results if not v.result.passed),
            key=lambda v: (not v.blocking, tier_rank[v.result.tier]),
        )
    )
    risks = {level: tuple(r for r in review.scorecard.risks if r.level is level) for level in RISK_ORDER}
    counts = {s: sum(1 for r in review.results if r.status is s) for s in STATUS_ORDER}
    return ReviewView(
        review=review,
        results=results,
        blocking=blocking,
        failing=failing,
        risks=risks,
        status_counts=counts,
        areas=tuple(a.area for a in review.scorecard.areas),
        passed=sum(1 for r in review.results if r.passed),
        goals=tuple(
            GoalView(goal=g, results=tuple(by_id[c] for c in g.criteria if c in by_id))
            for g in sorted(review.scorecard.goals, key=lambda g: tier_rank[g.tier])
        ),
    )


_FILTERS: dict[str, Callable[..., Any]] = {
    "percent": fmt_percent,
    "threshold": fmt_threshold,
    "number": fmt_number,
    "measurement": fmt_measurement,
    "duration": fmt_duration,
    "datetime": fmt_datetime,
    "date": fmt_date,
    "clean": clean_text,
    "md": md_text,
    "code": md_code,
    "fence": md_fence,
}


@cache
def template_env(*, html: bool) -> jinja2.Environment:
    """The jinja2 environment for the packaged templates (autoescaped for HTML)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("golive.reporters", "templates"),
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(_FILTERS)
    return env
