"""The command driver end to end, and every pre-deploy gate, with real processes and a real store."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from golive.checks.registry import CheckRegistry
from golive.deploy.base import DeployLocked, DeployOutcome, Release, Strategy
from golive.deploy.config import load_deploy_config
from golive.deploy.deployer import Deployer, lock_name
from golive.engine import ReviewOptions, Runner
from golive.history.store import SqlStore, open_store
from golive.spec import Spec, SpecLoader
from tests.fixtures.deploy import fake_tool, logged_calls, make_spec_dir, python_env
from tests.fixtures.httpserver import serve_handler


def _deploy_cfg(tmp: Path, **over: Any) -> dict[str, Any]:
    log = tmp / "calls.log"
    bindir = tmp / "bin"
    bindir.mkdir(exist_ok=True)
    deploy = fake_tool(bindir / "deploy-tool", log, over.pop("deploy_script", 'echo "$VERSION" > current'))
    rollback = fake_tool(bindir / "rollback-tool", log, 'echo "$VERSION" > current')
    status = fake_tool(bindir / "status-tool", log, "cat current 2>/dev/null || true")
    cfg: dict[str, Any] = {
        "strategy": "rolling",
        "driver": {
            "type": "command",
            "deploy": [str(deploy), "--version", "${VERSION}"],
            "rollback": [str(rollback), "--to", "${VERSION}"],
            "status": [str(status)],
            "timeout": "10s",
        },
        "gates": {"review": {"max_age": "1h"}},
        "verify": {
            "health_timeout": "2s",
            "analysis": {
                "interval": "0.05s",
                "count": 2,
                "failure_limit": 0,
                "probe": {"path": over.pop("probe_path", "/healthz"), "requests": 3},
            },
        },
    }
    for key, value in over.items():
        cfg[key] = value
    return cfg


def _setup(tmp: Path, base_url: str, **over: Any) -> tuple[Spec, Path]:
    spec_dir = tmp / "spec"
    spec_dir.mkdir()
    criteria = [
        {
            "id": "svc.ready",
            "title": "Marker exists",
            "area": "monitoring",
            "tier": "must",
            "check": {"type": "command", "command": ["test", "-e", "ready.marker"]},
        }
    ]
    make_spec_dir(spec_dir, _deploy_cfg(spec_dir, **over), base_url=base_url, criteria=criteria)
    (spec_dir / "current").write_text("1.0.0\n")
    return SpecLoader(CheckRegistry.default()).load(spec_dir), spec_dir / "calls.log"


def _record_review(spec: Spec, store: SqlStore, *, go: bool) -> None:
    marker = spec.root / "ready.marker"
    if go:
        marker.touch()
    else:
        marker.unlink(missing_ok=True)
    review = asyncio.run(
        Runner(spec, CheckRegistry.default(), ReviewOptions(artifacts_dir=spec.root / "art")).run()
    )
    store.save_review(review)


def _deployer(spec: Spec, store: SqlStore, **kw: Any) -> Deployer:
    return Deployer(
        spec=spec,
        config=load_deploy_config(spec),
        env_name="staging",
        store=store,
        environ=python_env(),
        **kw,
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    with open_store(f"sqlite:///{tmp_path / 'history.db'}", root=tmp_path) as s:
        yield s


def test_rolling_deploy_runs_the_tool_verifies_and_records(
    tmp_path: Path, http_base: str, store: SqlStore
) -> None:
    spec, calls = _setup(tmp_path, http_base)
    _record_review(spec, store, go=True)
    report = asyncio.run(_deployer(spec, store, actor="alice").deploy(Release(version="1.1.0")))
    assert report.outcome is DeployOutcome.SUCCEEDED, report.log
    assert ["deploy-tool", "--version", "1.1.0"] in logged_calls(calls)
    assert not any(c[0] == "rollback-tool" for c in logged_calls(calls))
    assert report.previous is not None and report.previous.version == "1.0.0"
    (rec,) = store.deploys("shop", "staging")
    assert (rec.version, rec.outcome, rec.actor, rec.strategy) == ("1.1.0", "succeeded", "alice", "rolling")
    assert json.loads(rec.report_json)["analyses"][0]["passed"] is True


def test_failed_deploy_command_rolls_back_to_the_previous_version(
    tmp_path: Path, http_base: str, store: SqlStore
) -> None:
    spec, calls = _setup(tmp_path, http_base, deploy_script="echo 'image pull failed' >&2; exit 3")
    _record_review(spec, store, go=True)
    report = asyncio.run(_deployer(spec, store).deploy(Release(version="1.1.0")))
    assert report.outcome is DeployOutcome.ROLLED_BACK
    assert "exit 3" in report.reason and "image pull failed" in report.reason
    assert ["rollback-tool", "--to", "1.0.0"] in logged_calls(calls)
    assert report.rollback_verified is True


def test_failed_verification_rolls_back(tmp_path: Path, http_base: str, store: SqlStore) -> None:
    spec, calls = _setup(tmp_path, http_base, probe_path="/status/500")
    _record_review(spec, store, go=True)
    cfg = load_deploy_config(spec)
    # The rollback check probes the same path; point it at a healthy one for the old version.
    deployer = _deployer(spec, store)
    report = asyncio.run(deployer.deploy(Release(version="1.1.0")))
    assert report.outcome in (DeployOutcome.ROLLED_BACK, DeployOutcome.ROLLBACK_FAILED)
    assert "success-rate 0.0% < 99.0%" in report.reason
    assert ["rollback-tool", "--to", "1.0.0"] in logged_calls(calls)
    assert cfg.verify.analysis.failure_limit == 0


def test_timeout_rolls_back(tmp_path: Path, http_base: str, store: SqlStore) -> None:
    spec, calls = _setup(tmp_path, http_base, deploy_script="sleep 30", timeout="1s")
    _record_review(spec, store, go=True)
    report = asyncio.run(_deployer(spec, store).deploy(Release(version="1.1.0")))
    assert report.outcome is DeployOutcome.ROLLED_BACK
    assert "timed out after 1s" in report.reason
    assert ["rollback-tool", "--to", "1.0.0"] in logged_calls(calls)


def test_no_go_review_refuses_the_deploy(tmp_path: Path, http_base: str, store: SqlStore) -> None:
    spec, calls = _setup(tmp_path, http_base)
    _record_review(spec, store, go=False)
    report = asyncio.run(_deployer(spec, store).deploy(Release(version="1.1.0")))
    assert report.outcome is DeployOutcome.REFUSED
    assert "latest review" in report.reason and "NO-GO" in report.reason
    assert not any(c[0] in ("deploy-tool", "rollback-tool") for c in logged_calls(calls))
    assert store.deploys("shop", "staging")[0].outcome == "refused"


def test_missing_or_stale_review_refuses(tmp_path: Path, http_base: str, store: SqlStore) -> None:
    spec, _ = _setup(tmp_path, http_base, gates={"review": {"max_age": "1ms"}})
    report = asyncio.run(_deployer(spec, store).deploy(Release(version="1.1.0")))
    assert report.outcome is DeployOutcome.REFUSED and "no complete review" in report.reason
    _record_review(spec, store, go=True)
    report = asyncio.run(_deployer(spec, store).deploy(Release(version="1.1.0")))
    assert report.outcome is DeployOutcome.REFUSED and "old (limit" in report.reason


def test_run_must_gate_reviews_now(tmp_path: Path, http_base: str, store: SqlStore) -> None:
    spec, _ = _setup(tmp_path, http_base, gates={"review": {"run_must": True}})
    (spec.root / "ready.marker").touch()
    report = asyncio.run(_deployer(spec, store).deploy(Release(version="1.1.0")))
    assert report.outcome is DeployOutcome.SUCCEEDED
    assert "must tier run now: 1 of 1 passed" in report.gates[0].detail


def test_deploy_lock_prevents_a_concurrent_deploy(tmp_path: Path, http_base: str, store: SqlStore) -> None:
    spec, calls = _setup(tmp_path, http_base)
    _record_review(spec, store, go=True)
    assert store.acquire_lock(lock_name("shop", "staging"), "bob@elsewhere", 60)
    with pytest.raises(DeployLocked, match="another deploy of shop to staging is in progress"):
        asyncio.run(_deployer(spec, store).deploy(Release(version="1.1.0")))
    assert logged_calls(calls) == []
    store.release_lock(lock_name("shop", "staging"), "bob@elsewhere")
    assert (
        asyncio.run(_deployer(spec, store).deploy(Release(version="1.1.0"))).outcome
        is DeployOutcome.SUCCEEDED
    )


def test_two_deploys_at_once_one_is_refused(tmp_path: Path, http_base: str, store: SqlStore) -> None:
    spec, _ = _setup(tmp_path, http_base, deploy_script='sleep 1; echo "$VERSION" > current')
    _record_review(spec, store, go=True)

    async def both() -> list[object]:
        return await asyncio.gather(
            _deployer(spec, store).deploy(Release(version="1.1.0")),
            _deployer(spec, store).deploy(Release(version="1.2.0")),
            return_exceptions=True,
        )

    results = asyncio.run(both())
    assert sum(isinstance(r, DeployLocked) for r in results) == 1
    assert len(store.deploys("shop", "staging")) == 1


def test_artifact_gate(tmp_path: Path, http_base: str, store: SqlStore) -> None:
    spec, calls = _setup(tmp_path, http_base, gates={"artifact": {"command": 'test "$VERSION" = 1.1.0'}})
    _record_review(spec, store, go=True)
    report = asyncio.run(_deployer(spec, store).deploy(Release(version="9.9.9")))
    assert report.outcome is DeployOutcome.REFUSED and "exited 1" in report.reason
    assert (
        asyncio.run(_deployer(spec, store).deploy(Release(version="1.1.0"))).outcome
        is DeployOutcome.SUCCEEDED
    )


@contextmanager
def _alerts_api(alerts: list[dict[str, Any]]) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body = json.dumps({"status": "success", "data": {"alerts": alerts}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    with serve_handler(Handler) as url:
        yield url


def test_firing_p0_alert_refuses_but_warnings_do_not(tmp_path: Path, http_base: str, store: SqlStore) -> None:
    firing = [
        {"labels": {"alertname": "StorefrontDown", "severity": "critical"}, "state": "firing"},
        {"labels": {"alertname": "DiskFilling", "severity": "warning"}, "state": "firing"},
    ]
    with _alerts_api(firing) as prom:
        spec, _ = _setup(tmp_path, http_base, gates={"alerts": {"prometheus_url": prom}})
        _record_review(spec, store, go=True)
        report = asyncio.run(_deployer(spec, store).deploy(Release(version="1.1.0")))
    assert report.outcome is DeployOutcome.REFUSED
    assert "1 blocking alert(s) firing: StorefrontDown" in report.reason


def test_dry_run_changes_nothing_and_shows_the_plan(tmp_path: Path, http_base: str, store: SqlStore) -> None:
    spec, calls = _setup(tmp_path, http_base)
    report = asyncio.run(_deployer(spec, store).deploy(Release(version="1.1.0"), dry_run=True))
    assert report.outcome is DeployOutcome.DRY_RUN
    assert any("deploy-tool --version 1.1.0" in line for line in report.plan)
    assert [c[0] for c in logged_calls(calls)] == ["status-tool"]
    assert store.deploys("shop", "staging") == []


def test_command_driver_refuses_canary(tmp_path: Path, http_base: str, store: SqlStore) -> None:
    from golive.deploy.base import DeployError

    spec, _ = _setup(tmp_path, http_base)
    with pytest.raises(DeployError, match="cannot do canary"):
        asyncio.run(_deployer(spec, store).deploy(Release(version="1.1.0"), strategy=Strategy.CANARY))


def test_manual_rollback_goes_to_the_previous_good_version(
    tmp_path: Path, http_base: str, store: SqlStore
) -> None:
    spec, calls = _setup(tmp_path, http_base)
    _record_review(spec, store, go=True)
    for v in ("1.1.0", "1.2.0"):
        assert (
            asyncio.run(_deployer(spec, store).deploy(Release(version=v))).outcome is DeployOutcome.SUCCEEDED
        )
    report = asyncio.run(_deployer(spec, store).rollback())
    assert report.outcome is DeployOutcome.SUCCEEDED and report.release.version == "1.1.0"
    assert ["rollback-tool", "--to", "1.1.0"] in logged_calls(calls)
    assert store.deploys("shop", "staging")[0].strategy == "rollback"
