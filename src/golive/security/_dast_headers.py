"""Probes of what every response carries: security headers, cookie flags, CORS."""

from __future__ import annotations

from golive.security._probe import ProbeLog, Prober
from golive.security.base import Severity


async def headers(prober: Prober, path: str) -> ProbeLog:
    """Security headers on a representative response."""
    log = ProbeLog()
    r = await prober.send("GET", path, log=log)
    if r is None:
        return log
    url = str(r.request.url)
    h = r.headers
    csp = h.get("content-security-policy", "")
    log.note(f"headers: GET {path} -> {r.status_code}")
    if h.get("x-content-type-options", "").lower() != "nosniff":
        log.add(
            "golive.probe.header.x-content-type-options",
            Severity.MEDIUM,
            "X-Content-Type-Options: nosniff is missing",
            url,
            advice="Send X-Content-Type-Options: nosniff on every response.",
            cwe=("CWE-693",),
        )
    if not csp:
        log.add(
            "golive.probe.header.content-security-policy",
            Severity.MEDIUM,
            "Content-Security-Policy is missing",
            url,
            advice="Send a Content-Security-Policy (start from default-src 'self').",
            cwe=("CWE-693",),
        )
    if "frame-ancestors" not in csp and not h.get("x-frame-options"):
        log.add(
            "golive.probe.header.clickjacking",
            Severity.MEDIUM,
            "Neither X-Frame-Options nor CSP frame-ancestors is set (clickjacking)",
            url,
            advice="Send X-Frame-Options: DENY or CSP frame-ancestors 'none'.",
            cwe=("CWE-1021",),
        )
    if not h.get("referrer-policy"):
        log.add(
            "golive.probe.header.referrer-policy",
            Severity.LOW,
            "Referrer-Policy is missing",
            url,
            advice="Send Referrer-Policy: no-referrer (or strict-origin-when-cross-origin).",
        )
    if url.startswith("https://") and not h.get("strict-transport-security"):
        log.add(
            "golive.probe.header.hsts",
            Severity.MEDIUM,
            "Strict-Transport-Security is missing on HTTPS",
            url,
            advice="Send Strict-Transport-Security: max-age=63072000; includeSubDomains.",
            cwe=("CWE-319",),
        )
    return log


def cookies(prober: Prober) -> ProbeLog:
    """Flags of every cookie the service set during the probes."""
    log = ProbeLog()
    seen = set()
    for url, value in prober.cookies:
        name = value.split("=", 1)[0].strip()
        if name in seen:
            continue
        seen.add(name)
        flags = {p.strip().split("=", 1)[0].lower() for p in value.split(";")[1:]}
        if "httponly" not in flags:
            log.add(
                "golive.probe.cookie.httponly",
                Severity.MEDIUM,
                f"Cookie {name} is readable by scripts (no HttpOnly)",
                url,
                parameter=name,
                advice="Set HttpOnly on session and token cookies.",
                cwe=("CWE-1004",),
            )
        if "samesite" not in flags:
            log.add(
                "golive.probe.cookie.samesite",
                Severity.LOW,
                f"Cookie {name} has no SameSite attribute",
                url,
                parameter=name,
                advice="Set SameSite=Lax (or Strict).",
                cwe=("CWE-1275",),
            )
        if url.startswith("https://") and "secure" not in flags:
            log.add(
                "golive.probe.cookie.secure",
                Severity.MEDIUM,
                f"Cookie {name} can travel over plain HTTP (no Secure)",
                url,
                parameter=name,
                advice="Set Secure on every cookie served over HTTPS.",
                cwe=("CWE-614",),
            )
    log.note(f"cookies: {len(seen)} distinct cookie(s) checked")
    return log


async def cors(prober: Prober, path: str) -> ProbeLog:
    """Does the service grant an arbitrary origin access?"""
    log = ProbeLog()
    origin = "https://golive-probe.invalid"
    for method, extra in (
        ("GET", {}),
        (
            "OPTIONS",
            {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"},
        ),
    ):
        r = await prober.send(method, path, headers={"Origin": origin, **extra}, log=log)
        if r is None:
            continue
        allowed = r.headers.get("access-control-allow-origin", "")
        creds = r.headers.get("access-control-allow-credentials", "").lower() == "true"
        url = str(r.request.url)
        if allowed == origin and creds:
            log.add(
                "golive.probe.cors.reflect-credentials",
                Severity.HIGH,
                "CORS grants any origin access with credentials",
                url,
                evidence=f"{method}: Access-Control-Allow-Origin: {allowed}; credentials true",
                advice="Allow-list the exact origins of your front ends.",
                cwe=("CWE-942",),
            )
            return log
        if allowed == origin:
            log.add(
                "golive.probe.cors.reflect",
                Severity.MEDIUM,
                "CORS reflects any origin",
                url,
                evidence=f"{method}: Access-Control-Allow-Origin: {allowed}",
                advice="Allow-list the exact origins of your front ends.",
                cwe=("CWE-942",),
            )
            return log
        if allowed == "*" and creds:
            log.add(
                "golive.probe.cors.wildcard-credentials",
                Severity.HIGH,
                "CORS allows * with credentials",
                url,
                advice="Never combine a wildcard origin with credentials.",
                cwe=("CWE-942",),
            )
            return log
    log.note(f"cors: foreign origin {origin} not granted")
    return log
