"""security.probe: the target guard, JWT variants, the planted app and storefront."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from golive.checks.base import CheckError
from golive.results import Status
from golive.security._probe import alg_none, check_target, expired, jwt_parts, tampered
from golive.security.base import SecurityError
from golive.security.checks import ProbeCheck
from golive.security.render import from_json
from tests.fixtures.servers import Server, storefront
from tests.security.conftest import make_ctx, run_check


def test_non_http_targets_refused() -> None:
    with pytest.raises(SecurityError):
        check_target("file:///etc/passwd", [])


@pytest.mark.parametrize("base_url", ["http://10.20.30.40:8000", "https://api.example.com"])
def test_disallowed_target_refused_before_any_request(base_url: str, tmp_path: Path) -> None:
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={})

    async def go() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(record)) as client:
            ctx = make_ctx(client, tmp_path, base_url=base_url)
            await ProbeCheck().run(ProbeCheck.Params.model_validate({}), ctx)

    with pytest.raises(CheckError, match="refusing to probe"):
        asyncio.run(go())
    assert sent == []


def test_allow_hosts_permits_a_named_host(tmp_path: Path) -> None:
    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.host)
        if request.url.path == "/openapi.json":
            return httpx.Response(200, json={"openapi": "3.1.0", "paths": {}})
        return httpx.Response(200, headers={"X-Content-Type-Options": "nosniff"})

    async def go() -> Any:
        async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
            ctx = make_ctx(
                client, tmp_path, base_url="https://staging.example.com", allow_hosts=["staging.example.com"]
            )
            params = ProbeCheck.Params.model_validate({"probes": ["headers", "errors"]})
            return await ProbeCheck().run(params, ctx)

    outcome = asyncio.run(go())
    assert sent and set(sent) == {"staging.example.com"}
    assert "Content-Security-Policy is missing" in outcome.evidence.excerpt


def test_jwt_variants() -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIiwiZXhwIjo5OTk5OTk5OTk5fQ.c2lnbmF0dXJl"
    assert tampered(token) != token and tampered(token).rsplit(".", 1)[0] == token.rsplit(".", 1)[0]
    header, claims, sig = jwt_parts(alg_none(token)) or ({}, {}, "x")
    assert header["alg"] == "none" and claims["sub"] == "1" and sig == ""
    _, old, _ = jwt_parts(expired(token, "k")) or ({}, {}, "")
    assert old["exp"] < old["iat"] + 7200 and old["sub"] == "1"


def _findings(outcome: Any) -> dict[str, Any]:
    path = next(a for a in outcome.evidence.artifacts if a.endswith("findings.json"))
    return {f.rule_id: f for f in from_json(json.loads(Path(path).read_text())).findings}


def test_planted_app_findings(vulnapp: Server, tmp_path: Path) -> None:
    params = {"rate_limit": {"path": "/healthz", "limit": 20}, "max_requests": 300}
    outcome = run_check(ProbeCheck, params, tmp_path, base_url=vulnapp.url)
    assert outcome.status is Status.FAIL
    found = _findings(outcome)
    auth = found["golive.probe.auth.no-token"]
    assert auth.severity.value == "critical" and auth.location.url.endswith("/admin/users")
    assert found["golive.probe.injection.sql"].location.parameter == "name"
    assert found["golive.probe.injection.xss"].location.parameter == "q"
    assert "golive.probe.rate-limit.missing" in found
    assert "golive.probe.header.content-security-policy" in found
    assert all(f.advice for f in found.values())
    requests = next(m for m in outcome.measurements if m.name == "requests")
    assert requests.value <= 300


def test_request_budget_is_enforced(vulnapp: Server, tmp_path: Path) -> None:
    params = {"rate_limit": {"path": "/healthz", "limit": 500}, "max_requests": 40}
    with pytest.raises(CheckError, match="budget"):
        run_check(ProbeCheck, params, tmp_path, base_url=vulnapp.url)


@pytest.mark.slow
def test_storefront_passes_every_probe(tmp_path: Path) -> None:
    key = "probe-test-key-" + "x" * 32
    params = {
        "auth": {
            "register_path": "/auth/register",
            "login_path": "/auth/login",
            "signing_key": "${JWT_SECRET}",
        },
        "rate_limit": {
            "path": "/auth/login",
            "method": "POST",
            "limit": 10,
            "margin": 0.2,
            "body": {"email": "{email}", "password": "wrong-password"},
        },
    }
    with storefront(tmp_path, env={"JWT_SECRET": key}) as server:
        outcome = run_check(ProbeCheck, params, tmp_path, base_url=server.url, env={"JWT_SECRET": key})
    assert outcome.status is Status.PASS, outcome.evidence.excerpt
    assert _findings(outcome) == {}
    text = outcome.evidence.excerpt
    assert "variants: no token, tampered signature, alg none, expired token" in text
    assert "first 429 at 11" in text and "-> 413" in text
