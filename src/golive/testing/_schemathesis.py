"""Read Schemathesis (4.x) reports: failures with their curl reproducers, and run totals."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import ParseError

from junitparser import Error, Failure, JUnitXml, TestCase, TestSuite

from golive.testing.base import TestingError

_CASE = re.compile(r"^\s*\d+\.\s+Test Case ID:\s*(\S+)", re.MULTILINE)
_CHECK = re.compile(r"^- (ST\d+) (.+)$", re.MULTILINE)


@dataclass(frozen=True, kw_only=True)
class ContractFailure:
    """One unique failure Schemathesis found, with the commands that reproduce it."""

    operation: str
    checks: tuple[str, ...]
    detail: str
    curl: tuple[str, ...]
    case_id: str = ""

    @property
    def headline(self) -> str:
        """``GET /split: ST101 Server error, ST103 Undocumented status code``."""
        return f"{self.operation}: {', '.join(self.checks)}"


@dataclass(frozen=True, kw_only=True)
class ContractRun:
    """The totals of a run from the JSON report."""

    operations_tested: int = 0
    operations_selected: int = 0
    test_cases: int = 0
    errors: tuple[str, ...] = ()
    complete: bool = True


def split_failures(operation: str, text: str) -> list[ContractFailure]:
    """The unique failures in one JUnit ``<failure>`` text."""
    starts = [m.start() for m in _CASE.finditer(text)] or [0]
    blocks = [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]
    failures = []
    for block in blocks:
        case = _CASE.search(block)
        checks = tuple(f"{code} {title.strip()}" for code, title in _CHECK.findall(block))
        _, _, after = block.partition("Reproduce with:")
        curl = tuple(line.strip() for line in after.splitlines() if line.strip().startswith("curl "))
        detail = block.partition("Reproduce with:")[0].strip()
        failures.append(
            ContractFailure(
                operation=operation,
                checks=checks or ("failure",),
                detail=detail,
                curl=curl,
                case_id=case.group(1) if case else "",
            )
        )
    return failures


def read_junit_failures(path: Path) -> list[ContractFailure]:
    """Every failure in a Schemathesis JUnit report (one test case per API operation)."""
    try:
        xml = JUnitXml.fromfile(str(path))
    except (OSError, ParseError) as exc:
        raise TestingError(f"cannot read Schemathesis report {path}: {exc}") from exc
    suites = [xml] if isinstance(xml, TestSuite) else list(xml)
    failures: list[ContractFailure] = []
    for suite in suites:
        for case in suite:
            if not isinstance(case, TestCase):
                continue
            for result in case.result:
                if isinstance(result, Failure | Error):
                    failures.extend(split_failures(str(case.name), str(result.text or "")))
    return failures


def read_json_report(path: Path) -> ContractRun:
    """Totals from ``--report json``."""
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise TestingError(f"cannot read Schemathesis report {path}: {exc}") from exc
    # Schemathesis writes null totals when it could not load the schema (service unreachable).
    ops = data.get("operations") or {}
    cases = data.get("test_cases") or {}
    errors = tuple(
        str(e.get("message") or e.get("title") or e) if isinstance(e, dict) else str(e)
        for e in data.get("errors", [])
    )
    return ContractRun(
        operations_tested=int(ops.get("tested", 0)),
        operations_selected=int(ops.get("selected", 0)),
        test_cases=int(cases.get("generated", 0)),
        errors=errors,
        complete=bool(data.get("complete", True)),
    )
