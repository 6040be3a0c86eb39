"""The safety gate: load only to loopback or explicitly allowed hosts."""

from __future__ import annotations

import pytest

from golive.checks._common import is_loopback
from golive.load._engine import check_target
from golive.load.base import UnsafeTargetError


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "localhost", "::1", "[::1]"])
def test_loopback(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["10.0.0.1", "example.com", "0.0.0.0", "localhost.evil.com"])
def test_not_loopback(host: str) -> None:
    assert not is_loopback(host)


def test_allowed_hosts_and_host_port_entries() -> None:
    assert check_target("http://127.0.0.1:8000", []) == "127.0.0.1"
    assert check_target("https://staging.example.com/x", ["staging.example.com"]) == "staging.example.com"
    assert check_target("http://10.0.0.5:8080", ["10.0.0.5:8080"]) == "10.0.0.5"


@pytest.mark.parametrize(
    ("url", "allow"),
    [
        ("http://10.0.0.5:8080", []),
        ("http://10.0.0.5:9090", ["10.0.0.5:8080"]),  # another port of an allowed host:port
        ("http://prod.example.com", ["staging.example.com"]),
        ("ftp://127.0.0.1/", []),
    ],
)
def test_refused(url: str, allow: list[str]) -> None:
    with pytest.raises(UnsafeTargetError):
        check_target(url, allow)
