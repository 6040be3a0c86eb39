"""Auth probes: the probe account's token, and secured routes that must refuse bad tokens."""

from __future__ import annotations

from collections.abc import Callable

from jsonpath_ng.ext.parser import parse as jsonpath

from golive.security._jwt import alg_none, expired, jwt_parts, tampered
from golive.security._openapi import Operation
from golive.security._params import AuthSettings
from golive.security._probe import ProbeLog, Prober, fill, new_credentials
from golive.security.base import SecurityError, Severity


async def obtain_token(prober: Prober, auth: AuthSettings, resolve: Callable[[str], str]) -> ProbeLog:
    """A valid bearer token: from an environment variable, or register + login."""
    log = ProbeLog()
    if auth.token:
        prober.token = resolve(auth.token) or None
        log.note("auth: token taken from the spec/environment")
        return log
    if not auth.login_path:
        log.note("auth: no token source configured; token-variant probes skipped")
        return log
    email, password = new_credentials()
    values = {"email": email, "password": password, "name": "golive probe"}
    if auth.register_path:
        r = await prober.send("POST", auth.register_path, json=fill(auth.register_body, **values), log=log)
        if r is None or r.status_code >= 400:
            raise SecurityError(
                f"probe account registration at {auth.register_path} failed "
                f"({r.status_code if r is not None else 'no response'})"
            )
    r = await prober.send("POST", auth.login_path, json=fill(auth.login_body, **values), log=log)
    if r is None or r.status_code >= 400:
        status = r.status_code if r is not None else "no response"
        raise SecurityError(f"probe login at {auth.login_path} failed ({status})")
    try:
        matches = jsonpath(auth.token_path).find(r.json())
    except ValueError:
        matches = []
    if not matches or not isinstance(matches[0].value, str):
        raise SecurityError(f"no token at {auth.token_path} in the login response")
    prober.token = matches[0].value
    log.note(f"auth: probe account registered and logged in via {auth.login_path}")
    return log


async def auth(prober: Prober, ops: list[Operation], signing_key: str | None) -> ProbeLog:
    """Secured operations must refuse tampered, alg:none and expired tokens.

    The request without any token goes to every operation in the anonymous probe
    (:mod:`golive.security._dast_anonymous`); here the token variants go to the secured
    operations that are safe to call (GET, HEAD).
    """
    log = ProbeLog()
    secured = [o for o in ops if o.secured and o.method in ("GET", "HEAD")][: prober.params.max_routes]
    if not any(o.secured for o in ops):
        log.note("auth: the OpenAPI document marks no operation as secured")
        return log
    variants: list[tuple[str, str]] = []
    if prober.token and jwt_parts(prober.token):
        variants += [("tampered signature", tampered(prober.token)), ("alg none", alg_none(prober.token))]
        if signing_key:
            variants.append(("expired token", expired(prober.token, signing_key)))
        else:
            log.note("auth: no signing key configured; expired-token probe skipped")
    elif prober.token:
        log.note("auth: the token is not a JWT; only the no-token probe runs")
    else:
        log.note("auth: no token; only the no-token probe runs")
    sent = 0
    for op in secured if variants else []:
        for label, token in variants:
            r = await prober.send(op.method, op.concrete_path(), log=log, headers=prober.bearer(token))
            sent += 1
            if r is None or r.status_code in (401, 403):
                continue
            ok = r.status_code < 400
            log.add(
                "golive.probe.auth." + label.replace(" ", "-"),
                Severity.CRITICAL
                if ok and label != "expired token"
                else Severity.HIGH
                if ok
                else Severity.MEDIUM,
                f"{op.method} {op.path} is marked secured but answered {r.status_code} with {label}",
                str(r.request.url),
                evidence=f"{op.method} {op.concrete_path()} ({label}) -> {r.status_code}",
                advice="Enforce authentication on this route (a dependency/middleware that "
                "verifies the token's signature, algorithm and expiry) and answer 401.",
                cwe=("CWE-347",),
            )
        r = await prober.send(op.method, op.concrete_path(), headers=prober.bearer(prober.token), log=log)
        sent += 1
        if r is not None and r.status_code == 401:
            log.note(f"auth: a valid token was refused by {op.path}: results inconclusive")
    log.note(
        f"auth: {len(secured)} secured GET/HEAD operation(s), {sent} request(s), "
        f"variants: {', '.join(['no token', *(v for v, _ in variants)])}"
    )
    return log
