"""The JUnit XML report."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

import pytest

from golive.reporters.junit import JunitReporter, review_to_junit
from golive.results import Status
from tests.fixtures.reporters.reviews import KINDS, SCRIPT_PAYLOAD, make_review


def _suite(review):
    root = ET.fromstring(review_to_junit(review).encode("utf-8"))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    return root, suites[0]


def test_snapshot(xml_snapshot):
    assert review_to_junit(make_review("nogo")) == xml_snapshot


@pytest.mark.parametrize("kind", [*KINDS, "empty"])
def test_counts_match_statuses(kind):
    review = make_review(kind)
    root, suite = _suite(review)
    cases = suite.findall("testcase")
    assert len(cases) == len(review.results) == int(suite.get("tests"))
    unwaived = [r for r in review.results if not r.waived]
    expect = {
        "failures": sum(r.status is Status.FAIL for r in unwaived),
        "errors": sum(r.status in (Status.ERROR, Status.NO_DATA) for r in unwaived),
        "skipped": sum(r.status in (Status.BLOCKED, Status.SKIPPED) for r in unwaived),
    }
    for attr, n in expect.items():
        assert int(suite.get(attr)) == n == int(root.get(attr))
    assert len(suite.findall("testcase/failure")) == expect["failures"]
    assert len(suite.findall("testcase/error")) == expect["errors"]
    assert len(suite.findall("testcase/skipped")) == expect["skipped"]


def test_testcase_identity_and_outcomes():
    review = make_review("nogo")
    _, suite = _suite(review)
    assert suite.get("name") == "storefront"
    assert suite.get("time") == "42.500"
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    metrics = cases["monitoring.metrics: Metrics endpoint exposes RED metrics"]
    assert metrics.get("classname") == "golive.monitoring"
    assert metrics.get("time") == "0.123"
    failure = metrics.find("failure")
    assert failure is not None and failure.get("message").startswith("GET /metrics answered 200")
    assert SCRIPT_PAYLOAD in failure.text  # escaped on the wire, intact once parsed
    nodata = cases["monitoring.alerts: Alert rules fire on SLO burn"].find("error")
    assert nodata is not None and nodata.get("type") == "no-data"
    blocked = cases["security.tls: TLS on every public endpoint"].find("skipped")
    assert blocked is not None and "depends on monitoring.metrics" in blocked.get("message")
    props = {p.get("name"): p.get("value") for p in suite.findall("properties/property")}
    assert props["decision"] == "NO-GO" and props["environment"] == "staging"


def test_waived_failure_passes_with_note():
    _, suite = _suite(make_review("nogo"))
    case = next(c for c in suite.findall("testcase") if c.get("name").startswith("performance.p95"))
    assert case.find("failure") is None and case.find("error") is None
    assert case.find("skipped") is None
    out = case.find("system-out").text
    assert out.startswith("WAIVED (fail): Staging is undersized")
    assert "expires: 2099-12-31" in out


def test_expired_waiver_still_fails():
    _, suite = _suite(make_review("nogo"))
    case = next(c for c in suite.findall("testcase") if c.get("name").startswith("cicd.pipeline"))
    assert case.find("failure") is not None


def test_hostile_text_stays_valid_xml():
    review = make_review("nogo")
    nasty = "a]]>b & <c> \"d\" 'e' \x1b[1mbold\x1b[0m \x00\x07\x0c\ud800 é ✓"
    first = dataclasses.replace(review.results[1], title=nasty, summary=nasty, area="x&y", reproducer=nasty)
    review = make_review("nogo", results=(first,), service=f"svc {nasty}")
    text = review_to_junit(review)
    root = ET.fromstring(text.encode("utf-8"))  # raises on invalid XML
    case = root.find("testsuite/testcase")
    assert case.get("classname") == "golive.x&y"
    assert "a]]>b & <c>" in case.get("name")
    assert "\x1b" not in text and "\x00" not in text


def test_reporter_attributes():
    assert (JunitReporter.name, JunitReporter.extension) == ("junit", "junit.xml")
