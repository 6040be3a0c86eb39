"""``http`` check: a request gets the expected status, within a latency, with the right body."""

from __future__ import annotations

import json
import math
import re
import shlex
import time
from dataclasses import dataclass
from typing import ClassVar

import httpx
from jsonpath_ng.ext.parser import parse as jsonpath_parse

from golive.checks._params import DEFAULT_LATENCY_SAMPLES, HttpParams, JsonAssertion
from golive.kit.check import CheckContext, is_full_url
from golive.kit.outcomes import Findings
from golive.kit.text import excerpt, redact, redact_header
from golive.results import Evidence, Outcome, Status

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods repeated for latency samples; a POST is never sent more than once unless asked."""


def _curl(method: str, url: str, headers: dict[str, str], body: str | None) -> str:
    parts = ["curl", "-sS", "-i", "-X", method]
    for name, value in headers.items():
        parts += ["-H", f"{name}: {redact_header(name, value)}"]
    if body is not None:
        parts += ["--data-raw", body]
    parts.append(url)
    return redact(shlex.join(parts))


def _percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True, kw_only=True)
class _Sent:
    """What one request (or a failure to send it) gave."""

    response: httpx.Response | None
    latency_ms: float
    error: str = ""


class HttpCheck:
    """Send an HTTP request (several, for a latency verdict) and judge status, latency and body."""

    name: ClassVar[str] = "http"
    description: ClassVar[str] = "HTTP request with expected status, max latency and JSON assertions."
    Params: ClassVar[type[HttpParams]] = HttpParams
    #: Talks to the service through base_url unless its path is a full URL.
    needs_base_url: ClassVar[bool] = True

    @staticmethod
    def uses_base_url(params: HttpParams) -> bool:
        """A path is joined to base_url; a full URL is not."""
        return not is_full_url(params.path)

    #: A latency verdict must not be taken while golive's own scanners load the machine.
    measures_performance: ClassVar[bool] = True

    async def run(self, params: HttpParams, ctx: CheckContext) -> Outcome:
        """Send the request with the shared client and compare."""
        url = ctx.url(params.path)
        headers = {k: ctx.resolve(v) for k, v in params.headers.items()}
        body = params.body
        if params.json_body is not None:
            body = json.dumps(params.json_body)
            headers.setdefault("Content-Type", "application/json")
        if body is not None:
            body = ctx.resolve(body)
        reproducer = _curl(params.method, url, headers, body)

        async def send() -> _Sent:
            start = time.perf_counter()
            try:
                response = await ctx.http.request(
                    params.method,
                    url,
                    headers=headers,
                    content=body,
                    follow_redirects=params.follow_redirects,
                    timeout=ctx.timeout,
                )
            except httpx.HTTPError as exc:
                return _Sent(response=None, latency_ms=0.0, error=f"{type(exc).__name__}: {exc}")
            return _Sent(response=response, latency_ms=(time.perf_counter() - start) * 1000)

        sent = [await send() for _ in range(_samples(params))]
        failed = next((s for s in sent if s.response is None), None)
        if failed is not None:
            return Outcome(
                status=Status.FAIL,
                summary=f"{params.method} {url}: request failed ({failed.error})",
                reproducer=reproducer,
            )
        return _judge(params, [s for s in sent[1:] or sent], reproducer)


def _samples(params: HttpParams) -> int:
    """Requests to send: one warm-up plus the latency samples, or a single request."""
    if params.samples is not None:
        return params.samples + 1 if params.samples > 1 else 1
    if params.max_latency_ms is not None and params.method in SAFE_METHODS:
        return DEFAULT_LATENCY_SAMPLES + 1
    return 1


def _judge(params: HttpParams, sent: list[_Sent], reproducer: str) -> Outcome:
    """Status of every sample, latency p95 over the samples, body of the first sample."""
    responses = [s.response for s in sent if s.response is not None]
    first = responses[0]
    expected = params.expect_status if isinstance(params.expect_status, list) else [params.expect_status]
    latencies = [s.latency_ms for s in sent]
    p50, p95 = _percentile(latencies, 50), _percentile(latencies, 95)
    target = f"<= {params.max_latency_ms:g}" if params.max_latency_ms else None
    findings = Findings()
    findings.measure("status", first.status_code, target=" or ".join(map(str, expected)))
    findings.measure("latency_p95", round(p95, 2), "ms", target)
    findings.measure("latency_p50", round(p50, 2), "ms")
    findings.measure("samples", len(sent))
    wrong = sorted({r.status_code for r in responses if r.status_code not in expected})
    if wrong:
        bad = sum(r.status_code not in expected for r in responses)
        share = f" in {bad} of {len(responses)} requests" if len(responses) > 1 else ""
        findings.problem(
            f"status {', '.join(map(str, wrong))}{share}, expected {' or '.join(map(str, expected))}"
        )
    if params.max_latency_ms is not None and p95 > params.max_latency_ms:
        findings.problem(f"latency p95 {p95:.0f}ms over {len(sent)} sample(s) > {params.max_latency_ms:g}ms")
    text = first.text
    if params.body_matches and not re.search(params.body_matches, text):
        findings.problem(f"body does not match /{params.body_matches}/")
    if params.json_assertions:
        for problem in _check_json(text, params.json_assertions):
            findings.problem(problem)
    head = f"HTTP {first.status_code} {first.reason_phrase}\n" + "\n".join(
        f"{k}: {redact_header(k, v)}" for k, v in first.headers.items()
    )
    evidence = Evidence(excerpt=excerpt(head + "\n\n" + text, limit=2000))
    timing = f"p95 {p95:.0f}ms over {len(sent)} samples" if len(sent) > 1 else f"in {p95:.0f}ms"
    return findings.outcome(
        passed=f"{params.method} {params.path} -> {first.status_code} {timing}",
        failed=f"{params.method} {params.path}",
        evidence=evidence,
        reproducer=reproducer,
        limit=10,
    )


def _check_json(text: str, assertions: list[JsonAssertion]) -> list[str]:
    try:
        data = json.loads(text)
    except ValueError:
        return ["body is not JSON"]
    problems = []
    for a in assertions:
        found = [m.value for m in jsonpath_parse(a.path).find(data)]
        if not a.exists:
            if found:
                problems.append(f"{a.path} exists ({found[0]!r}) but must not")
            continue
        if not found:
            problems.append(f"{a.path} not found")
            continue
        value = found[0]
        if "equals" in a.model_fields_set and value != a.equals:
            problems.append(f"{a.path} = {value!r}, expected {a.equals!r}")
        if a.matches is not None and not re.search(a.matches, str(value)):
            problems.append(f"{a.path} = {value!r} does not match /{a.matches}/")
    return problems
