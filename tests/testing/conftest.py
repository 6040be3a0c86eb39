"""Fixtures for the testing family's tests."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from golive.results import CheckResult, Review
from tests.fixtures.review import crit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "testing"

RunOne = Callable[..., CheckResult]


@pytest.fixture
def run_one(review: Callable[..., Review]) -> RunOne:
    """Run one criterion with ``check`` through the real engine; return its result."""

    def _run(check: dict, timeout: str = "60s", **kw: object) -> CheckResult:
        r = review([crit("c", check, timeout=timeout, area="testing")], **kw)
        return r.results[0]

    return _run


@pytest.fixture
def suite_copy(tmp_path: Path) -> Callable[[str], Path]:
    """Copy a fixture suite into tmp_path so its caches never land in the repository."""

    def _copy(name: str) -> Path:
        target = tmp_path / "suites" / name
        shutil.copytree(FIXTURES / "suites" / name, target)
        return target

    return _copy
