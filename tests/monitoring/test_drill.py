"""alert.drill against real Prometheus + Alertmanager and the fixture app's fault switch."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from golive.monitoring._drill import AlertDrillCheck
from golive.monitoring._fault import remove_always
from golive.results import Status
from tests.fixtures.monitoring_stack import fault_state
from tests.monitoring.conftest import Live, make_ctx, needs_prometheus, run_check, wait_until

pytestmark = [needs_prometheus, pytest.mark.slow]


def drill(live: Live, alert: str, **extra: Any) -> dict[str, Any]:
    return {
        "alert": alert,
        "fault": {
            "description": "every request answers 500",
            "inject": {
                "http": {
                    "method": "POST",
                    "path": "/admin/faults",
                    "json": {"error_rate": 1.0},
                    "login": {
                        "path": "/auth/login",
                        "json": {"email": "admin@example.com", "password": "${ADMIN_PASSWORD}"},
                    },
                }
            },
            "remove": {
                "http": {
                    "method": "DELETE",
                    "path": "/admin/faults",
                    "headers": {"Authorization": "Bearer drill-token"},
                }
            },
        },
        "traffic": {"path": "/products", "rps": 20},
        "webhook": f"127.0.0.1:{live.webhook_port}",
        **extra,
    }


def run(live: Live, tmp_path: Path, params: dict[str, Any]) -> Any:
    return run_check(
        AlertDrillCheck,
        params,
        workdir=tmp_path,
        base_url=live.app.url,
        prometheus_url=live.prometheus_url,
        env_vars={"ADMIN_PASSWORD": "admin-password", "DRILL_WEBHOOK": f"127.0.0.1:{live.webhook_port}"},
        artifacts_dir=tmp_path / "artifacts",
    )


def quiet(live: Live, alert: str) -> None:
    def no_alert() -> bool:
        data = httpx.get(f"{live.prometheus_url}/api/v1/alerts").json()["data"]["alerts"]
        return not any(a["labels"]["alertname"] == alert for a in data)

    wait_until(no_alert, 30, f"{alert} to resolve before the next drill")


def test_drill_of_generated_slo_burn_alert(live: Live, tmp_path: Path) -> None:
    """The SRE-workbook fast-burn page fires within seconds of a total outage."""
    # First drill of the session: the 5m/1h windows hold no errors yet (later drills would
    # keep this alert firing for minutes).
    out = run(
        live,
        tmp_path,
        drill(live, "FaultyErrorBudgetFastBurn", detect_within="30s", notify_within="30s", resolve_within=0),
    )
    assert out.status is Status.PASS, f"{out.summary}\n{out.evidence.excerpt}"
    assert fault_state(live.app.url) == 0.0


def test_drill_detects_notifies_and_resolves(live: Live, tmp_path: Path) -> None:
    quiet(live, "FaultyErrorsNow")
    out = run(
        live,
        tmp_path,
        drill(live, "FaultyErrorsNow", detect_within="20s", notify_within="30s", resolve_within="30s"),
    )
    assert out.status is Status.PASS, f"{out.summary}\n{out.evidence.excerpt}"
    values = {m.name: m.value for m in out.measurements}
    assert 0 < values["time_to_detect"] <= 20
    assert values["time_to_detect"] <= values["time_to_notify"] <= 30
    assert values["time_to_resolve"] > values["time_to_notify"]
    assert "notified via 'page'" in out.summary
    assert "fault removed" in out.evidence.excerpt
    assert fault_state(live.app.url) == 0.0
    assert out.evidence.artifacts and Path(out.evidence.artifacts[0]).is_file()


def test_alert_that_never_fires_fails_and_removes_fault(live: Live, tmp_path: Path) -> None:
    params = drill(live, "FaultyNeverFires", detect_within="3s", notify_within="3s", resolve_within=0)
    out = run(live, tmp_path, {**params, "webhook": "${DRILL_WEBHOOK}"})
    assert out.status is Status.FAIL
    assert out.summary.startswith("alert FaultyNeverFires never fired in Prometheus within 3s")
    # the address the drill listened on, not the param's text
    webhook = f"reached the webhook on 127.0.0.1:{live.webhook_port} within 3s"
    assert f"no notification for FaultyNeverFires {webhook}" in out.summary
    assert "${" not in out.summary
    assert fault_state(live.app.url) == 0.0


def test_unknown_alert_fails_before_injecting(live: Live, tmp_path: Path) -> None:
    out = run(live, tmp_path, drill(live, "FaultyErorsNow"))
    assert out.status is Status.FAIL
    assert out.summary.startswith("alert 'FaultyErorsNow' is not loaded in Prometheus")
    assert fault_state(live.app.url) == 0.0


def test_cancelled_drill_still_removes_the_fault(live: Live, tmp_path: Path) -> None:
    """Ctrl-C during the wait: the fault is switched off before the cancellation finishes."""
    params = AlertDrillCheck.Params.model_validate(
        drill(live, "FaultyNeverFires", detect_within="60s", notify_within="60s")
    )
    seen_fault: list[float] = []

    async def go() -> None:
        async with httpx.AsyncClient() as client:
            ctx = make_ctx(
                client,
                workdir=tmp_path,
                base_url=live.app.url,
                prometheus_url=live.prometheus_url,
                env_vars={"ADMIN_PASSWORD": "admin-password"},
                artifacts_dir=tmp_path / "artifacts",
            )
            task = asyncio.create_task(AlertDrillCheck().run(params, ctx))
            for _ in range(100):
                await asyncio.sleep(0.05)
                state = await asyncio.to_thread(fault_state, live.app.url)
                if state > 0:
                    seen_fault.append(state)
                    break
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(go())
    assert seen_fault == [1.0]
    assert fault_state(live.app.url) == 0.0


def test_remove_always_survives_repeated_cancellation() -> None:
    done: list[str] = []

    async def slow_remove() -> str:
        await asyncio.sleep(0.3)
        done.append("removed")
        return "ok"

    async def go() -> None:
        task = asyncio.create_task(remove_always(slow_remove))
        await asyncio.sleep(0.05)
        task.cancel()
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(go())
    assert done == ["removed"]


def test_drill_refuses_a_target_outside_loopback_before_any_fault(tmp_path: Path) -> None:
    """The drill injects faults: like every active check it only targets loopback or allow_hosts."""
    from golive.kit.check import CheckError

    params = {
        "alert": "HighErrorRate",
        "fault": {
            "inject": {"http": {"method": "POST", "path": "http://10.1.2.3:8000/admin/faults"}},
            "remove": {"http": {"method": "DELETE", "path": "/admin/faults"}},
        },
        "webhook": "127.0.0.1:9",
    }
    refused = "refusing to send drill traffic and fault injection to 10.1.2.3:8000"
    with pytest.raises(CheckError, match=refused):
        run_check(AlertDrillCheck, params, workdir=tmp_path, prometheus_url="http://127.0.0.1:9")
