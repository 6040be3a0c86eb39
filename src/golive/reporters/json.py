"""The machine-readable report: the whole review as one JSON document.

The document is ``{"schema_version": 1, "kind": "golive.review", <review fields>,
"decision": ..., "duration_s": ...}``; ``docs/report-json.md`` describes every field and
``report.schema.json`` (next to this module) is its JSON Schema. Derived values
(``decision``, ``duration_s``, each result's ``passed``, each score's ``percent`` and
``met``) are written for consumers' convenience and ignored when reading back.
"""

from __future__ import annotations

import copy
import json
import math
from importlib import resources
from typing import Any, ClassVar

from golive._serialize import from_jsonable, to_jsonable
from golive.reporters.base import ReporterError
from golive.results import Review

SCHEMA_VERSION = 1
KIND = "golive.review"


def review_to_dict(review: Review) -> dict[str, Any]:
    """The review as the JSON report's top-level object."""
    body: dict[str, Any] = to_jsonable(review)
    scorecard = body["scorecard"]
    for tier_dict, tier in zip(scorecard["tiers"], review.scorecard.tiers, strict=True):
        tier_dict["percent"] = tier.percent
        tier_dict["met"] = tier.met
    for area_dict, area in zip(scorecard["areas"], review.scorecard.areas, strict=True):
        area_dict["percent"] = area.percent
    for goal_dict, goal in zip(scorecard["goals"], review.scorecard.goals, strict=True):
        goal_dict["passed"] = goal.passed
    for result_dict, result in zip(body["results"], review.results, strict=True):
        result_dict["passed"] = result.passed
        for m in result_dict["measurements"]:
            if not math.isfinite(m["value"]):
                # JSON has no NaN or infinity: write them as the strings float() reads back.
                m["value"] = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}[str(m["value"])]
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": KIND,
        **body,
        "decision": review.decision.value,
        "duration_s": review.duration_s,
    }


def review_to_json(review: Review) -> str:
    """The JSON report: stable key order, two-space indent, UTF-8 text, trailing newline."""
    text = json.dumps(review_to_dict(review), indent=2, ensure_ascii=False, allow_nan=False)
    return text + "\n"


def review_from_dict(data: Any) -> Review:
    """Rebuild a review from a parsed JSON report; ReporterError when it is not one."""
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise ReporterError(f"not a golive review report (expected kind {KIND!r})")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ReporterError(
            f"unsupported review report schema_version {version!r} "
            f"(this golive reads version {SCHEMA_VERSION})"
        )
    data = copy.deepcopy(data)
    try:
        for result in data.get("results", ()):
            for m in result.get("measurements", ()):
                if isinstance(m.get("value"), str):
                    m["value"] = float(m["value"])
        return from_jsonable(Review, data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ReporterError(f"malformed review report: {exc!r}") from exc


def review_from_json(text: str | bytes) -> Review:
    """Read back a review written by :func:`review_to_json`."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ReporterError(f"review report is not valid JSON: {exc}") from exc
    return review_from_dict(data)


def report_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the JSON report."""
    text = resources.files("golive.reporters").joinpath("report.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


class JsonReporter:
    """Renders the review as JSON (``readiness-report.json``)."""

    name: ClassVar[str] = "json"
    extension: ClassVar[str] = "json"

    def render(self, review: Review) -> str:
        """The JSON document."""
        return review_to_json(review)
