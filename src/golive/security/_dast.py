"""The probes of ``security.probe``: headers, cookies, CORS, errors, auth, injection, size, rate limit."""

from __future__ import annotations

import asyncio
import math
import secrets
from typing import TYPE_CHECKING, Any

import httpx
from jsonpath_ng.ext.parser import parse as jsonpath

from golive.security._probe import (
    BudgetExceeded,
    GuardedClient,
    Operation,
    ProbeLog,
    alg_none,
    expired,
    jwt_parts,
    new_credentials,
    tampered,
)
from golive.security.base import SecurityError, Severity

if TYPE_CHECKING:
    from golive.security.checks import AuthSettings, ProbeParams

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


def _join(base: str, path: str) -> str:
    return base.rstrip("/") + "/" + path.lstrip("/")


class Prober:
    """Runs the probes in a fixed order (rate limit last: it exhausts the limiter)."""

    def __init__(self, client: GuardedClient, base: str, params: ProbeParams, log: ProbeLog) -> None:
        self.client = client
        self.base = base
        self.params = params
        self.log = log
        self.token: str | None = None
        self.cookies: list[tuple[str, str]] = []

    async def send(self, method: str, path_or_url: str, **kwargs: Any) -> httpx.Response | None:
        """One request; network errors become a note (and None), budget errors propagate."""
        url = path_or_url if path_or_url.startswith("http") else _join(self.base, path_or_url)
        try:
            response = await self.client.request(method, url, **kwargs)
        except BudgetExceeded:
            raise
        except httpx.HTTPError as exc:
            self.log.note(f"{method} {url}: {type(exc).__name__}")
            return None
        for value in response.headers.get_list("set-cookie"):
            self.cookies.append((url, value))
        return response

    def _bearer(self, token: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"} if token else {}

    # -- headers, cookies, CORS --------------------------------------------------------

    async def headers(self, path: str) -> None:
        """Security headers on a representative response."""
        r = await self.send("GET", path)
        if r is None:
            return
        url = str(r.request.url)
        h = r.headers
        csp = h.get("content-security-policy", "")
        self.log.note(f"headers: GET {path} -> {r.status_code}")
        if h.get("x-content-type-options", "").lower() != "nosniff":
            self.log.add(
                "golive.probe.header.x-content-type-options",
                Severity.MEDIUM,
                "X-Content-Type-Options: nosniff is missing",
                url,
                advice="Send X-Content-Type-Options: nosniff on every response.",
                cwe=("CWE-693",),
            )
        if not csp:
            self.log.add(
                "golive.probe.header.content-security-policy",
                Severity.MEDIUM,
                "Content-Security-Policy is missing",
                url,
                advice="Send a Content-Security-Policy (start from default-src 'self').",
                cwe=("CWE-693",),
            )
        if "frame-ancestors" not in csp and not h.get("x-frame-options"):
            self.log.add(
                "golive.probe.header.clickjacking",
                Severity.MEDIUM,
                "Neither X-Frame-Options nor CSP frame-ancestors is set (clickjacking)",
                url,
                advice="Send X-Frame-Options: DENY or CSP frame-ancestors 'none'.",
                cwe=("CWE-1021",),
            )
        if not h.get("referrer-policy"):
            self.log.add(
                "golive.probe.header.referrer-policy",
                Severity.LOW,
                "Referrer-Policy is missing",
                url,
                advice="Send Referrer-Policy: no-referrer (or strict-origin-when-cross-origin).",
            )
        if url.startswith("https://") and not h.get("strict-transport-security"):
            self.log.add(
                "golive.probe.header.hsts",
                Severity.MEDIUM,
                "Strict-Transport-Security is missing on HTTPS",
                url,
                advice="Send Strict-Transport-Security: max-age=63072000; includeSubDomains.",
                cwe=("CWE-319",),
            )

    def check_cookies(self) -> None:
        """Flags of every cookie the service set during the probes."""
        seen = set()
        for url, value in self.cookies:
            name = value.split("=", 1)[0].strip()
            if name in seen:
                continue
            seen.add(name)
            flags = {p.strip().split("=", 1)[0].lower() for p in value.split(";")[1:]}
            if "httponly" not in flags:
                self.log.add(
                    "golive.probe.cookie.httponly",
                    Severity.MEDIUM,
                    f"Cookie {name} is readable by scripts (no HttpOnly)",
                    url,
                    parameter=name,
                    advice="Set HttpOnly on session and token cookies.",
                    cwe=("CWE-1004",),
                )
            if "samesite" not in flags:
                self.log.add(
                    "golive.probe.cookie.samesite",
                    Severity.LOW,
                    f"Cookie {name} has no SameSite attribute",
                    url,
                    parameter=name,
                    advice="Set SameSite=Lax (or Strict).",
                    cwe=("CWE-1275",),
                )
            if url.startswith("https://") and "secure" not in flags:
                self.log.add(
                    "golive.probe.cookie.secure",
                    Severity.MEDIUM,
                    f"Cookie {name} can travel over plain HTTP (no Secure)",
                    url,
                    parameter=name,
                    advice="Set Secure on every cookie served over HTTPS.",
                    cwe=("CWE-614",),
                )
        self.log.note(f"cookies: {len(seen)} distinct cookie(s) checked")

    async def cors(self, path: str) -> None:
        """Does the service grant an arbitrary origin access?"""
        origin = "https://golive-probe.invalid"
        for method, extra in (
            ("GET", {}),
            (
                "OPTIONS",
                {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"},
            ),
        ):
            r = await self.send(method, path, headers={"Origin": origin, **extra})
            if r is None:
                continue
            allowed = r.headers.get("access-control-allow-origin", "")
            creds = r.headers.get("access-control-allow-credentials", "").lower() == "true"
            url = str(r.request.url)
            if allowed == origin and creds:
                self.log.add(
                    "golive.probe.cors.reflect-credentials",
                    Severity.HIGH,
                    "CORS grants any origin access with credentials",
                    url,
                    evidence=f"{method}: Access-Control-Allow-Origin: {allowed}; credentials true",
                    advice="Allow-list the exact origins of your front ends.",
                    cwe=("CWE-942",),
                )
                return
            if allowed == origin:
                self.log.add(
                    "golive.probe.cors.reflect",
                    Severity.MEDIUM,
                    "CORS reflects any origin",
                    url,
                    evidence=f"{method}: Access-Control-Allow-Origin: {allowed}",
                    advice="Allow-list the exact origins of your front ends.",
                    cwe=("CWE-942",),
                )
                return
            if allowed == "*" and creds:
                self.log.add(
                    "golive.probe.cors.wildcard-credentials",
                    Severity.HIGH,
                    "CORS allows * with credentials",
                    url,
                    advice="Never combine a wildcard origin with credentials.",
                    cwe=("CWE-942",),
                )
                return
        self.log.note(f"cors: foreign origin {origin} not granted")

    # -- errors ------------------------------------------------------------------------

    def _leaks(self, r: httpx.Response) -> str:
        text = r.text[:20000]
        for marker in _TRACE_MARKERS:
            if marker in text:
                return marker
        return ""

    async def errors(self, ops: list[Operation]) -> None:
        """Malformed input must give a clean 4xx without internals."""
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
                        "headers": {"Content-Type": "application/json", **self._bearer(self.token)},
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
            tries.append(("GET", path, {"headers": self._bearer(self.token if typed.secured else None)}))
        for method, path, kwargs in tries:
            r = await self.send(method, path, **kwargs)
            if r is None:
                continue
            url = str(r.request.url)
            marker = self._leaks(r)
            if marker:
                self.log.add(
                    "golive.probe.verbose-error",
                    Severity.MEDIUM,
                    "An error response exposes internals (stack trace or driver message)",
                    url,
                    evidence=f"{method} -> {r.status_code}, body contains {marker!r}",
                    advice="Return a generic error body; log details server-side with a request id.",
                    cwe=("CWE-209",),
                )
            elif r.status_code >= 500:
                self.log.add(
                    "golive.probe.malformed-input-5xx",
                    Severity.MEDIUM,
                    "Malformed input causes a server error instead of a 4xx",
                    url,
                    evidence=f"{method} -> {r.status_code}",
                    advice="Validate input and answer 400/422 for malformed requests.",
                    cwe=("CWE-20",),
                )
        self.log.note(f"errors: {len(tries)} malformed request(s) sent")

    # -- auth --------------------------------------------------------------------------

    async def obtain_token(self, auth: AuthSettings, resolve: Any) -> None:
        """A valid bearer token: from an environment variable, or register + login."""
        if auth.token:
            self.token = resolve(auth.token) or None
            self.log.note("auth: token taken from the spec/environment")
            return
        if not auth.login_path:
            self.log.note("auth: no token source configured; token-variant probes skipped")
            return
        email, password = new_credentials()
        values = {"email": email, "password": password, "name": "golive probe"}

        def fill(template: dict[str, Any]) -> dict[str, Any]:
            return {k: v.format(**values) if isinstance(v, str) else v for k, v in template.items()}

        if auth.register_path:
            r = await self.send("POST", auth.register_path, json=fill(auth.register_body))
            if r is None or r.status_code >= 400:
                raise SecurityError(
                    f"probe account registration at {auth.register_path} failed "
                    f"({r.status_code if r is not None else 'no response'})"
                )
        r = await self.send("POST", auth.login_path, json=fill(auth.login_body))
        if r is None or r.status_code >= 400:
            status = r.status_code if r is not None else "no response"
            raise SecurityError(f"probe login at {auth.login_path} failed ({status})")
        try:
            matches = jsonpath(auth.token_path).find(r.json())
        except ValueError:
            matches = []
        if not matches or not isinstance(matches[0].value, str):
            raise SecurityError(f"no token at {auth.token_path} in the login response")
        self.token = matches[0].value
        self.log.note(f"auth: probe account registered and logged in via {auth.login_path}")

    async def auth(self, ops: list[Operation], signing_key: str | None) -> None:
        """Secured operations must refuse missing, tampered, alg:none and expired tokens."""
        secured = [o for o in ops if o.secured][: self.params.max_routes]
        if not secured:
            self.log.note("auth: the OpenAPI document marks no operation as secured")
            return
        variants: list[tuple[str, str | None]] = [("no token", None)]
        if self.token and jwt_parts(self.token):
            variants += [("tampered signature", tampered(self.token)), ("alg none", alg_none(self.token))]
            if signing_key:
                variants.append(("expired token", expired(self.token, signing_key)))
            else:
                self.log.note("auth: no signing key configured; expired-token probe skipped")
        elif self.token:
            self.log.note("auth: the token is not a JWT; only the no-token probe runs")
        sent = 0
        for op in secured:
            safe = op.method in ("GET", "HEAD")
            for label, token in variants if safe else variants[:1]:
                kwargs: dict[str, Any] = {"headers": self._bearer(token)}
                if not safe:
                    # A body that fails validation: if auth is missing, nothing is changed.
                    kwargs["content"] = b'"golive-probe"'
                    kwargs["headers"]["Content-Type"] = "application/json"
                r = await self.send(op.method, op.concrete_path(), **kwargs)
                sent += 1
                if r is None or r.status_code in (401, 403):
                    continue
                url = str(r.request.url)
                ok = r.status_code < 400
                severity = (
                    Severity.CRITICAL
                    if ok and label in ("no token", "alg none", "tampered signature")
                    else Severity.HIGH
                    if ok
                    else Severity.MEDIUM
                )
                self.log.add(
                    "golive.probe.auth." + label.replace(" ", "-"),
                    severity,
                    f"{op.method} {op.path} is marked secured but answered {r.status_code} with {label}",
                    url,
                    evidence=f"{op.method} {op.concrete_path()} ({label}) -> {r.status_code}",
                    advice="Enforce authentication on this route (a dependency/middleware that "
                    "verifies the token's signature, algorithm and expiry) and answer 401.",
                    cwe=("CWE-306",) if label == "no token" else ("CWE-347",),
                )
            if safe and self.token:
                r = await self.send(op.method, op.concrete_path(), headers=self._bearer(self.token))
                sent += 1
                if r is not None and r.status_code == 401:
                    self.log.note(f"auth: a valid token was refused by {op.path}: results inconclusive")
        self.log.note(
            f"auth: {len(secured)} secured operation(s), {sent} request(s), "
            f"variants: {', '.join(v for v, _ in variants)}"
        )

    # -- injection ---------------------------------------------------------------------

    async def injection(self, ops: list[Operation]) -> None:
        """SQL, XSS and path traversal payloads in query and path parameters."""
        nonce = secrets.token_hex(4)
        xss = f"<{_XSS_TAG}{nonce}>\"'"
        payloads = [("sql", _SQL), ("xss", xss), ("traversal", "../../../../../../etc/passwd")]
        targets = [o for o in ops if o.method == "GET" and (o.query or o.path_params)]
        targets = targets[: self.params.max_routes]
        sent = 0
        for op in targets:
            headers = self._bearer(self.token) if op.secured else {}
            params = [(n, "query") for n, _ in op.query] + [(n, "path") for n, _ in op.path_params]
            for name, where in params[:5]:
                for kind, payload in payloads:
                    if where == "query":
                        r = await self.send(
                            "GET", op.concrete_path(), params={name: payload}, headers=headers
                        )
                    else:
                        path = op.concrete_path() if len(op.path_params) > 1 else op.path
                        path = path.replace(
                            "{" + name + "}",
                            httpx.URL("/" + payload).raw_path.decode()[1:]
                            if kind != "traversal"
                            else payload.replace("/", "%2F"),
                        )
                        for other, k in op.path_params:
                            path = path.replace("{" + other + "}", "1" if k == "integer" else "x")
                        r = await self.send("GET", path, headers=headers)
                    sent += 1
                    if r is None:
                        continue
                    self._judge(op, name, kind, payload, r)
        self.log.note(f"injection: {len(targets)} operation(s), {sent} request(s)")

    def _judge(self, op: Operation, name: str, kind: str, payload: str, r: httpx.Response) -> None:
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
            self.log.add(
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
            self.log.add(
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
            self.log.add(
                "golive.probe.injection.traversal",
                Severity.CRITICAL,
                f"{op.method} {op.path}: path traversal reads server files",
                url,
                parameter=name,
                evidence="response contains /etc/passwd content",
                advice="Resolve paths against a fixed base directory and reject '..'.",
                cwe=("CWE-22",),
            )

    # -- request size ------------------------------------------------------------------

    async def body_size(self, ops: list[Operation]) -> None:
        """An oversized body must be refused (413/400), not processed or crash the service."""
        limit = self.params.max_body_bytes
        path = self.params.body_size_path
        method = "POST"
        if path is None:
            op = next((o for o in ops if o.method == "POST" and o.has_body and not o.secured), None)
            op = op or next((o for o in ops if o.method == "POST" and o.has_body), None)
            if op is None:
                self.log.note("size: no POST operation to send an oversized body to; skipped")
                return
            path = op.concrete_path()
        size = min(limit * 2 + 1, 16 * 1024 * 1024)
        body = b'{"golive": "' + b"x" * size + b'"}'
        r = await self.send(method, path, content=body, headers={"Content-Type": "application/json"})
        if r is None:
            self.log.note(f"size: {method} {path} with {len(body)} bytes: connection closed (refused)")
            return
        self.log.note(f"size: {method} {path} with {len(body)} bytes -> {r.status_code}")
        if r.status_code not in (400, 413, 431):
            self.log.add(
                "golive.probe.body-size",
                Severity.HIGH if r.status_code >= 500 else Severity.MEDIUM,
                f"A {len(body)}-byte body (limit {limit}) was not refused with 413",
                str(r.request.url),
                evidence=f"{method} {path} -> {r.status_code}",
                advice="Cap request bodies (proxy client_max_body_size and/or an app "
                "middleware) and answer 413.",
                cwe=("CWE-770",),
            )

    # -- rate limit --------------------------------------------------------------------

    async def rate_limit(self) -> None:
        """A bounded burst must meet 429 + Retry-After before limit x (1 + margin) requests."""
        rl = self.params.rate_limit
        if rl is None:
            self.log.note("rate limit: not configured; skipped")
            return
        ceiling = math.floor(rl.limit * (1 + rl.margin))
        total = ceiling + 1
        remaining = self.params.max_requests - self.client.sent
        if total > remaining:
            raise BudgetExceeded(
                f"the rate-limit burst needs {total} requests but only {remaining} remain in the "
                f"request budget (max_requests {self.params.max_requests})"
            )
        email, password = new_credentials()
        body = (
            {
                k: v.format(email=email, password=password, name="golive probe") if isinstance(v, str) else v
                for k, v in rl.body.items()
            }
            if rl.body
            else None
        )
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
                    await self.send(rl.method, rl.path, json=body)
                    if body is not None
                    else await self.send(rl.method, rl.path)
                )
                sent += 1
                if r is not None and r.status_code == 429 and first_429 is None:
                    first_429, retry_after = index, r.headers.get("retry-after", "")

        await asyncio.gather(*(worker() for _ in range(rl.concurrency)))
        url = _join(self.base, rl.path)
        if first_429 is None:
            self.log.add(
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
            self.log.add(
                "golive.probe.rate-limit.retry-after",
                Severity.MEDIUM,
                f"429 without Retry-After on {rl.method} {rl.path}",
                url,
                evidence=f"first 429 at request {first_429}",
                advice="Send Retry-After with every 429 so clients back off.",
            )
        self.log.note(
            f"rate limit: {sent} request(s) to {rl.method} {rl.path}; first 429 at "
            f"{first_429 if first_429 else 'never'} (limit {rl.limit}, ceiling {ceiling})"
            + (f", Retry-After {retry_after}" if retry_after else "")
        )
