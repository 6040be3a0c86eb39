"""Every operation, without credentials: what the service does, not what its document says.

A framework that generates the OpenAPI document from the code (FastAPI) drops an operation's
``security`` when its auth dependency is removed, so trusting the document would never test
the route that lost its auth. This probe sends one request without any credentials to every
operation the document lists, whatever it declares:

- a secured operation that does not answer 401/403 is a finding (``no-token``);
- a mutating (POST/PUT/PATCH/DELETE) or administrative operation that succeeds (2xx) is a
  finding whatever the document declares (``anonymous-success``);
- with ``public_operations`` declared in the spec, any other operation that lets an
  anonymous request through is a finding (``undeclared-public``).

Mutating requests are made to miss: path parameters get values that name nothing (a large
id, a random UUID) and a body gets a JSON string where the operation expects an object, so
an unprotected operation rejects the input instead of changing data. An operation that takes
no input at all would simply run: in a production environment (the destructive-step policy)
those are not sent, and the report names them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from golive.security._openapi import Operation
from golive.security._probe import ProbeLog, Prober
from golive.security.base import Severity

_ADVICE = (
    "Require authentication on this operation (restore the auth dependency or middleware) and "
    "answer 401/403 to a request without credentials."
)


def is_public(op: Operation, patterns: list[str]) -> bool:
    """True when ``METHOD /path`` matches one of the declared public patterns (``*`` globs)."""
    return any(fnmatchcase(op.key, p) or fnmatchcase(op.path, p) for p in patterns)


@dataclass(kw_only=True)
class AnonymousResult:
    """What the anonymous pass saw, for the measurements."""

    probed: int = 0
    refused: int = 0
    let_through: list[str] = field(default_factory=list)
    not_sent: list[str] = field(default_factory=list)


def _request(op: Operation) -> tuple[str, dict[str, Any]]:
    if not op.mutating:
        return op.concrete_path(), {}
    kwargs: dict[str, Any] = {"headers": {}}
    if op.has_body:
        # A body that fails validation: if auth is missing, nothing is changed.
        kwargs["content"] = b'"golive-probe"'
        kwargs["headers"]["Content-Type"] = "application/json"
    return op.concrete_path(unlikely=True), kwargs


def _judge(op: Operation, status: int, public: list[str] | None, log: ProbeLog, url: str) -> None:
    ok = 200 <= status < 300
    said = f"{op.key} answered {status} to a request without credentials"
    if op.secured:
        severity = Severity.CRITICAL if ok else Severity.MEDIUM
        title = f"{op.method} {op.path} is marked secured but answered {status} with no token"
        log.add(
            "golive.probe.auth.no-token",
            severity,
            title,
            url,
            evidence=said,
            advice=_ADVICE,
            cwe=("CWE-306",),
        )
    elif ok and (op.mutating or op.admin):
        kind = "administrative" if op.admin else "state-changing"
        severity = Severity.CRITICAL if op.admin else Severity.HIGH
        title = (
            f"{op.method} {op.path} ({kind}) succeeded without credentials; the document declares no security"
        )
        log.add(
            "golive.probe.auth.anonymous-success",
            severity,
            title,
            url,
            evidence=said,
            advice=_ADVICE,
            cwe=("CWE-306",),
        )
    elif public is not None and not is_public(op, public):
        title = f"{op.method} {op.path} let an anonymous request through and is not in public_operations"
        log.add(
            "golive.probe.auth.undeclared-public",
            Severity.HIGH,
            title,
            url,
            evidence=said,
            advice=_ADVICE + " If it is meant to be public, add it to public_operations.",
            cwe=("CWE-306",),
        )


async def anonymous(
    prober: Prober, ops: list[Operation], *, public: list[str] | None, refusal: str
) -> tuple[ProbeLog, AnonymousResult]:
    """One request without credentials to every operation; ``refusal`` (the destructive policy's
    message, or "") withholds the mutating operations that take no input."""
    log, seen = ProbeLog(), AnonymousResult()
    for op in ops:
        if refusal and op.mutating and not op.takes_input:
            seen.not_sent.append(op.key)
            continue
        path, kwargs = _request(op)
        r = await prober.send(op.method, path, log=log, **kwargs)
        seen.probed += 1
        if r is None:
            continue
        if r.status_code in (401, 403):
            seen.refused += 1
            continue
        if r.status_code == 429:
            log.note(f"anonymous: {op.key} answered 429 (rate limited): inconclusive")
            continue
        if r.status_code != 405:
            seen.let_through.append(f"{op.key} -> {r.status_code}")
        _judge(op, r.status_code, public, log, str(r.request.url))
    log.note(
        f"anonymous: {seen.probed} of {len(ops)} operation(s) probed without credentials, "
        f"{seen.refused} refused (401/403)"
        + (f"; let through: {', '.join(seen.let_through[:20])}" if seen.let_through else "")
    )
    if seen.not_sent:
        log.note(f"anonymous: not sent ({refusal}): {', '.join(seen.not_sent)}")
    return log, seen
