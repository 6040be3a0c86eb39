"""The JSON report: shape, schema, and reading it back."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import jsonschema
import pytest

from golive.reporters.base import ReporterError
from golive.reporters.json import (
    JsonReporter,
    report_schema,
    review_from_json,
    review_to_dict,
    review_to_json,
)
from golive.results import Measurement
from tests.fixtures.reporters.reviews import KINDS, make_review

FIXTURES = Path(__file__).parents[1] / "fixtures" / "reporters"
ALL_KINDS = [*KINDS, "empty"]


@pytest.fixture(scope="module")
def validator():
    schema = report_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_snapshot(json_snapshot):
    assert review_to_json(make_review("nogo")) == json_snapshot


def test_top_level_shape():
    review = make_review("nogo")
    data = json.loads(review_to_json(review))
    keys = list(data)
    assert keys[:2] == ["schema_version", "kind"]
    assert data["schema_version"] == 1 and data["kind"] == "golive.review"
    assert data["decision"] == "NO-GO" == data["scorecard"]["decision"]
    assert data["duration_s"] == 42.5
    fields = {f.name for f in dataclasses.fields(review)}
    assert fields <= set(keys)
    must = data["scorecard"]["tiers"][0]
    assert must == {
        "tier": "must",
        "passed": 1,
        "total": 4,
        "threshold": 100.0,
        "percent": 25.0,
        "met": False,
    }
    assert [r["passed"] for r in data["results"]] == [r.passed for r in review.results]


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_round_trip(kind):
    review = make_review(kind)
    assert review_from_json(review_to_json(review)) == review


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_real_output_matches_schema(kind, validator):
    validator.validate(json.loads(JsonReporter().render(make_review(kind))))


def test_schema_rejects_drift(validator):
    data = review_to_dict(make_review("go"))
    data["results"][0]["status"] = "passed"
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(data)
    data = review_to_dict(make_review("go"))
    data["results"][0]["surprise"] = 1
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(data)


def test_stored_v1_document_reads_and_validates(validator):
    """A stored v1 document stays readable and valid: the format is a contract."""
    text = (FIXTURES / "review-v1.json").read_text("utf-8")
    validator.validate(json.loads(text))
    review = review_from_json(text)
    assert review.service == "storefront"
    assert review.decision.value == "NO-GO"
    assert review.results[0].measurements[0].value == 182.5
    assert review.started_at.tzinfo is not None


def test_non_finite_measurements_round_trip(validator):
    base = make_review("go")
    weird = dataclasses.replace(
        base.results[0],
        measurements=(
            Measurement(name="a", value=math.nan),
            Measurement(name="b", value=math.inf, unit="ms"),
            Measurement(name="c", value=-math.inf),
        ),
    )
    review = make_review("go", results=(weird, *base.results[1:]))
    text = review_to_json(review)
    validator.validate(json.loads(text))  # still strict JSON: no bare NaN
    back = review_from_json(text).results[0].measurements
    assert math.isnan(back[0].value)
    assert back[1].value == math.inf and back[2].value == -math.inf


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"kind": "something.else", "schema_version": 1}', "not a golive review"),
        ("[]", "not a golive review"),
        ('{"kind": "golive.review", "schema_version": 2}', "schema_version 2"),
        ('{"kind": "golive.review", "schema_version": 1, "service": "x"}', "malformed"),
    ],
)
def test_bad_documents_raise_reporter_error(text, message):
    with pytest.raises(ReporterError, match=message):
        review_from_json(text)


def _property_names(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties":
                yield from value
            yield from _property_names(value)
    elif isinstance(node, list):
        for item in node:
            yield from _property_names(item)


def test_every_schema_field_is_documented():
    doc = (Path(__file__).parents[2] / "docs" / "report-json.md").read_text("utf-8")
    missing = {n for n in _property_names(report_schema()) if f"| `{n}` |" not in doc}
    assert missing == set()
