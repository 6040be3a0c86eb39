"""One destructive-step policy: a rollback drill and a destructive runbook step, in one review
of a production environment, are refused together with the same message and allowed together.
"""

from __future__ import annotations

import asyncio
import re
import textwrap
from pathlib import Path

import pytest

from golive.checks.registry import CheckRegistry
from golive.engine import ReviewOptions, Runner
from golive.results import CheckResult, Status
from golive.spec import SpecLoader
from tests.fixtures.deploy import fake_tool, logged_calls

RUNBOOK = """# Runbook

## Health checks

```sh {verify name="safe"}
true
```

## Recovery

```sh {verify destructive name="reset data"}
touch destroyed
```
"""


def _spec(tmp: Path, env: str, env_settings: str) -> Path:
    log = tmp / "calls.log"
    tool, status = fake_tool(tmp / "tool", log), fake_tool(tmp / "status", log)
    (tmp / "RUNBOOK.md").write_text(RUNBOOK)
    (tmp / "golive.yaml").write_text(
        textwrap.dedent(
            f"""
            service: {{name: policy-demo}}
            environments:
              {env}: {{base_url: "http://127.0.0.1:9" {env_settings}}}
            criteria:
              - id: cicd.rollback-drill
                title: A bad version is rolled back
                area: cicd
                tier: must
                check: {{type: deploy.drill, strategy: rolling}}
              - id: runbook.tested
                title: The runbook is tested
                area: runbook
                tier: must
                check:
                  {{type: runbook, path: RUNBOOK.md, sections: [], placeholders: [], write_verified: false}}
            deploy:
              driver: {{type: command, deploy: ["{tool}"], rollback: ["{tool}"], status: ["{status}"]}}
            """
        )
    )
    return tmp


def _review(root: Path, env: str, *, flag: bool) -> dict[str, CheckResult]:
    spec = SpecLoader(CheckRegistry.default()).load(root)
    options = ReviewOptions(environment=env, artifacts_dir=root / "artifacts", allow_destructive=flag)
    review = asyncio.run(Runner(spec, CheckRegistry.default(), options).run())
    return {r.criterion_id: r for r in review.results}


def _policy(text: str) -> str:
    """The policy sentence with the name of the refused thing taken out."""
    match = re.search(r"refusing (.+?): (environment .*?\(missing: [^)]*\))", text, re.S)
    assert match, text
    return " ".join(match.group(2).split())


@pytest.mark.parametrize(
    ("env", "settings", "flag"),
    [
        ("production", "", True),
        ("production", ", allow_destructive: true", False),
        ("eu-west", ", production: true", False),
    ],
)
def test_both_refused_with_one_message(tmp_path: Path, env: str, settings: str, flag: bool) -> None:
    results = _review(_spec(tmp_path, env, settings), env, flag=flag)
    drill, runbook = results["cicd.rollback-drill"], results["runbook.tested"]
    assert drill.status is Status.SKIPPED and drill.summary.startswith("refusing a deploy drill:")
    assert "refusing destructive step RUNBOOK.md:" in runbook.evidence.excerpt
    assert _policy(drill.summary) == _policy(runbook.evidence.excerpt)
    assert not (tmp_path / "destroyed").exists() and logged_calls(tmp_path / "calls.log") == []


def test_both_allowed_with_the_opt_in_and_the_flag(tmp_path: Path) -> None:
    results = _review(_spec(tmp_path, "production", ", allow_destructive: true"), "production", flag=True)
    drill = results["cicd.rollback-drill"]
    # The drill ran: it asked the driver what is deployed (nothing, so it cannot drill).
    assert drill.status is Status.ERROR and "nothing is deployed" in drill.summary
    assert [call[0] for call in logged_calls(tmp_path / "calls.log")] == ["status"]
    assert (tmp_path / "destroyed").exists()
