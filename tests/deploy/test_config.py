"""deploy.yaml: validation with positions, defaults, and where it is read from."""

from __future__ import annotations

from pathlib import Path

import pytest

from golive.checks.registry import CheckRegistry
from golive.deploy.config import DeployConfig, load_deploy_config, loads_deploy_config
from golive.errors import SpecError
from golive.spec import SpecLoader
from tests.fixtures.deploy import STOREFRONT, make_spec_dir


def test_minimal_config_gets_safe_defaults() -> None:
    cfg = loads_deploy_config("deploy:\n  driver: {type: command, deploy: [d], rollback: [r]}\n")
    assert cfg.strategy == "rolling"
    assert cfg.gates.review.enabled and cfg.gates.review.max_age == 86400
    assert cfg.verify.analysis.no_data == "fail"
    assert [m.name for m in cfg.verify.analysis.metrics] == ["success-rate", "latency-p95"]


def test_canary_steps_end_at_100() -> None:
    cfg = loads_deploy_config(
        "deploy:\n  driver: {type: command, deploy: [d], rollback: [r]}\n  canary: {steps: [5, 25]}\n"
    )
    assert cfg.canary.steps == [5, 25, 100]


def test_every_problem_is_reported_with_its_position() -> None:
    text = (
        "deploy:\n"
        "  driver:\n"
        "    type: local\n"
        "    comand: [x]\n"
        "  canary: {steps: [50, 10]}\n"
        "  verify:\n"
        "    analysis:\n"
        "      provider: probe\n"
        "      metrics: [{name: saturation, max: 1}]\n"
    )
    with pytest.raises(SpecError) as info:
        loads_deploy_config(text, display="deploy.yaml")
    messages = [str(p) for p in info.value.problems]
    assert any(
        m.startswith("deploy.yaml:4:5: unknown field 'comand' (did you mean 'command'?)") for m in messages
    )
    assert any("deploy.yaml:5:" in m and "steps must increase" in m for m in messages)
    assert any("probe provider measures success-rate and latency-p95 only" in m for m in messages)


def test_unknown_driver_type_is_named() -> None:
    with pytest.raises(SpecError) as info:
        loads_deploy_config("deploy:\n  driver: {type: helm}\n")
    assert "driver" in str(info.value) and "helm" in str(info.value)


def test_metric_without_query_or_threshold_is_refused() -> None:
    with pytest.raises(SpecError, match="needs a query"):
        loads_deploy_config(
            "deploy:\n  driver: {type: command, deploy: [d], rollback: [r]}\n"
            "  verify: {analysis: {provider: prometheus, metrics: [{name: errors, max: 1}]}}\n"
        )


def test_missing_deploy_yaml_says_what_to_create(tmp_path: Path) -> None:
    spec_dir = make_spec_dir(tmp_path, {"driver": {"type": "command", "deploy": ["d"], "rollback": ["r"]}})
    (spec_dir / "deploy.yaml").unlink()
    spec = SpecLoader(CheckRegistry.default()).load(spec_dir)
    with pytest.raises(SpecError, match="create deploy.yaml beside golive.yaml"):
        load_deploy_config(spec)


def test_storefront_deploy_config_is_valid() -> None:
    spec = SpecLoader(CheckRegistry.default()).load(STOREFRONT)
    cfg = load_deploy_config(spec)
    assert isinstance(cfg, DeployConfig)
    assert cfg.driver.type == "local"
    assert set(cfg.verify.smoke) <= {c.id for c in spec.criteria}
