"""A criterion's `fix` (what to run when it is not met) reaches every report and the risk list."""

from __future__ import annotations

import dataclasses
import json

from golive.reporters.html import HtmlReporter
from golive.reporters.json import report_schema, review_from_json, review_to_json
from golive.reporters.markdown import MarkdownReporter
from golive.reporters.package import build_package
from golive.reporters.terminal import render_terminal
from golive.results import Review
from tests.fixtures.reporters.reviews import make_review

FIX = "golive init runbook"


def _with_fix() -> tuple[Review, str]:
    base = make_review("nogo")
    failing = next(r for r in base.results if not r.passed)
    results = [dataclasses.replace(r, fix=FIX) if r is failing else r for r in base.results]
    return make_review("nogo", results=results), failing.criterion_id


def test_fix_is_shown_next_to_the_criterion_that_is_not_met() -> None:
    review, cid = _with_fix()
    text = render_terminal(review, width=200)
    assert f"fix: {FIX}" in text
    assert f"**Fix:** `{FIX}`" in MarkdownReporter().render(review)
    assert f"fix: <code>{FIX}</code>" in HtmlReporter().render(review)
    (risk,) = [r for r in review.scorecard.risks if r.criterion_id == cid]
    assert risk.fix == FIX


def test_fix_is_in_the_json_report_and_reads_back() -> None:
    import jsonschema

    review, cid = _with_fix()
    text = review_to_json(review)
    data = json.loads(text)
    jsonschema.validate(data, report_schema())
    assert next(r for r in data["results"] if r["criterion_id"] == cid)["fix"] == FIX
    assert next(r for r in data["scorecard"]["risks"] if r["criterion_id"] == cid)["fix"] == FIX
    back = review_from_json(text)
    assert [r.fix for r in back.results] == [r.fix for r in review.results]
    assert [r.fix for r in back.scorecard.risks] == [r.fix for r in review.scorecard.risks]
    # A report written before `fix` existed still reads back (the field is optional).
    for r in data["results"]:
        del r["fix"]
    assert review_from_json(json.dumps(data)).results[0].fix == ""


def test_the_risk_assessment_mitigation_starts_with_the_fix() -> None:
    review, cid = _with_fix()
    package = build_package(review=review)
    (entry,) = [k for k in package.risks if k.criterion_id == cid]
    assert entry.mitigation.startswith(f"{FIX}; then make {cid} pass")
