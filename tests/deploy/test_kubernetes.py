"""The kubernetes driver: the kubectl command lines it runs, and the manifests it applies.

There is no cluster here: a fake ``kubectl`` records its arguments (and can fail on cue),
and the storefront manifests are validated offline against the Kubernetes schemas.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import kubernetes_validate
import pytest
from ruamel.yaml import YAML

from golive.checks.registry import CheckRegistry
from golive.deploy.base import DeployError, Release, Strategy
from golive.deploy.config import KubernetesDriverConfig, load_deploy_config
from golive.deploy.kubernetes import KubernetesDriver
from golive.kit.environment import Variables
from golive.spec import SpecLoader
from tests.fixtures.deploy import STOREFRONT, fake_tool, logged_calls

K8S = STOREFRONT / "deploy" / "k8s"


def _driver(tmp: Path, script: str = "", **over: object) -> tuple[KubernetesDriver, Path]:
    log = tmp / "kubectl.log"
    kubectl = fake_tool(tmp / "kubectl", log, script)
    cfg = KubernetesDriverConfig.model_validate(
        {
            "type": "kubernetes",
            "kubectl": str(kubectl),
            "namespace": "shop",
            "deployment": "storefront",
            "container": "storefront",
            "image": "registry.example.com/storefront:${VERSION}",
            "manifests": ["deployment.yaml"],
            "rollout_timeout": "90s",
            **over,
        }
    )
    return KubernetesDriver(cfg, workdir=tmp, variables=Variables(environ={})), log


def test_deploy_applies_sets_the_image_and_waits_for_the_rollout(tmp_path: Path) -> None:
    driver, log = _driver(tmp_path, context="prod-eu")
    asyncio.run(driver.deploy(Release(version="1.4.2")))
    base = ["kubectl", "--context", "prod-eu", "--namespace", "shop"]
    assert logged_calls(log) == [
        [*base, "apply", "-f", str(tmp_path / "deployment.yaml")],
        [*base, "set", "image", "deployment/storefront", "storefront=registry.example.com/storefront:1.4.2"],
        [*base, "rollout", "status", "deployment/storefront", "--timeout=90s"],
    ]


def test_failed_rollout_is_a_failed_deploy_and_rollback_undoes_it(tmp_path: Path) -> None:
    script = (
        'case "$*" in *"rollout status"*) '
        'if [ ! -e undone ]; then echo "deadline exceeded" >&2; exit 1; fi;; '
        '*"rollout undo"*) touch undone;; esac'
    )
    driver, log = _driver(tmp_path, script=f"cd {tmp_path}; {script}")
    with pytest.raises(DeployError, match="rollout status deployment/storefront --timeout=90s failed"):
        asyncio.run(driver.deploy(Release(version="1.4.2")))
    asyncio.run(driver.rollback(Release(version="1.4.1")))
    calls = [c[3:] for c in logged_calls(log)]
    assert calls[-2:] == [
        ["rollout", "undo", "deployment/storefront"],
        ["rollout", "status", "deployment/storefront", "--timeout=90s"],
    ]


def test_manual_rollback_sets_the_named_version(tmp_path: Path) -> None:
    driver, log = _driver(tmp_path)
    asyncio.run(driver.rollback(Release(version="1.3.0")))
    assert [c[3:] for c in logged_calls(log)][0] == [
        "set",
        "image",
        "deployment/storefront",
        "storefront=registry.example.com/storefront:1.3.0",
    ]


def test_state_reads_the_version_from_the_image_tag(tmp_path: Path) -> None:
    driver, log = _driver(tmp_path, script="echo registry.example.com:5000/storefront:1.4.1")
    state = asyncio.run(driver.state())
    assert state.stable is not None and state.stable.version == "1.4.1"
    assert logged_calls(log)[0][3:] == [
        "get",
        "deployment/storefront",
        "-o",
        'jsonpath={.spec.template.spec.containers[?(@.name=="storefront")].image}',
    ]


def test_plan_lists_the_command_lines_and_only_rolling_is_offered(tmp_path: Path) -> None:
    driver, log = _driver(tmp_path)
    plan = driver.plan(Release(version="2.0.0"), Strategy.ROLLING)
    assert plan[-1] == f"on failure: {tmp_path}/kubectl --namespace shop rollout undo deployment/storefront"
    assert driver.strategies == frozenset({Strategy.ROLLING})
    assert logged_calls(log) == []


def _documents(path: Path) -> list[dict[str, object]]:
    return [d for d in YAML(typ="safe").load_all(path.read_text()) if d]


@pytest.mark.parametrize("k8s_version", ["1.25", "1.32"])
def test_storefront_manifests_are_valid_kubernetes(k8s_version: str) -> None:
    docs = _documents(K8S / "deployment.yaml")
    assert {d["kind"] for d in docs} == {"Deployment", "Service"}
    for doc in docs:
        kubernetes_validate.validate(doc, k8s_version, strict=True)


def test_a_misspelled_manifest_field_is_caught() -> None:
    doc = _documents(K8S / "deployment.yaml")[0]
    doc["spec"]["replica"] = doc["spec"].pop("replicas")  # type: ignore[index, union-attr]
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(doc, "1.32", strict=True)


def test_storefront_k8s_config_targets_the_manifest_container() -> None:
    spec = SpecLoader(CheckRegistry.default()).load(STOREFRONT)
    cfg = load_deploy_config(spec, K8S / "deploy.yaml")
    assert isinstance(cfg.driver, KubernetesDriverConfig)
    deployment = _documents(K8S / "deployment.yaml")[0]
    containers = deployment["spec"]["template"]["spec"]["containers"]  # type: ignore[index]
    assert cfg.driver.deployment == deployment["metadata"]["name"]  # type: ignore[index]
    assert cfg.driver.container in [c["name"] for c in containers]
    for manifest in cfg.driver.manifests:
        assert (spec.root / manifest).is_file()
