"""The safety gate: load only to loopback or explicitly allowed hosts, refused before any request."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from golive.kit.check import CheckContext, CheckError
from golive.kit.guards import is_loopback
from golive.load.checks import LoadTestCheck
from tests.load.conftest import RunCheck, make_ctx


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "localhost", "::1", "[::1]"])
def test_loopback(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["10.0.0.1", "example.com", "0.0.0.0", "localhost.evil.com"])
def test_not_loopback(host: str) -> None:
    assert not is_loopback(host)


def guard(url: str, allow: list[str], environ: dict[str, str] | None = None) -> None:
    """The guard a load check applies to its target (CheckError when refused)."""

    async def main() -> None:
        async with httpx.AsyncClient() as client:
            ctx: CheckContext = make_ctx(
                client, workdir=Path("."), base_url=url, allow_hosts=allow, environ=environ
            )
            ctx.require_target(url, what="load")

    asyncio.run(main())


def test_allowed_hosts_and_host_port_entries() -> None:
    guard("http://127.0.0.1:8000", [])
    guard("https://staging.example.com/x", ["staging.example.com"])
    guard("http://10.0.0.5:8080", ["10.0.0.5:8080"])
    # allow_hosts entries may reference variables, resolved like every other spec value.
    guard("https://staging.example.com/x", ["${STAGING_HOST}"], {"STAGING_HOST": "staging.example.com"})


@pytest.mark.parametrize(
    ("url", "allow"),
    [
        ("http://10.0.0.5:8080", []),
        ("http://10.0.0.5:9090", ["10.0.0.5:8080"]),  # another port of an allowed host:port
        ("http://prod.example.com", ["staging.example.com"]),
        ("ftp://127.0.0.1/", []),
        ("http://prod.example.com", ["${UNSET_GOLIVE_TEST_HOST:-staging.example.com}"]),
    ],
)
def test_refused(url: str, allow: list[str]) -> None:
    with pytest.raises(CheckError, match="refusing to send load to"):
        guard(url, allow)


def test_load_check_resolves_allow_hosts(run_check: RunCheck, tmp_path: Path) -> None:
    # A .invalid host never resolves: nothing could reach it even if the gate failed open.
    scenario = {"requests": [{"path": "/"}], "duration": "5m", "thresholds": ["p95 < 1s"]}
    with pytest.raises(CheckError, match="refusing to send load to load-target.invalid"):
        run_check(LoadTestCheck, scenario, base_url="http://load-target.invalid:8080", timeout=60)
    # Allowed through a variable, the plan passes the gate and is refused for its duration only.
    with pytest.raises(CheckError, match="the load lasts 300s but the criterion's timeout is 60s"):
        run_check(
            LoadTestCheck,
            scenario,
            base_url="http://load-target.invalid:8080",
            allow_hosts=["${LOAD_HOST}"],
            environ={"LOAD_HOST": "load-target.invalid:8080"},
            timeout=60,
        )
    assert not (tmp_path / "artifacts" / "load-plan.json").exists()
