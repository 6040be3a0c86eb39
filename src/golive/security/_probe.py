"""Live probes (DAST) against a running service: bounded, and only to allowed hosts.

Every request goes through :class:`GuardedClient`, which refuses any URL whose host is not
loopback or listed in ``environment.allow_hosts`` (checked before anything is sent), never
follows redirects, and enforces a request budget and a per-request timeout.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from golive.checks._common import redact, target_allowed
from golive.security.base import Finding, Location, SecurityError, Severity, fingerprint

# ---------------------------------------------------------------------------------------
# Target guard


def check_target(url: str, allow_hosts: Iterable[str]) -> None:
    """Raise :class:`SecurityError` unless ``url`` may receive probe traffic."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SecurityError(f"refusing to probe {url!r}: not an http(s) URL")
    if not target_allowed(url, allow_hosts):
        raise SecurityError(
            f"refusing to probe {parts.hostname}: security.probe only sends traffic to loopback "
            "or to hosts listed in the environment's allow_hosts"
        )


class BudgetExceeded(SecurityError):
    """The probe used up its request or time budget."""


@dataclass
class GuardedClient:
    """httpx with the target guard, a request budget, a deadline and no redirects."""

    http: httpx.AsyncClient
    allow_hosts: tuple[str, ...]
    max_requests: int
    request_timeout: float
    deadline: float
    sent: int = 0

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send one request, or raise before sending when it is not allowed."""
        check_target(url, self.allow_hosts)
        if self.sent >= self.max_requests:
            raise BudgetExceeded(f"request budget of {self.max_requests} used up")
        if time.monotonic() >= self.deadline:
            raise BudgetExceeded("time budget used up")
        self.sent += 1
        return await self.http.request(
            method, url, follow_redirects=False, timeout=self.request_timeout, **kwargs
        )


# ---------------------------------------------------------------------------------------
# JWT helpers (HS256 by hand: golive must not depend on a JWT library to test one)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwt_parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str] | None:
    """Header, claims and signature of a JWT, or None when it is not one."""
    pieces = token.split(".")
    if len(pieces) != 3:
        return None
    try:
        return json.loads(_unb64(pieces[0])), json.loads(_unb64(pieces[1])), pieces[2]
    except (ValueError, UnicodeDecodeError):
        return None


def tampered(token: str) -> str:
    """The token with its signature altered (one byte flipped)."""
    head, body, sig = token.split(".")
    raw = bytearray(_unb64(sig) or b"\0")
    raw[0] ^= 0x01
    return f"{head}.{body}.{_b64(bytes(raw))}"


def alg_none(token: str) -> str:
    """The token's claims re-wrapped with ``alg: none`` and no signature."""
    parts = jwt_parts(token)
    claims = parts[1] if parts else {}
    header = {"alg": "none", "typ": "JWT"}
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}."


def expired(token: str, key: str) -> str:
    """The token's claims with ``exp``/``iat`` in the past, correctly signed with HS256 ``key``."""
    parts = jwt_parts(token)
    claims = dict(parts[1]) if parts else {}
    now = int(time.time())
    claims.update({"iat": now - 7200, "exp": now - 3600})
    if "nbf" in claims:
        claims["nbf"] = now - 7200
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64(json.dumps(claims).encode())
    sig = hmac.new(key.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(sig)}"


# ---------------------------------------------------------------------------------------
# OpenAPI


@dataclass(frozen=True, kw_only=True)
class Operation:
    """One OpenAPI operation."""

    method: str
    path: str
    secured: bool
    query: tuple[tuple[str, str], ...] = ()
    path_params: tuple[tuple[str, str], ...] = ()
    has_body: bool = False

    def concrete_path(self) -> str:
        """The path with placeholder values for its parameters."""
        out = self.path
        for name, kind in self.path_params:
            out = out.replace("{" + name + "}", _placeholder(kind))
        return out


def _placeholder(kind: str) -> str:
    return {"integer": "1", "number": "1", "uuid": "00000000-0000-4000-8000-000000000000"}.get(
        kind, "golive-probe"
    )


def _param_kind(param: dict[str, Any]) -> str:
    schema = param.get("schema") or {}
    if schema.get("format") == "uuid":
        return "uuid"
    kinds = [schema.get("type")] + [s.get("type") for s in schema.get("anyOf", []) if isinstance(s, dict)]
    for k in kinds:
        if k in ("integer", "number", "string", "boolean"):
            return str(k)
    return "string"


def operations(doc: dict[str, Any]) -> list[Operation]:
    """Operations of an OpenAPI 3 document; ``secured`` when a non-empty requirement applies."""
    if not str(doc.get("openapi", "")).startswith("3"):
        raise SecurityError("not an OpenAPI 3 document")
    default_security = doc.get("security") or []
    ops = []
    for path, item in (doc.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        shared = item.get("parameters") or []
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete", "head") or not isinstance(op, dict):
                continue
            security = op.get("security", default_security) or []
            # [{}] (an empty requirement) means authentication is optional.
            secured = bool(security) and all(bool(req) for req in security)
            params = [*shared, *(op.get("parameters") or [])]
            ops.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    secured=secured,
                    query=tuple((p["name"], _param_kind(p)) for p in params if p.get("in") == "query"),
                    path_params=tuple((p["name"], _param_kind(p)) for p in params if p.get("in") == "path"),
                    has_body="requestBody" in op,
                )
            )
    return ops


# ---------------------------------------------------------------------------------------
# Findings


@dataclass
class ProbeLog:
    """What the probes did, for the evidence: one line per probe group."""

    lines: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def note(self, text: str) -> None:
        """Record a step (redacted)."""
        self.lines.append(redact(text))

    def add(
        self,
        rule: str,
        severity: Severity,
        title: str,
        url: str,
        *,
        parameter: str = "",
        evidence: str = "",
        advice: str = "",
        cwe: tuple[str, ...] = (),
    ) -> None:
        """Record a finding about ``url`` (query strings are kept out of fingerprints)."""
        where = urlsplit(url)
        place = where.path or "/"
        self.findings.append(
            Finding(
                tool="golive-probe",
                rule_id=rule,
                severity=severity,
                title=title,
                location=Location(url=url.split("?", 1)[0], parameter=parameter),
                fingerprint=fingerprint("probe", rule, place, parameter),
                category="dast",
                evidence=redact(evidence)[:300],
                advice=advice,
                cwe=cwe,
                dedupe_key=f"probe|{rule}|{place}|{parameter}",
            )
        )


def new_credentials() -> tuple[str, str]:
    """A throwaway e-mail and strong password for a probe account."""
    tag = secrets.token_hex(6)
    return f"golive-probe-{tag}@example.com", "Gp-" + secrets.token_urlsafe(18) + "9a!"
