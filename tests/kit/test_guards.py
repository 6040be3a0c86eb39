"""The one rule for where active checks (load, probes, fuzzing) may send traffic."""

from __future__ import annotations

import pytest

from golive.kit.guards import (
    GuardError,
    is_loopback,
    is_production,
    require_destructive,
    require_target,
    target_allowed,
)


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


@pytest.mark.parametrize(
    ("name", "marked", "production"),
    [
        ("production", None, True),
        ("prod", None, True),
        ("eu-prod", None, True),
        ("prod_us", None, True),
        ("staging", None, False),
        ("product-demo", None, False),
        ("local", True, True),
        ("production", False, False),
    ],
)
def test_what_counts_as_production(name: str, marked: bool | None, production: bool) -> None:
    assert is_production(name, marked) is production


@pytest.mark.parametrize(("env_allows", "flag"), [(False, False), (True, False), (False, True)])
def test_destructive_steps_in_production_need_both_opt_ins(env_allows: bool, flag: bool) -> None:
    with pytest.raises(GuardError, match="refusing a drill: environment 'prod' is production"):
        require_destructive(
            environment="prod",
            production=True,
            environment_allows=env_allows,
            flag_given=flag,
            what="a drill",
        )


def test_destructive_steps_run_with_both_opt_ins_or_outside_production() -> None:
    require_destructive(
        environment="prod", production=True, environment_allows=True, flag_given=True, what="x"
    )
    require_destructive(
        environment="staging", production=False, environment_allows=False, flag_given=False, what="x"
    )


def test_require_target_says_how_to_allow() -> None:
    with pytest.raises(GuardError, match="add 'example.com:80' to allow_hosts"):
        require_target("http://example.com:80/x", [], what="load")
