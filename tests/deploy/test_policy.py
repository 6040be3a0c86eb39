"""deploy.drill follows the one destructive-step policy; deploy settings resolve ${VAR} as reviews do."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from golive.checks.registry import CheckRegistry
from golive.deploy.base import DeployOutcome, Release
from golive.deploy.config import load_deploy_config
from golive.deploy.deployer import Deployer
from golive.engine import ReviewOptions, Runner
from golive.history.store import open_store
from golive.kit import guards
from golive.results import CheckResult, Status
from golive.spec import Spec, SpecLoader
from tests.fixtures.deploy import fake_tool, logged_calls, make_spec_dir, python_env


def _command_driver(tmp: Path, *deploy_args: str) -> dict[str, Any]:
    log = tmp / "calls.log"
    tool = fake_tool(tmp / "tool", log)
    # Prints nothing: no version is deployed yet.
    status = fake_tool(tmp / "status", log)
    return {
        "type": "command",
        "deploy": [str(tool), *deploy_args],
        "rollback": [str(tool)],
        "status": [str(status)],
    }


def _drill_spec(tmp: Path, env_name: str, **env_settings: Any) -> Spec:
    criteria = [
        {
            "id": "cicd.rollback-drill",
            "title": "A bad version is rolled back",
            "area": "cicd",
            "tier": "must",
            "check": {"type": "deploy.drill", "strategy": "rolling"},
        }
    ]
    make_spec_dir(
        tmp,
        {"driver": _command_driver(tmp)},
        criteria=criteria,
        env_name=env_name,
        env_settings=env_settings,
    )
    return SpecLoader(CheckRegistry.default()).load(tmp)


def _drill(spec: Spec, env_name: str, *, flag: bool) -> CheckResult:
    options = ReviewOptions(
        environment=env_name,
        artifacts_dir=spec.root / "artifacts",
        allow_destructive=flag,
        environ=python_env(),
    )
    review = asyncio.run(Runner(spec, CheckRegistry.default(), options).run())
    (result,) = review.results
    return result


def _policy_message(env_name: str, *, environment_allows: bool, flag_given: bool) -> str:
    with pytest.raises(guards.GuardError) as info:
        guards.require_destructive(
            environment=env_name,
            production=True,
            environment_allows=environment_allows,
            flag_given=flag_given,
            what="a deploy drill",
        )
    return str(info.value)


@pytest.mark.parametrize(
    ("env_name", "settings", "flag"),
    [
        ("production", {}, True),
        ("production", {"allow_destructive": True}, False),
        ("eu-west", {"production": True}, True),
    ],
)
def test_drill_is_refused_in_production_without_the_opt_in_and_the_flag(
    tmp_path: Path, env_name: str, settings: dict[str, Any], flag: bool
) -> None:
    spec = _drill_spec(tmp_path, env_name, **settings)
    result = _drill(spec, env_name, flag=flag)
    assert result.status is Status.SKIPPED
    expected = _policy_message(
        env_name, environment_allows=bool(settings.get("allow_destructive")), flag_given=flag
    )
    assert result.summary == expected
    assert logged_calls(tmp_path / "calls.log") == [], "a refused drill touches nothing"


@pytest.mark.parametrize(
    ("env_name", "settings", "flag"),
    [
        ("production", {"allow_destructive": True}, True),
        ("staging", {}, False),
        ("prod", {"production": False}, False),
    ],
)
def test_drill_runs_with_the_opt_in_or_outside_production(
    tmp_path: Path, env_name: str, settings: dict[str, Any], flag: bool
) -> None:
    spec = _drill_spec(tmp_path, env_name, **settings)
    result = _drill(spec, env_name, flag=flag)
    # It ran: it asked the driver what is deployed, found nothing and no baseline to deploy.
    assert result.status is Status.ERROR
    assert f"nothing is deployed in {env_name!r}" in result.summary
    assert [call[0] for call in logged_calls(tmp_path / "calls.log")] == ["status"]


def test_deploy_settings_resolve_vars_that_reference_process_variables(tmp_path: Path) -> None:
    make_spec_dir(
        tmp_path,
        {
            "driver": _command_driver(tmp_path, "--region", "${REGION}", "--version", "${VERSION}"),
            "gates": {"review": {"enabled": False}},
        },
        # A region is not a secret: declared public, it is shown as it is.
        env_settings={"vars": {"REGION": "${DEPLOY_REGION:-nowhere}"}, "public_vars": ["DEPLOY_REGION"]},
    )
    spec = SpecLoader(CheckRegistry.default()).load(tmp_path)
    environ = python_env()
    environ["DEPLOY_REGION"] = "eu-1"
    with open_store(f"sqlite:///{tmp_path / 'history.db'}", root=tmp_path) as store:
        deployer = Deployer(
            spec=spec, config=load_deploy_config(spec), env_name="staging", store=store, environ=environ
        )
        report = asyncio.run(deployer.deploy(Release(version="1.2.0"), dry_run=True))
    assert report.outcome is DeployOutcome.DRY_RUN
    assert any(line.endswith("tool --region eu-1 --version 1.2.0") for line in report.plan), report.plan


def test_a_deploy_never_shows_a_secret_from_the_environment(tmp_path: Path) -> None:
    make_spec_dir(
        tmp_path,
        {
            "driver": _command_driver(tmp_path, "--token", "${DEPLOY_TOKEN}", "--version", "${VERSION}"),
            "gates": {"review": {"enabled": False}},
        },
    )
    spec = SpecLoader(CheckRegistry.default()).load(tmp_path)
    environ = python_env()
    environ["DEPLOY_TOKEN"] = "tok-9f8e7d6c5b4a"
    with open_store(f"sqlite:///{tmp_path / 'history.db'}", root=tmp_path) as store:
        deployer = Deployer(
            spec=spec, config=load_deploy_config(spec), env_name="staging", store=store, environ=environ
        )
        report = asyncio.run(deployer.deploy(Release(version="1.2.0"), dry_run=True))
    assert any(line.endswith("tool --token *** --version 1.2.0") for line in report.plan), report.plan
    assert "tok-9f8e7d6c5b4a" not in report.to_json()
