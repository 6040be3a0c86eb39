"""Read JUnit XML (pytest, Playwright, Jest, Maven Surefire, ...) into frozen results."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import ParseError

from junitparser import Error, Failure, JUnitXml, Properties, Skipped, TestCase, TestSuite

from golive.testing.base import TestingError


class Verdict(enum.StrEnum):
    """How one test case ended."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"


@dataclass(frozen=True, kw_only=True)
class TestCaseResult:
    """One ``<testcase>``."""

    __test__ = False  # not a pytest test class

    classname: str
    name: str
    verdict: Verdict
    time_s: float = 0.0
    message: str = ""
    details: str = ""
    markers: tuple[str, ...] = ()
    #: What to pass the runner to re-run just this test (pytest: absolute node id).
    rerun_arg: str = ""

    @property
    def id(self) -> str:
        """A stable identity across runs: ``classname::name``."""
        return f"{self.classname}::{self.name}" if self.classname else self.name


def _properties(case: TestCase) -> dict[str, str]:
    found: dict[str, str] = {}
    for props in case.iterchildren(Properties):  # type: ignore[no-untyped-call]
        for prop in props:
            if prop.name is not None:
                found[str(prop.name)] = str(prop.value or "")
    return found


def _cases(node: JUnitXml | TestSuite) -> Iterator[TestCase]:
    for child in node:
        if isinstance(child, TestSuite):
            yield from _cases(child)
        elif isinstance(child, TestCase):
            yield child
    if isinstance(node, TestSuite):
        # Some runners (Jest, Surefire) nest suites inside suites.
        for nested in node.iterchildren(TestSuite):  # type: ignore[no-untyped-call]
            yield from _cases(nested)


def _convert(case: TestCase) -> TestCaseResult:
    props = _properties(case)
    verdict, message, details = Verdict.PASSED, "", ""
    for result in case.result:
        if isinstance(result, Error):
            verdict = Verdict.ERROR
        elif isinstance(result, Failure):
            verdict = Verdict.FAILED
        elif isinstance(result, Skipped):
            verdict = Verdict.SKIPPED
        else:
            continue
        message = str(result.message or result.type or "")
        details = str(result.text or "")
        break
    markers = tuple(m for m in props.get("golive.markers", "").split(",") if m)
    # Other runners can carry tags as a property (e.g. Playwright annotations).
    for key in ("tags", "tag", "markers"):
        markers += tuple(t.strip().lstrip("@") for t in props.get(key, "").split(",") if t.strip())
    return TestCaseResult(
        classname=str(case.classname or ""),
        name=str(case.name or ""),
        verdict=verdict,
        time_s=float(case.time or 0.0),
        message=message.strip(),
        details=details.strip(),
        markers=markers,
        rerun_arg=props.get("golive.arg", ""),
    )


def read_junit(paths: Iterable[Path]) -> tuple[TestCaseResult, ...]:
    """Every test case in the given JUnit files, in file order."""
    results: list[TestCaseResult] = []
    for path in paths:
        try:
            xml = JUnitXml.fromfile(str(path))
        except (OSError, ParseError) as exc:
            raise TestingError(f"cannot read JUnit XML {path}: {exc}") from exc
        results.extend(_convert(case) for case in _cases(xml))
    return tuple(results)


def is_critical(case: TestCaseResult, marker: str | None, pattern: re.Pattern[str] | None) -> bool:
    """True when the case carries the marker/tag or its id matches the name pattern."""
    if marker is not None and marker in case.markers:
        return True
    return pattern is not None and pattern.search(case.id) is not None
