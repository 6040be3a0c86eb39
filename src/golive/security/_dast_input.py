"""Probes with hostile input: malformed requests and injection payloads."""

from __future__ import annotations

import secrets
from typing import Any

import httpx

from golive.security._openapi import Operation
from golive.security._probe import ProbeLog, Prober
from golive.security.base import Severity

_TRACE_MARKERS = (
    "Traceback (most recent call last)",
    'File "/',
    "sqlalchemy.exc",
    "sqlite3.",
    "psycopg",
    "OperationalError",
    "at java.",
    "Exception in thread",
    "werkzeug.debug",
    "node_modules/",
)
_SQL = "golive'\") OR 1=1--"
_XSS_TAG = "gl" + "x"


def _leaks(r: httpx.Response) -> str:
    text = r.text[:20000]
    for marker in _TRACE_MARKERS:
        if marker in text:
            return marker
    return ""


async def errors(prober: Prober, ops: list[Operation]) -> ProbeLog:
    """Malformed input must give a clean 4xx without internals."""
    log = ProbeLog()
    tries: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", f"/golive-probe-{secrets.token_hex(4)}/%ff%fe", {}),
    ]
    post = next((o for o in ops if o.method in ("POST", "PUT", "PATCH") and o.has_body), None)
    if post is not None:
        tries.append(
            (
                post.method,
                post.concrete_path(),
                {
                    "content": b'{"golive": [',
                    "headers": {"Content-Type": "application/json", **prober.bearer(prober.token)},
                },
            )
        )
    typed = next(
        (o for o in ops if o.method == "GET" and any(k == "integer" for _, k in o.path_params)), None
    )
    if typed is not None:
        path = typed.path
        for name, _ in typed.path_params:
            path = path.replace("{" + name + "}", "not-a-number%27")
        tries.append(("GET", path, {"headers": prober.bearer(prober.token if typed.secured else None)}))
    for method, path, kwargs in tries:
        r = await prober.send(method, path, log=log, **kwargs)
        if r is None:
            continue
        url = str(r.request.url)
        marker = _leaks(r)
        if marker:
            log.add(
                "golive.probe.verbose-error",
                Severity.MEDIUM,
                "An error response exposes internals (stack trace or driver message)",
                url,
                evidence=f"{method} -> {r.status_code}, body contains {marker!r}",
                advice="Return a generic error body; log details server-side with a request id.",
                cwe=("CWE-209",),
            )
        elif r.status_code >= 500:
            log.add(
                "golive.probe.malformed-input-5xx",
                Severity.MEDIUM,
                "Malformed input causes a server error instead of a 4xx",
                url,
                evidence=f"{method} -> {r.status_code}",
                advice="Validate input and answer 400/422 for malformed requests.",
                cwe=("CWE-20",),
            )
    log.note(f"errors: {len(tries)} malformed request(s) sent")
    return log


def _payload_path(op: Operation, name: str, kind: str, payload: str) -> str:
    """``op``'s path with ``payload`` in path parameter ``name`` and placeholders elsewhere."""
    path = op.concrete_path() if len(op.path_params) > 1 else op.path
    # Traversal keeps its dots and sends encoded slashes; the others are percent-encoded.
    encoded = (
        payload.replace("/", "%2F") if kind == "traversal" else httpx.URL("/" + payload).raw_path.decode()[1:]
    )
    path = path.replace("{" + name + "}", encoded)
    for other, k in op.path_params:
        path = path.replace("{" + other + "}", "1" if k == "integer" else "x")
    return path


async def injection(prober: Prober, ops: list[Operation]) -> ProbeLog:
    """SQL, XSS and path traversal payloads in query and path parameters."""
    log = ProbeLog()
    xss = f"<{_XSS_TAG}{secrets.token_hex(4)}>\"'"
    payloads = [("sql", _SQL), ("xss", xss), ("traversal", "../../../../../../etc/passwd")]
    targets = [o for o in ops if o.method == "GET" and (o.query or o.path_params)]
    targets = targets[: prober.params.max_routes]
    sent = 0
    for op in targets:
        headers = prober.bearer(prober.token) if op.secured else {}
        params = [(n, "query") for n, _ in op.query] + [(n, "path") for n, _ in op.path_params]
        for name, where in params[:5]:
            for kind, payload in payloads:
                if where == "query":
                    path, query = op.concrete_path(), {"params": {name: payload}}
                else:
                    path, query = _payload_path(op, name, kind, payload), {}
                r = await prober.send("GET", path, headers=headers, log=log, **query)
                sent += 1
                if r is not None:
                    _judge(log, op, name, kind, payload, r)
    log.note(f"injection: {len(targets)} operation(s), {sent} request(s)")
    return log


def _judge(log: ProbeLog, op: Operation, name: str, kind: str, payload: str, r: httpx.Response) -> None:
    url = str(r.request.url)
    ctype = r.headers.get("content-type", "")
    if r.status_code >= 500:
        rule, title, cwe = {
            "sql": (
                "golive.probe.injection.sql",
                "SQL metacharacters cause a server error (likely SQL injection)",
                ("CWE-89",),
            ),
            "xss": ("golive.probe.injection.5xx", "An HTML payload causes a server error", ("CWE-20",)),
            "traversal": (
                "golive.probe.injection.5xx",
                "A path traversal payload causes a server error",
                ("CWE-22",),
            ),
        }[kind]
        log.add(
            rule,
            Severity.HIGH,
            f"{op.method} {op.path}: {title}",
            url,
            parameter=name,
            evidence=f"{kind} payload in {name} -> {r.status_code}",
            advice="Use bound query parameters and validate input; never build queries "
            "or paths from raw input.",
            cwe=cwe,
        )
    elif kind == "xss" and "html" in ctype and payload in r.text:
        log.add(
            "golive.probe.injection.xss",
            Severity.HIGH,
            f"{op.method} {op.path}: parameter {name} is reflected into HTML without encoding",
            url,
            parameter=name,
            evidence=f"payload <{_XSS_TAG}...> reflected verbatim ({ctype})",
            advice="HTML-encode every value rendered into a page (use an autoescaping template engine).",
            cwe=("CWE-79",),
        )
    elif kind == "traversal" and "root:x:0:0" in r.text:
        log.add(
            "golive.probe.injection.traversal",
            Severity.CRITICAL,
            f"{op.method} {op.path}: path traversal reads server files",
            url,
            parameter=name,
            evidence="response contains /etc/passwd content",
            advice="Resolve paths against a fixed base directory and reject '..'.",
            cwe=("CWE-22",),
        )
