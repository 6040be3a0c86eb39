"""The review as JUnit XML, so CI systems show each criterion as a test case.

One ``<testsuite>`` named after the service (inside a ``<testsuites>`` root), one
``<testcase>`` per criterion: ``fail`` becomes ``<failure>``, ``error`` and ``no-data``
become ``<error>``, ``blocked`` and ``skipped`` become ``<skipped>``. A waived criterion
passes, with the waiver noted in ``<system-out>``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import ClassVar

from golive.reporters._view import clean_text, fmt_datetime, fmt_measurement
from golive.results import CheckResult, Review, Status, WaiverRecord

_FAILURE = {Status.FAIL}
_ERROR = {Status.ERROR, Status.NO_DATA}
_SKIPPED = {Status.BLOCKED, Status.SKIPPED}


def _t(value: object) -> str:
    """Text fit for XML 1.0: ElementTree escapes markup, this removes what XML forbids."""
    return clean_text(value)


def _seconds(value: float) -> str:
    return f"{max(value, 0.0):.3f}"


def _details(result: CheckResult) -> str:
    """The evidence of a result as plain text, for failure bodies and system-out."""
    lines = [f"{result.status.value}: {result.summary}"]
    if result.measurements:
        lines.append("")
        lines.append("Measurements:")
        for m in result.measurements:
            target = f" (target {m.target})" if m.target else ""
            lines.append(f"  {m.name}: {fmt_measurement(m)}{target}")
    if result.reproducer:
        lines += ["", "Reproduce:", *("  " + line for line in result.reproducer.splitlines())]
    if result.evidence.excerpt:
        lines += ["", "Evidence:", result.evidence.excerpt.rstrip("\n")]
    if result.evidence.artifacts:
        lines += ["", "Artifacts:", *(f"  {a}" for a in result.evidence.artifacts)]
    if result.risk:
        lines += ["", f"Risk: {result.risk}"]
    return _t("\n".join(lines))


def _waiver_note(result: CheckResult, waiver: WaiverRecord | None) -> str:
    note = f"WAIVED ({result.status.value}): {result.waiver_reason or 'no reason given'}"
    if waiver is not None:
        note += f" [owner: {waiver.owner or '-'}, expires: {waiver.expires}]"
    return note


def review_to_junit(review: Review) -> str:
    """The JUnit XML document for a review."""
    waivers = {w.criterion_id: w for w in review.waivers}
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    root = ET.Element("testsuites", name=_t(f"golive {review.service}"))
    suite = ET.SubElement(
        root,
        "testsuite",
        name=_t(review.service),
        timestamp=review.started_at.isoformat(),
        time=_seconds(review.duration_s),
    )
    props = ET.SubElement(suite, "properties")
    for name, value in (
        ("environment", review.environment),
        ("spec_path", review.spec_path),
        ("decision", review.decision.value),
        ("readiness", f"{review.scorecard.readiness:.1f}"),
        ("partial", str(review.partial).lower()),
        ("interrupted", str(review.interrupted).lower()),
        ("selection", ",".join(review.selection)),
        ("started_at", fmt_datetime(review.started_at)),
        ("golive_version", review.golive_version),
    ):
        ET.SubElement(props, "property", name=name, value=_t(value))

    for result in review.results:
        counts["tests"] += 1
        case = ET.SubElement(
            suite,
            "testcase",
            classname=_t(f"golive.{result.area}"),
            name=_t(f"{result.criterion_id}: {result.title}"),
            time=_seconds(result.duration_s),
        )
        details = _details(result) + _t(
            f"\n\ntier: {result.tier.value}, check: {result.check_type}"
            + (f", owner: {result.owner}" if result.owner else "")
        )
        if result.waived and result.status is not Status.PASS:
            note = _waiver_note(result, waivers.get(result.criterion_id))
            ET.SubElement(case, "system-out").text = _t(note) + "\n\n" + details
        elif result.status in _FAILURE:
            counts["failures"] += 1
            el = ET.SubElement(case, "failure", message=_t(result.summary), type="fail")
            el.text = details
        elif result.status in _ERROR:
            counts["errors"] += 1
            el = ET.SubElement(case, "error", message=_t(result.summary), type=result.status.value)
            el.text = details
        elif result.status in _SKIPPED:
            counts["skipped"] += 1
            message = result.summary
            if not message.lower().startswith(result.status.value):
                message = f"{result.status.value}: {message}"
            ET.SubElement(case, "skipped", message=_t(message))
            ET.SubElement(case, "system-out").text = details
        else:
            ET.SubElement(case, "system-out").text = details

    if review.warnings:
        ET.SubElement(suite, "system-err").text = _t("\n".join(review.warnings))
    for key, count in counts.items():
        suite.set(key, str(count))
        root.set(key, str(count))
    root.set("time", _seconds(review.duration_s))
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


class JunitReporter:
    """Renders the review as JUnit XML (``readiness-report.junit.xml``)."""

    name: ClassVar[str] = "junit"
    extension: ClassVar[str] = "junit.xml"

    def render(self, review: Review) -> str:
        """The JUnit XML document."""
        return review_to_junit(review)
