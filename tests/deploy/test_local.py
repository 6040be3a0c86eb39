"""The local driver for real: storefront processes behind Debian's nginx, analysed by Prometheus.

One deployment (nginx + a stable storefront) is shared by the tests of this module; each
test leaves a good stable version running, as a real environment would be.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from golive.checks.registry import CheckRegistry
from golive.deploy.base import DeployOutcome, Release, Strategy
from golive.deploy.config import load_deploy_config
from golive.deploy.deployer import Deployer
from golive.deploy.local import LocalDriver
from golive.engine import ReviewOptions, Runner
from golive.history.store import open_store
from golive.kit.environment import Variables
from golive.kit.processes import group_alive
from golive.results import Status
from golive.spec import Spec, SpecLoader
from tests.fixtures.deploy import (
    Prometheus,
    constant_load,
    free_port,
    make_spec_dir,
    prometheus_scraping,
    python_env,
    storefront_driver,
)

pytestmark = pytest.mark.slow

ENV = "staging"


@dataclass(frozen=True)
class Stage:
    spec: Spec
    state_dir: Path
    prometheus: Prometheus

    @property
    def store_url(self) -> str:
        return f"sqlite:///{self.spec.root / 'history.db'}"

    def driver(self) -> LocalDriver:
        cfg = load_deploy_config(self.spec)
        assert cfg.driver.type == "local"
        return LocalDriver(
            cfg.driver,  # type: ignore[arg-type]
            workdir=self.spec.root,
            environment=ENV,
            variables=Variables.for_process(environ=python_env()),
        )

    def deploy(self, release: Release, strategy: Strategy, **kw: Any) -> Any:
        with open_store(self.store_url, root=self.spec.root) as store:
            deployer = Deployer(
                spec=self.spec,
                config=load_deploy_config(self.spec),
                env_name=ENV,
                store=store,
                environ=python_env(),
                actor="test",
            )
            return asyncio.run(deployer.deploy(release, strategy=strategy, **kw))

    def rollback(self) -> Any:
        with open_store(self.store_url, root=self.spec.root) as store:
            deployer = Deployer(
                spec=self.spec,
                config=load_deploy_config(self.spec),
                env_name=ENV,
                store=store,
                environ=python_env(),
                actor="test",
            )
            return asyncio.run(deployer.rollback())

    def state(self) -> Any:
        return asyncio.run(self.driver().state())


def _config(state_dir: Path, prometheus_url: str, port: int) -> dict[str, Any]:
    return {
        "strategy": "canary",
        "timeout": "2m",
        "gates": {"review": {"enabled": False}, "alerts": {"enabled": False}},
        "driver": storefront_driver(state_dir, port=port),
        "verify": {
            "health_path": "/readyz",
            "health_timeout": "20s",
            "smoke": ["svc.version"],
            "analysis": {
                "provider": "prometheus",
                "prometheus_url": prometheus_url,
                "selector": 'job="shop",version="$version"',
                "window": "10s",
                # Prometheus batches file_sd updates (~5 s) and a loaded machine scrapes late.
                "initial_delay": "7s",
                "interval": "1s",
                "count": 3,
                "failure_limit": 1,
                "probe": {"path": "/products?limit=5", "requests": 10},
                "metrics": [
                    {"name": "success-rate", "min": 99, "max_regression": 2},
                    {"name": "latency-p95", "max": 1000},
                    {"name": "saturation", "max": 50},
                ],
            },
        },
        "canary": {"steps": [25, 50, 100]},
        "blue_green": {"grace": "0s", "keep_standby": True},
    }


@pytest.fixture(scope="module")
def stage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stage]:
    root = tmp_path_factory.mktemp("deploy-local")
    state_dir = root / "state"
    (state_dir / ENV).mkdir(parents=True)
    targets = state_dir / ENV / "targets.json"
    targets.write_text("[]")
    with prometheus_scraping(targets, root) as prom:
        criteria = [
            {
                "id": "svc.version",
                "title": "Version endpoint",
                "area": "docs",
                "tier": "should",
                "check": {"type": "http", "path": "/version"},
            },
            {
                "id": "deploy.rollback-drill",
                "title": "A bad version is rolled back automatically",
                "area": "cicd",
                "tier": "must",
                "check": {
                    "type": "deploy.drill",
                    "version": "9.9.9-drill",
                    "vars": {"FAULT_ERROR_RATE": "0.6"},
                    "strategy": "canary",
                    "max_time_to_detect": "30s",
                    "max_time_to_rollback": "30s",
                },
                "timeout": "120s",
            },
        ]
        port = free_port()
        make_spec_dir(
            root,
            _config(state_dir, prom.url, port),
            base_url="http://127.0.0.1:9",
            criteria=criteria,
            env_name=ENV,
        )
        spec = SpecLoader(CheckRegistry.default()).load(root)
        st = Stage(spec=spec, state_dir=state_dir, prometheus=prom)
        try:
            # Prometheus analysis needs traffic: without it the first version has no data.
            with constant_load(f"http://127.0.0.1:{port}"):
                first = st.deploy(Release(version="1.0.0"), Strategy.ROLLING)
            assert first.outcome is DeployOutcome.SUCCEEDED, "\n".join(first.log)
            yield st
        finally:
            asyncio.run(st.driver().down())


def _entry(stage: Stage) -> str:
    url = stage.state().entry_url
    assert url is not None
    return str(url)


def test_canary_of_a_good_version_succeeds_with_no_failed_request(stage: Stage) -> None:
    before = stage.state().stable
    with constant_load(_entry(stage)) as load:
        report = stage.deploy(Release(version="2.0.0"), Strategy.CANARY)
    log = "\n".join(report.log)
    assert report.outcome is DeployOutcome.SUCCEEDED, log
    assert load.failed == 0, load.failures
    assert load.total > 50
    assert [a.phase for a in report.analyses] == ["canary 25%", "canary 50%"]
    for analysis in report.analyses:
        assert analysis.provider == "prometheus" and analysis.passed
        rates = [r for m in analysis.measurements for r in m.readings if r.metric == "success-rate"]
        assert rates and all(r.value is not None and r.value >= 99 for r in rates)
        assert any(r.baseline is not None for r in rates), "the stable version is the baseline"
    assert 'version="2.0.0"' in log and "canary weight 25%" in log
    state = stage.state()
    assert state.stable.version == "2.0.0" and state.candidate is None and state.standby is None
    assert before is not None
    r = httpx.get(_entry(stage) + "/version")
    assert r.json()["version"] == "2.0.0"


def test_canary_of_a_bad_version_is_rolled_back_with_the_measured_failure_logged(stage: Stage) -> None:
    before = stage.state()
    with constant_load(_entry(stage)) as load:
        report = stage.deploy(Release(version="2.1.0-bad", vars={"FAULT_ERROR_RATE": "0.5"}), Strategy.CANARY)
    log = "\n".join(report.log)
    assert report.outcome is DeployOutcome.ROLLED_BACK, log
    assert report.rollback_verified is True
    failing = [
        r
        for a in report.analyses
        for m in a.measurements
        for r in m.readings
        if r.metric == "success-rate" and not r.passed
    ]
    assert failing and all(r.value is not None and r.value < 99 for r in failing)
    assert "FAIL success-rate" in log and 'version="2.1.0-bad"' in log
    assert "analysis failed at canary 25%" in report.reason
    assert report.time_to_detect_s is not None and report.time_to_detect_s < 20
    assert report.time_to_rollback_s is not None and report.time_to_rollback_s < 20
    assert load.failed > 0, "the bad canary did receive traffic"
    print(
        f"bad canary: detected {report.time_to_detect_s:.2f}s after first traffic, rolled back and "
        f"verified {report.time_to_rollback_s:.2f}s later; {load.failed} of {load.total} requests failed"
    )
    after = stage.state()
    assert after.stable == before.stable and after.candidate is None
    candidate_pids = [json.loads((stage.state_dir / ENV / "state.json").read_text())["candidate"]]
    assert candidate_pids == [None]
    with constant_load(_entry(stage), rate=20) as quiet:
        time.sleep(1.0)
    assert quiet.failed == 0 and quiet.total > 10


def test_blue_green_switch_has_no_failed_request_and_switches_back_instantly(stage: Stage) -> None:
    before = stage.state()
    blue = before.stable
    assert blue is not None and before.stable_url is not None
    blue_upstream = before.stable_url.removeprefix("http://")
    with constant_load(_entry(stage)) as load:
        report = stage.deploy(Release(version="3.0.0"), Strategy.BLUE_GREEN)
        switched_versions = httpx.get(_entry(stage) + "/version").json()["version"]
        t0 = time.monotonic()
        rollback = stage.rollback()
        time.sleep(0.3)
    switch_back_s = load.first_after(t0, blue_upstream)
    # "At once": an nginx upstream switch and reload, no restart. Measured ~0.5 s on an idle
    # machine; the bound leaves room for a CI machine busy with the parallel suite.
    assert switch_back_s is not None and switch_back_s < 5.0, f"blue served again only after {switch_back_s}s"
    log = "\n".join(report.log)
    assert report.outcome is DeployOutcome.SUCCEEDED, log
    assert switched_versions == "3.0.0"
    assert [a.phase for a in report.analyses] == ["green (direct)", "after switch"]
    assert report.analyses[0].provider == "probe" and report.analyses[1].provider == "prometheus"
    assert load.failed == 0, load.failures
    assert load.total > 50
    assert rollback.outcome is DeployOutcome.SUCCEEDED, "\n".join(rollback.log)
    assert rollback.release.version == blue.version
    assert rollback.time_to_rollback_s is not None and rollback.time_to_rollback_s < 15
    state = stage.state()
    assert state.stable.version == blue.version and state.standby is None
    print(
        f"blue-green: {load.total} requests, {load.failed} failed; blue serving again after "
        f"{switch_back_s:.2f}s; rollback verified after {rollback.time_to_rollback_s:.2f}s"
    )


def test_sigterm_during_a_canary_rolls_back(stage: Stage) -> None:
    before = stage.state().stable
    assert before is not None
    env = python_env()
    env["GOLIVE_ACTOR"] = "ci"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "golive",
            "deploy",
            str(stage.spec.root),
            "--env",
            ENV,
            "--version",
            "4.0.0",
            "--strategy",
            "canary",
            "--store",
            stage.store_url,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    state_file = stage.state_dir / ENV / "state.json"
    try:
        deadline = time.monotonic() + 60
        candidate: dict[str, Any] | None = None
        while time.monotonic() < deadline and proc.poll() is None:
            data = json.loads(state_file.read_text())
            if data.get("candidate") and data.get("weight", 0) > 0:
                candidate = data["candidate"]
                break
            time.sleep(0.1)
        if candidate is None:
            proc.kill()
            pytest.fail(f"the canary never got traffic:\n{proc.communicate()[0].decode(errors='replace')}")
        time.sleep(1.0)  # mid-analysis
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
        took = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    text = out.decode(errors="replace")
    assert proc.returncode == 1, text
    assert "SIGTERM: stopping the deploy and rolling back" in text
    assert "rolled-back" in text
    state = stage.state()
    assert state.stable == before and state.candidate is None
    assert not group_alive(int(candidate["pid"])), "the canary and its children must be gone"
    with open_store(stage.store_url, root=stage.spec.root) as store:
        rec = store.deploys("shop", ENV)[0]
    assert (rec.version, rec.outcome, rec.actor) == ("4.0.0", "rolled-back", "ci")
    assert "interrupted" in json.loads(rec.report_json)["reason"]
    print(f"SIGTERM to rolled back: {took:.2f}s")


def test_deploy_drill_check_proves_the_rollback(stage: Stage) -> None:
    before = stage.state().stable
    options = ReviewOptions(
        environment=ENV,
        only=("deploy.rollback-drill",),
        artifacts_dir=stage.spec.root / "artifacts",
        environ=python_env(),
    )
    with constant_load(_entry(stage)):
        review = asyncio.run(Runner(stage.spec, CheckRegistry.default(), options).run())
    (result,) = review.results
    assert result.status is Status.PASS, result.summary
    names = {m.name: m for m in result.measurements}
    assert names["time_to_detect"].value < 30 and names["time_to_rollback"].value < 30
    assert "bad version 9.9.9-drill detected in" in result.summary
    assert stage.state().stable == before
