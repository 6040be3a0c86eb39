"""A probe session against a running service: bounded, and only to allowed hosts.

Every request goes through :class:`GuardedClient`, which asks the check's traffic guard
(:meth:`golive.kit.CheckContext.require_target`: loopback or the environment's resolved
``allow_hosts``) before anything is sent, never follows redirects, and enforces a request
budget and a per-request timeout. Each probe returns what it found as a :class:`ProbeLog`.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from golive.errors import GoliveError
from golive.kit.text import redact
from golive.security._params import ProbeParams
from golive.security.base import Finding, Location, SecurityError, Severity, fingerprint


class BudgetExceeded(SecurityError):
    """The probe used up its request or time budget."""


class TargetRefused(SecurityError):
    """The traffic guard refused a URL (one the OpenAPI document or the params pointed at)."""


@dataclass
class GuardedClient:
    """httpx with the target guard, a request budget, a deadline and no redirects."""

    http: httpx.AsyncClient
    #: Raises (a GoliveError) when a URL may not receive probe traffic.
    guard: Callable[[str], None]
    max_requests: int
    request_timeout: float
    deadline: float
    sent: int = 0

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send one request, or raise before sending when it is not allowed."""
        try:
            self.guard(url)
        except GoliveError as exc:
            raise TargetRefused(str(exc)) from None
        if self.sent >= self.max_requests:
            raise BudgetExceeded(f"request budget of {self.max_requests} used up")
        if time.monotonic() >= self.deadline:
            raise BudgetExceeded("time budget used up")
        self.sent += 1
        return await self.http.request(
            method, url, follow_redirects=False, timeout=self.request_timeout, **kwargs
        )


@dataclass
class ProbeLog:
    """What one probe found, and what it did (one redacted line per step) for the evidence."""

    lines: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def note(self, text: str) -> None:
        """Record a step (redacted)."""
        self.lines.append(redact(text))

    def extend(self, other: ProbeLog) -> None:
        """Append another probe's log after this one's."""
        self.lines.extend(other.lines)
        self.findings.extend(other.findings)

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
        place = urlsplit(url).path or "/"
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


def fill(template: dict[str, Any], **values: str) -> dict[str, Any]:
    """A JSON body template with ``{email}``-style placeholders in its string values filled."""
    return {k: v.format(**values) if isinstance(v, str) else v for k, v in template.items()}


@dataclass
class Prober:
    """One probe session: the guarded client, the service's base URL, and what the service
    handed out along the way (the probe account's token, every cookie it set)."""

    client: GuardedClient
    base: str
    params: ProbeParams
    token: str | None = None
    cookies: list[tuple[str, str]] = field(default_factory=list)

    def url(self, path_or_url: str) -> str:
        """An absolute URL: as is, or joined to the base URL."""
        if path_or_url.startswith("http"):
            return path_or_url
        return self.base.rstrip("/") + "/" + path_or_url.lstrip("/")

    def bearer(self, token: str | None) -> dict[str, str]:
        """The Authorization header for ``token`` (none without one)."""
        return {"Authorization": f"Bearer {token}"} if token else {}

    async def send(
        self, method: str, path_or_url: str, *, log: ProbeLog, **kwargs: Any
    ) -> httpx.Response | None:
        """One request; a network error becomes a note in ``log`` (and None).

        Refusals by the guard and budget errors (SecurityError) propagate: they end the run.
        """
        url = self.url(path_or_url)
        try:
            response = await self.client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            log.note(f"{method} {url}: {type(exc).__name__}")
            return None
        for value in response.headers.get_list("set-cookie"):
            self.cookies.append((url, value))
        return response
