"""The starter spec: written only from the facts given, it validates and marks what is missing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from golive.checks.registry import CheckRegistry
from golive.discover._spec_writer import explain, write_spec
from golive.discover.facts import Database, Fact, Migrations, ServiceFacts, Source
from golive.discover.facts import Tests as SuiteFacts
from golive.spec import SpecLoader
from golive.spec.models import Spec
from tests.fixtures.service_facts import known_facts
from tests.fixtures.services import NAMES, make_repo

AREAS = {"runbook", "monitoring", "testing", "cicd", "security", "dr", "performance", "docs"}
INIT_COMMANDS = {"golive init monitoring", "golive init ci", "golive init runbook", "golive init dr"}
# Storefront's own wording, paths, ports and commands: none may reach another service's spec.
STOREFRONT = ("storefront", "shop", "customers", "/readyz", "8765", 'deploy.sh"', "ops/", "PRODUCTION_DB")


def _f(value: Any, path: str, line: int | None = None, detail: str = "") -> Fact[Any]:
    return Fact(value=value, source=Source(path=path, line=line, detail=detail))


def _load(text: str) -> Spec:
    return SpecLoader(CheckRegistry.default()).loads(text)


def _criteria(text: str) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in YAML(typ="safe").load(text)["criteria"]}


def _empty(root: Path) -> ServiceFacts:
    return ServiceFacts(root=root, name=_f("empty", "."))


@pytest.mark.parametrize("name", NAMES)
def test_fixture_spec_validates_and_uses_only_the_facts(name: str, tmp_path: Path) -> None:
    root = make_repo(name, tmp_path)
    facts = known_facts(name, root)
    written = write_spec(facts)
    spec = _load(written.text)
    # Every area has criteria; DR has them when there is data to recover, else a TODO says so.
    expected = AREAS if facts.database else AREAS - {"dr"}
    assert {c.area for c in spec.criteria} == expected
    assert facts.database or "golive found no database" in written.text
    assert spec.objectives.model_dump() == dict.fromkeys(spec.objectives.model_dump())  # all TODO
    env = spec.environments["local"]
    assert facts.port and env.base_url == f"http://127.0.0.1:{facts.port.value}"
    assert facts.health_path and env.health_path == facts.health_path.value
    assert spec.criterion("svc.liveness").check.params.path == facts.health_path.value
    for word in STOREFRONT:
        assert word not in written.text, word
    assert not spec.goals
    assert all(c.risk for c in spec.criteria)
    assert {c.tier.value for c in spec.criteria} == {"must", "should", "nice"}


def test_every_generator_is_named_as_a_fix(tmp_path: Path) -> None:
    facts = ServiceFacts(
        root=tmp_path, name=_f("svc", "."), database=_f(Database(kind="postgresql"), "compose.yaml", 3)
    )
    written = write_spec(facts)
    assert set(written.fixes.values()) >= INIT_COMMANDS
    assert written.fixes["runbook.tested"] == "golive init runbook"
    assert written.fixes["mon.prometheus.config"] == "golive init monitoring"
    assert written.fixes["cicd.pipeline"] == "golive init ci"
    assert written.fixes["dr.drill"] == "golive init dr"


def test_an_empty_repository_gets_a_minimal_spec_that_says_what_is_missing(tmp_path: Path) -> None:
    written = write_spec(_empty(tmp_path))
    spec = _load(written.text)
    assert spec.environments["local"].base_url is None  # only static checks and placeholders
    assert {c.check.type for c in spec.criteria}.isdisjoint({"http", "api.contract", "load.test"})
    criteria = _criteria(written.text)
    for cid in ("svc.liveness", "svc.metrics", "test.unit", "perf.load"):
        check = criteria[cid]["check"]
        assert check["type"] == "command" and "golive TODO:" in check["command"]
        assert check["command"].rstrip().endswith("exit 1")
    assert "TODO: golive found no health endpoint" in written.text
    assert "dr.drill" not in criteria  # no database: a TODO, not an invented one
    assert "golive found no database" in written.text
    assert spec.criterion("docs.readme").fix  # no README: the fix says to write one


def test_existing_files_are_checked_where_they_are_not_regenerated(tmp_path: Path) -> None:
    facts = ServiceFacts(
        root=tmp_path,
        name=_f("notes", "pyproject.toml", 2),
        runbooks=(_f("docs/RUNBOOK.md", "docs/RUNBOOK.md"),),
        docs=(_f("README.md", "README.md"),),
        ci_workflows=(_f(".github/workflows/test.yml", ".github/workflows/test.yml"),),
        alert_rules=(_f("ops/alerts.yml", "ops/alerts.yml"),),
    )
    spec = _load(write_spec(facts).text)
    assert spec.criterion("runbook.tested").check.params.path == Path("docs/RUNBOOK.md").as_posix()
    assert "docs/RUNBOOK.md" in spec.criterion("runbook.tested").fix
    assert spec.criterion("docs.readme").fix == ""
    assert ".github/workflows/test.yml" in spec.criterion("cicd.pipeline").fix
    assert spec.criterion("sec.workflows").fix == ""
    assert spec.criterion("mon.alert-rules").check.params.files == ["ops/alerts.yml"]


def test_values_come_with_their_source_and_unknown_ones_are_todo(tmp_path: Path) -> None:
    facts = ServiceFacts(
        root=tmp_path,
        name=_f("svc", "package.json", 2),
        health_path=_f("/health", "src/app.js", 12, "route"),
        database=_f(Database(kind="postgresql", url_env="POSTGRES_SERVER"), ".env", 4),
        migrations=_f(Migrations(tool="alembic", upgrade_command="alembic upgrade head", workdir="api"), "x"),
    )
    written = write_spec(facts)
    spec = _load(written.text)
    # A health path but no port: the address is a variable with a TODO, never a guessed port.
    assert spec.environments["local"].base_url == "${BASE_URL}"
    assert "TODO: golive found no port" in written.text
    assert "/health  # found in src/app.js:12 (route)" in written.text
    # POSTGRES_SERVER holds a host, not a URL: not written as database_url.
    assert spec.environments["local"].database_url is None
    assert "reads its host from $POSTGRES_SERVER" in written.text
    commands = _criteria(written.text)["db.migrations"]["check"]["commands"]
    assert commands == {
        "upgrade": "alembic upgrade head",
        "downgrade": "alembic downgrade base",
        "cwd": "api",
    }
    assert "objectives:" not in [line.strip() for line in written.text.splitlines()]


def test_a_test_command_behind_a_script_runs_in_the_app_directory(tmp_path: Path) -> None:
    (tmp_path / "backend" / "scripts").mkdir(parents=True)
    (tmp_path / "backend" / "scripts" / "tests-start.sh").write_text("pytest\n")
    facts = ServiceFacts(
        root=tmp_path,
        name=_f("svc", "."),
        app_dir=_f("backend", "backend/pyproject.toml"),
        tests=SuiteFacts(command=_f("bash scripts/tests-start.sh", ".github/workflows/t.yml", 20)),
    )
    written = write_spec(facts)
    check = _criteria(written.text)["test.unit"]["check"]
    # Not a pytest command line: judged by its exit code (JUnit needs a path golive does not know).
    assert check == {
        "type": "command",
        "shell": True,
        "command": "bash scripts/tests-start.sh",
        "cwd": "backend",
    }
    assert "TODO: judged by exit code only" in written.text
    _load(written.text)


def test_explain_lists_every_fact_with_its_source_and_the_unknowns(tmp_path: Path) -> None:
    facts = ServiceFacts(
        root=tmp_path,
        name=_f("svc", "package.json", 2, "name"),
        port=_f(3000, "Dockerfile", 9, "EXPOSE"),
        tests=SuiteFacts(framework=_f("jest", "package.json", 7)),
        lockfiles=(_f("package-lock.json", "package-lock.json"), _f("yarn.lock", "yarn.lock")),
        unknowns=("no health endpoint found",),
    )
    found, unknowns = explain(facts)
    rows = {(f.name, f.value, f.source) for f in found}
    assert ("port", "3000", "Dockerfile:9 (EXPOSE)") in rows
    assert ("tests.framework", "jest", "package.json:7") in rows
    assert ("lockfiles", "yarn.lock", "yarn.lock") in rows
    assert unknowns == ["no health endpoint found"]
