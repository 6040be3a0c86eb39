"""The markdown readiness review document."""

from __future__ import annotations

import re

import pytest

from golive.reporters.markdown import MarkdownReporter, render_markdown
from tests.fixtures.reporters.hostile import STRUCTURE, elements, hostile_review, render
from tests.fixtures.reporters.reviews import KINDS, SCRIPT_PAYLOAD, make_review


@pytest.mark.parametrize("kind", [*KINDS, "empty"])
def test_snapshot(kind, md_snapshot):
    assert render_markdown(make_review(kind)) == md_snapshot


def test_title_has_service_environment_and_date():
    first = render_markdown(make_review("nogo")).splitlines()[0]
    assert first == "# Production readiness review: storefront (staging), 2024-05-01"


def test_decision_and_blocking_come_before_scores():
    text = render_markdown(make_review("nogo"))
    decision = text.index("## Decision: ❌ NO-GO")
    blocking = text.index("### Blocking criteria")
    scores = text.index("## Scores")
    assert decision < blocking < scores
    listed = re.findall(r"^\d+\. \*\*`([^`]+)`", text[blocking:scores], re.M)
    assert listed == list(make_review("nogo").scorecard.blocking)


def test_go_has_no_blocking_section():
    text = render_markdown(make_review("go"))
    assert "## Decision: ✅ GO" in text
    assert "Blocking criteria" not in text


@pytest.mark.parametrize(
    ("kind", "banner"),
    [
        ("partial", "PARTIAL review (only: monitoring.metrics, monitoring.alerts)"),
        ("interrupted", "INTERRUPTED"),
    ],
)
def test_banners(kind, banner):
    text = render_markdown(make_review(kind))
    assert banner in text
    assert text.index(banner) < text.index("## Decision")
    other = "INTERRUPTED" if kind == "partial" else "PARTIAL review"
    assert other not in text


def test_risks_grouped_by_level_in_order():
    text = render_markdown(make_review("nogo"))
    high, medium, low = (text.index(f"### {lvl} risk") for lvl in ("High", "Medium", "Low"))
    assert high < medium < low
    assert "`dr.restore`" in text[high:medium]
    assert "`monitoring.alerts`" in text[medium:low]
    assert "`docs.api`" in text[low : text.index("## Waivers")]


def test_waivers_list_expired_ones_marked():
    text = render_markdown(make_review("nogo"))
    waivers = text[text.index("## Waivers") : text.index("## Warnings")]
    assert "| `performance.p95` |" in waivers and "| active |" in waivers
    expired_row = next(line for line in waivers.splitlines() if "`cicd.pipeline`" in line)
    assert "**expired**" in expired_row
    # the pipe in the reason must not split the table cell
    assert expired_row.count(" | ") == 4


def test_launch_checklist_boxes_follow_passed():
    review = make_review("nogo")
    text = render_markdown(review)
    checklist = text[text.index("## Launch checklist") :]
    unchecked = re.findall(r"^- \[ \] `([^`]+)`", checklist, re.M)
    checked = re.findall(r"^- \[x\] `([^`]+)`", checklist, re.M)
    assert unchecked == [r.criterion_id for r in review.results if not r.passed]
    assert checked == [r.criterion_id for r in review.results if r.passed]
    assert "performance.p95" in checked  # waived counts as passed


def test_evidence_blocks_survive_backticks_and_blank_lines():
    text = render_markdown(make_review("nogo"))
    # the excerpt contains ``` so its fence must be longer, and its blank lines kept
    assert "````text\nHTTP/1.1 200 OK" in text
    assert "not a fence end\n\n\n# HELP" in text
    assert SCRIPT_PAYLOAD in text.split("````text", 1)[1]  # verbatim inside the code block
    assert "\x1b" not in text and "\x00" not in text


def test_raw_html_outside_code_blocks_is_escaped():
    review = make_review("go", warnings=(f"odd output {SCRIPT_PAYLOAD}",))
    text = render_markdown(review)
    assert f"- `odd output {SCRIPT_PAYLOAD}`" in text  # a code span: shown, never run
    assert "script" not in elements(render(text))


def test_text_from_the_service_and_the_spec_never_renders_as_markdown():
    html = render(render_markdown(hostile_review()))
    # only the report's own structure: no image, link, emphasis, strikethrough or raw HTML
    assert elements(html) <= STRUCTURE
    # each of the 13 fields is still there, readable: in a code span or with its markup escaped
    assert html.count("![x](http://evil.example/pixel.png)") >= 13
    assert "<code>summary ![x](http://evil.example/pixel.png) &lt;img src=" in html
    assert "<code>warn ![x]" in html
    # a table cell keeps its pipe instead of being split: the measurement row has 3 cells
    row = next(r for r in html.split("<tr>") if "m ![x](http://evil.example/pixel.png) &lt;img" in r)
    assert row.count("<td") == 3 and "a|b `` tick`</td>" in row


def test_reporter_attributes():
    assert MarkdownReporter.name == "markdown"
    assert MarkdownReporter.extension == "md"


def test_interrupted_selection_shows_both_banners():
    review = make_review("interrupted", selection=("tier=must",))
    text = render_markdown(review)
    assert "PARTIAL review (only: tier=must)" in text and "INTERRUPTED" in text


def test_partial_without_selection_still_says_partial():
    text = render_markdown(make_review("partial", selection=()))
    assert "**⚠️ PARTIAL review** —" in text
