"""security.probe: the target guard, JWT variants, the planted app and storefront."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from golive.kit.check import CheckError
from golive.results import Status
from golive.security._jwt import alg_none, expired, jwt_parts, tampered
from golive.security.checks import ProbeCheck
from golive.security.render import from_json
from tests.fixtures.servers import STOREFRONT, Server, storefront
from tests.security.conftest import make_ctx, run_check


def _probe_with(
    tmp_path: Path, base_url: str, openapi: dict[str, Any], **ctx_kwargs: Any
) -> tuple[list[str], Any]:
    """Run headers+errors probes against an in-process answer; the URLs sent, and the outcome."""
    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        if request.url.path == "/openapi.json":
            return httpx.Response(200, json=openapi)
        return httpx.Response(200, headers={"X-Content-Type-Options": "nosniff"})

    async def go() -> Any:
        async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
            ctx = make_ctx(client, tmp_path, base_url=base_url, **ctx_kwargs)
            params = ProbeCheck.Params.model_validate({"probes": ["headers", "errors"]})
            return await ProbeCheck().run(params, ctx)

    try:
        return sent, asyncio.run(go())
    except CheckError as exc:
        return sent, exc


@pytest.mark.parametrize(
    "base_url", ["http://10.20.30.40:8000", "https://api.example.com", "file:///etc/passwd"]
)
def test_disallowed_target_refused_before_any_request(base_url: str, tmp_path: Path) -> None:
    sent, outcome = _probe_with(tmp_path, base_url, {"openapi": "3.1.0", "paths": {}})
    assert isinstance(outcome, CheckError) and "refusing to send probe traffic" in str(outcome)
    assert sent == []


def test_allow_hosts_are_resolved(tmp_path: Path) -> None:
    sent, outcome = _probe_with(
        tmp_path,
        "https://staging.example.com",
        {"openapi": "3.1.0", "paths": {}},
        allow_hosts=["${STAGING_HOST}"],
        env={"STAGING_HOST": "staging.example.com"},
    )
    assert not isinstance(outcome, CheckError), outcome
    assert sent and all(u.startswith("https://staging.example.com/") for u in sent)


def test_guard_refuses_a_foreign_url_from_the_openapi_document(tmp_path: Path) -> None:
    # An operation path that is an absolute URL elsewhere: refused mid-run, never sent.
    doc = {
        "openapi": "3.1.0",
        "paths": {"https://evil.example.net/items": {"post": {"requestBody": {}}}},
    }
    sent, outcome = _probe_with(tmp_path, "http://127.0.0.1:9", doc)
    assert isinstance(outcome, CheckError)
    assert "refusing to send probe traffic to evil.example.net" in str(outcome) and "after" in str(outcome)
    assert sent and not [u for u in sent if "evil" in u]


def test_allow_hosts_permits_a_named_host(tmp_path: Path) -> None:
    sent, outcome = _probe_with(
        tmp_path,
        "https://staging.example.com",
        {"openapi": "3.1.0", "paths": {}},
        allow_hosts=["staging.example.com"],
    )
    assert sent and {httpx.URL(u).host for u in sent} == {"staging.example.com"}
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


def _storefront_public_operations() -> list[str]:
    """The public operations storefront's own spec declares for sec.probe."""
    from ruamel.yaml import YAML

    spec = YAML(typ="safe").load((STOREFRONT / "golive.yaml").read_text())
    probe = next(c for c in spec["criteria"] if c["id"] == "sec.probe")
    return list(probe["check"]["public_operations"])


@pytest.mark.slow
def test_storefront_passes_every_probe(tmp_path: Path) -> None:
    key = "probe-test-key-" + "x" * 32
    params = {
        "public_operations": _storefront_public_operations(),
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
    # every operation was tried without credentials: 9 declared public, the other 12 refused
    measured = {m.name: m.value for m in outcome.measurements}
    assert measured["operations_probed_anonymously"] == measured["operations"] == 21
    assert measured["operations_refused_anonymously"] == 12
