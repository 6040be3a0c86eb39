"""The one rule for where active checks (load, probes, fuzzing) may send traffic."""

from __future__ import annotations

import pytest

from golive.kit.guards import is_loopback, target_allowed


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("[::1]", True),
        ("localhost", True),
        ("api.localhost", True),
        ("10.0.0.5", False),
        ("192.168.1.10", False),
        ("example.com", False),
        ("staging.example.com", True),
        ("STAGING.example.com", True),
    ],
)
def test_target_allowed(host: str, allowed: bool) -> None:
    assert target_allowed(f"http://{host}:8000/x", ["staging.example.com"]) is allowed


def test_host_and_port_entries_and_non_http() -> None:
    assert target_allowed("http://10.0.0.5:8080/", ["10.0.0.5:8080"])
    assert not target_allowed("http://10.0.0.5:9090/", ["10.0.0.5:8080"])
    assert not target_allowed("ftp://127.0.0.1/", [])
    assert not target_allowed("not a url", [])


def test_is_loopback() -> None:
    assert is_loopback("::1") and is_loopback("127.0.0.2") and is_loopback("localhost")
    assert not is_loopback("10.0.0.1") and not is_loopback("example.com")
