"""security.waf on storefront's staging stack: ModSecurity + CRS blocking passes, DetectionOnly fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from golive.results import Status
from golive.security.waf import WafCheck
from tests.fixtures.staging import leftovers, staging_stack
from tests.security.conftest import run_check

pytestmark = [pytest.mark.staging, pytest.mark.slow]


@pytest.mark.parametrize(("mode", "status"), [("On", Status.PASS), ("DetectionOnly", Status.FAIL)])
def test_waf_mode_decides_the_verdict(mode: str, status: Status, tmp_path: Path) -> None:
    with staging_stack(WAF_MODE=mode) as stack:
        outcome = run_check(WafCheck, {}, tmp_path, base_url=stack.base_url)
    assert leftovers(stack.project) == []
    assert outcome.status is status, outcome.summary
    values = {m.name: m.value for m in outcome.measurements}
    assert values["false_positive_rate"] == 0 and values["legitimate"] > 10
    if mode == "DetectionOnly":
        assert values["block_rate"] == 0 and "sqli-union-query" in outcome.summary
