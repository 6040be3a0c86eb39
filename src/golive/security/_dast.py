"""``security.probe``'s run: the OpenAPI document, then the selected probes in a fixed order.

The order matters: the anonymous pass over every operation comes first (no probe has logged
in yet), then the token (auth and injection use it); the rate-limit burst comes last (it
exhausts the service's limiter), and cookies are judged after every probe has collected the
ones the service set.
"""

from __future__ import annotations

from dataclasses import dataclass

from golive.kit.check import CheckContext, CheckError
from golive.security._dast_anonymous import AnonymousResult, anonymous
from golive.security._dast_auth import auth, obtain_token
from golive.security._dast_headers import cookies, cors, headers
from golive.security._dast_input import errors, injection
from golive.security._dast_limits import body_size, rate_limit
from golive.security._openapi import Operation, operations
from golive.security._params import ProbeParams
from golive.security._probe import ProbeLog, Prober
from golive.security.base import SecurityError


async def _operations(prober: Prober, path: str, ctx: CheckContext, log: ProbeLog) -> list[Operation]:
    r = await prober.send("GET", ctx.resolve(path), log=log)
    if r is None or r.status_code != 200:
        raise CheckError(
            f"OpenAPI document {path} not available ({r.status_code if r is not None else 'no response'})"
        )
    try:
        return operations(r.json())
    except (ValueError, SecurityError) as exc:
        raise CheckError(f"OpenAPI document {path}: {exc}") from None


@dataclass(frozen=True, kw_only=True)
class ProbeRun:
    """The probes' log, the operations the document lists, and the anonymous pass's counts."""

    log: ProbeLog
    operations: list[Operation]
    anonymous: AnonymousResult | None


async def run_probes(prober: Prober, params: ProbeParams, ctx: CheckContext) -> ProbeRun:
    """Run the selected probes; their findings and notes in one log, in the order they ran."""
    log = ProbeLog()
    ops = await _operations(prober, params.openapi or ctx.environment.openapi_path, ctx, log)
    selected = set(params.probes)
    seen: AnonymousResult | None = None
    if "auth" in selected:
        refusal = ctx.destructive_refusal(
            "anonymous requests to state-changing operations that take no input"
        )
        anon, seen = await anonymous(prober, ops, public=params.public_operations, refusal=refusal)
        log.extend(anon)
    if "auth" in selected or "injection" in selected:
        log.extend(await obtain_token(prober, params.auth, ctx.resolve))
    page = params.headers_path or ctx.environment.health_path
    if "headers" in selected:
        log.extend(await headers(prober, page))
    if "cors" in selected:
        log.extend(await cors(prober, page))
    if "errors" in selected:
        log.extend(await errors(prober, ops))
    if "auth" in selected:
        key = ctx.resolve(params.auth.signing_key) if params.auth.signing_key else None
        log.extend(await auth(prober, ops, key or None))
    if "injection" in selected:
        log.extend(await injection(prober, ops))
    if "body_size" in selected:
        log.extend(await body_size(prober, ops))
    if "rate_limit" in selected:
        log.extend(await rate_limit(prober))
    if "cookies" in selected:
        log.extend(cookies(prober))
    return ProbeRun(log=log, operations=ops, anonymous=seen)
