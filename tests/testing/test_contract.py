"""api.contract: Schemathesis against the fixture API with a planted 500 (contract.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from golive.results import Status
from golive.testing._schemathesis import split_failures
from tests.fixtures.servers import free_port, stop_group, wait_http
from tests.testing.conftest import FIXTURES, RunOne


def _serve(bug: bool) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "CONTRACT_API_BUG": "1" if bug else "0", "CONTRACT_API_TOKEN": "t0ken"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--app-dir", str(FIXTURES / "contract_api"), "app:app",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        wait_http(f"http://127.0.0.1:{port}/openapi.json", 30, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_group(proc)


@pytest.fixture(scope="module")
def buggy_api() -> Iterator[str]:
    yield from _serve(bug=True)


@pytest.fixture(scope="module")
def fixed_api() -> Iterator[str]:
    yield from _serve(bug=False)


CHECK = {
    "type": "api.contract",
    "auth": {"bearer": "${CONTRACT_TOKEN}"},
    "max_examples": 15,
    # Fuzzing with a fixed seed finds the planted bug in about a second; the coverage phase
    # finds it too but takes several seconds longer.
    "phases": ["fuzzing"],
}


@pytest.mark.slow
def test_planted_server_error_is_found_with_curl_reproducer(run_one: RunOne, buggy_api: str) -> None:
    r = run_one(CHECK, base_url=buggy_api, environ={"CONTRACT_TOKEN": "t0ken"}, timeout="90s")
    assert r.status is Status.FAIL, r.summary
    assert r.summary.startswith("1 contract failures in GET /split: GET /split: ST101 Server error")
    assert r.reproducer.startswith(f"curl -X GET -H 'Authorization: ***' '{buggy_api}/split?")
    assert "parts=0" in r.reproducer
    assert "t0ken" not in r.reproducer + r.evidence.excerpt
    assert any(a.endswith("junit.xml") for a in r.evidence.artifacts)


@pytest.mark.slow
def test_fixed_api_passes_and_without_auth_nothing_is_tested(run_one: RunOne, fixed_api: str) -> None:
    r = run_one(
        {**CHECK, "phases": ["fuzzing", "stateful"]},
        base_url=fixed_api,
        environ={"CONTRACT_TOKEN": "t0ken"},
        timeout="90s",
    )
    assert r.status is Status.PASS, r.summary + r.evidence.excerpt
    assert "operations: no failures" in r.summary
    # With a wrong token every request is a 401: the contract check reports it.
    r = run_one(CHECK, base_url=fixed_api, environ={"CONTRACT_TOKEN": "wrong"}, timeout="90s")
    assert r.status is not Status.PASS


def test_non_loopback_hosts_need_allow_hosts(run_one: RunOne) -> None:
    r = run_one({"type": "api.contract"}, base_url="http://api.example.com")
    assert r.status is Status.ERROR
    assert r.summary.startswith("refusing to send fuzzing traffic to api.example.com")
    assert "add 'api.example.com' to allow_hosts" in r.summary


def test_allow_hosts_entries_are_resolved(
    run_one: RunOne, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ${VAR} in allow_hosts resolves as everywhere else, so the guard lets the fuzzer start;
    # a document without operations then gives it nothing to send.
    (tmp_path / "openapi.json").write_text(
        '{"openapi": "3.0.3", "info": {"title": "empty", "version": "1"}, "paths": {}}'
    )
    monkeypatch.setenv("GOLIVE_TEST_API_HOST", "api.example.com")
    r = run_one(
        {"type": "api.contract", "schema": "openapi.json"},
        base_url="http://api.example.com",
        environments={
            "local": {"base_url": "http://api.example.com", "allow_hosts": ["${GOLIVE_TEST_API_HOST}"]}
        },
    )
    assert "refusing to send" not in r.summary, r.summary
    assert r.evidence.artifacts, r.summary  # Schemathesis ran
    monkeypatch.delenv("GOLIVE_TEST_API_HOST")
    r = run_one(
        {"type": "api.contract", "schema": "openapi.json"},
        environments={
            "local": {"base_url": "http://api.example.com", "allow_hosts": ["${GOLIVE_TEST_API_HOST}"]}
        },
    )
    assert r.status is Status.ERROR
    assert "GOLIVE_TEST_API_HOST is not set" in r.summary


def test_split_failures_reads_reproducers() -> None:
    text = (
        "1. Test Case ID: abc\n\n- ST101 Server error\n\n- ST103 Undocumented status code\n\n"
        "[500] Internal Server Error\n\nReproduce with:\n\n"
        "    curl -X GET http://127.0.0.1:1/items/1\n"
        "    curl -X GET 'http://127.0.0.1:1/split?parts=0'\n\n"
        "2. Test Case ID: def\n\n- ST108 Response violates schema\n\nReproduce with:\n\n"
        "    curl -X POST http://127.0.0.1:1/items\n"
    )
    first, second = split_failures("GET /split", text)
    assert first.checks == ("ST101 Server error", "ST103 Undocumented status code")
    assert first.curl[-1] == "curl -X GET 'http://127.0.0.1:1/split?parts=0'"
    assert first.case_id == "abc"
    assert second.headline == "GET /split: ST108 Response violates schema"
