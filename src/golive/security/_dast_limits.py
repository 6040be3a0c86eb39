"""Probes of the service's limits: oversized bodies and a bounded burst against the rate limit."""

from __future__ import annotations

import asyncio
import math

from golive.security._openapi import Operation
from golive.security._probe import BudgetExceeded, ProbeLog, Prober, fill, new_credentials
from golive.security.base import Severity


async def body_size(prober: Prober, ops: list[Operation]) -> ProbeLog:
    """An oversized body must be refused (413/400), not processed or crash the service."""
    log = ProbeLog()
    limit = prober.params.max_body_bytes
    path = prober.params.body_size_path
    method = "POST"
    if path is None:
        op = next((o for o in ops if o.method == "POST" and o.has_body and not o.secured), None)
        op = op or next((o for o in ops if o.method == "POST" and o.has_body), None)
        if op is None:
            log.note("size: no POST operation to send an oversized body to; skipped")
            return log
        path = op.concrete_path()
    size = min(limit * 2 + 1, 16 * 1024 * 1024)
    body = b'{"golive": "' + b"x" * size + b'"}'
    r = await prober.send(method, path, content=body, headers={"Content-Type": "application/json"}, log=log)
    if r is None:
        log.note(f"size: {method} {path} with {len(body)} bytes: connection closed (refused)")
        return log
    log.note(f"size: {method} {path} with {len(body)} bytes -> {r.status_code}")
    if r.status_code not in (400, 413, 431):
        log.add(
            "golive.probe.body-size",
            Severity.HIGH if r.status_code >= 500 else Severity.MEDIUM,
            f"A {len(body)}-byte body (limit {limit}) was not refused with 413",
            str(r.request.url),
            evidence=f"{method} {path} -> {r.status_code}",
            advice="Cap request bodies (proxy client_max_body_size and/or an app middleware) and answer 413.",
            cwe=("CWE-770",),
        )
    return log


async def rate_limit(prober: Prober) -> ProbeLog:
    """A bounded burst must meet 429 + Retry-After before limit x (1 + margin) requests."""
    log = ProbeLog()
    rl = prober.params.rate_limit
    if rl is None:
        log.note("rate limit: not configured; skipped")
        return log
    ceiling = math.floor(rl.limit * (1 + rl.margin))
    total = ceiling + 1
    remaining = prober.params.max_requests - prober.client.sent
    if total > remaining:
        raise BudgetExceeded(
            f"the rate-limit burst needs {total} requests but only {remaining} remain in the "
            f"request budget (max_requests {prober.params.max_requests})"
        )
    email, password = new_credentials()
    body = fill(rl.body, email=email, password=password, name="golive probe") if rl.body else None
    first_429: int | None = None
    retry_after = ""
    sent = 0
    lock = asyncio.Lock()
    counter = iter(range(1, total + 1))

    async def worker() -> None:
        nonlocal first_429, retry_after, sent
        while first_429 is None:
            async with lock:
                index = next(counter, None)
            if index is None:
                return
            r = (
                await prober.send(rl.method, rl.path, json=body, log=log)
                if body is not None
                else await prober.send(rl.method, rl.path, log=log)
            )
            sent += 1
            if r is not None and r.status_code == 429 and first_429 is None:
                first_429, retry_after = index, r.headers.get("retry-after", "")

    await asyncio.gather(*(worker() for _ in range(rl.concurrency)))
    url = prober.url(rl.path)
    if first_429 is None:
        log.add(
            "golive.probe.rate-limit.missing",
            Severity.HIGH,
            f"No 429 after {sent} requests to {rl.method} {rl.path} (limit {rl.limit}, "
            f"margin {rl.margin:.0%})",
            url,
            evidence=f"{sent} requests, none answered 429",
            advice="Add rate limiting (per client and per account) that answers 429 with Retry-After.",
            cwe=("CWE-770",),
        )
    elif not retry_after:
        log.add(
            "golive.probe.rate-limit.retry-after",
            Severity.MEDIUM,
            f"429 without Retry-After on {rl.method} {rl.path}",
            url,
            evidence=f"first 429 at request {first_429}",
            advice="Send Retry-After with every 429 so clients back off.",
        )
    log.note(
        f"rate limit: {sent} request(s) to {rl.method} {rl.path}; first 429 at "
        f"{first_429 if first_429 else 'never'} (limit {rl.limit}, ceiling {ceiling})"
        + (f", Retry-After {retry_after}" if retry_after else "")
    )
    return log
