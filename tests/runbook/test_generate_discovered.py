"""``golive init runbook`` on services shaped unlike storefront (src/golive/runbook/generate.py).

The runbook names the dependencies discovery and the compose file name, uses the discovered
health path, carries no storefront wording, and the ``runbook`` check then fails it only for
the blanks only the team can fill in (never for a dependency read from the same compose file).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from golive.checks.registry import CheckRegistry
from golive.results import Status
from golive.runbook.generate import gather_facts, render_runbook
from golive.spec import SpecLoader
from tests.fixtures.service_facts import known_facts
from tests.fixtures.services import NAMES, make_repo
from tests.runbook.conftest import RUNBOOK, run_check

_STOREFRONT = ("storefront", "customers", "cannot buy", "/readyz", "JWT", "/openapi.json")


def _runbook(name: str, tmp_path: Path) -> tuple[Path, str]:
    root = make_repo(name, tmp_path)
    (root / "golive.yaml").write_text(
        f"service: {{name: {name}}}\nenvironments:\n  staging: {{base_url: 'http://127.0.0.1:9'}}\n"
    )
    spec = SpecLoader(CheckRegistry.default()).load(root)
    facts = gather_facts(
        spec, runbook_path=root / RUNBOOK, today=date(2025, 1, 15), facts=known_facts(name, root)
    )
    text = render_runbook(facts)
    (root / RUNBOOK).parent.mkdir(parents=True, exist_ok=True)
    (root / RUNBOOK).write_text(text)
    return root, text


def _headings(text: str) -> list[str]:
    return re.findall(r"(?m)^### (.+)$", text)


@pytest.mark.parametrize("name", NAMES)
def test_no_storefront_wording(name: str, tmp_path: Path) -> None:
    _, text = _runbook(name, tmp_path)
    for word in _STOREFRONT:
        assert word not in text, word


def test_discovered_dependencies_and_health_path(tmp_path: Path) -> None:
    _, text = _runbook("fastapi_uv", tmp_path / "a")
    assert 'curl -fsS --max-time 10 "${HEALTH_URL}"' in text
    assert "`/api/v1/utils/health-check/`" in text
    # The database from compose (its service name) and the one-shot prestart job it waits for.
    assert {"db", "prestart"} <= set(_headings(text))
    assert "| db | compose.yaml (postgresql) |" in text
    _, node = _runbook("node_express", tmp_path / "b")
    assert "redis" in _headings(node)
    assert "| redis | docker-compose.yml (service cache) |" in node


def test_the_runbook_check_agrees_with_the_generator(tmp_path: Path) -> None:
    root, _ = _runbook("fastapi_uv", tmp_path)
    out = run_check(root, {"verify": False, "readyz_path": None})
    assert out.status is Status.FAIL
    problems = out.summary + "\n" + out.evidence.excerpt
    # The compose file names db and prestart: the check finds a section for each.
    assert "dependency" not in out.summary, problems
    # What fails is what only the team can write.
    assert re.match(r"\d+ placeholder\(s\) left, first 'TODO'", out.summary), problems
