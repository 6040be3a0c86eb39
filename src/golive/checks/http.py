"""``http`` check: a request gets the expected status, within a latency, with the right body."""

from __future__ import annotations

import json
import re
import shlex
import time
from typing import Any, ClassVar

import httpx
from jsonpath_ng.exceptions import JsonPathParserError
from jsonpath_ng.ext.parser import parse as jsonpath_parse
from pydantic import Field, field_validator

from golive.kit.check import CheckContext, Params
from golive.kit.text import excerpt, redact, redact_header
from golive.results import Evidence, Measurement, Outcome, Status


class JsonAssertion(Params):
    """One assertion on a JSON response body."""

    path: str = Field(description="JSONPath, e.g. $.status or $.items[0].id")
    equals: Any = Field(default=None, description="Expected value (null allowed).")
    matches: str | None = Field(default=None, description="Regular expression on the value.")
    exists: bool = Field(default=True, description="false: the path must not exist.")

    @field_validator("path")
    @classmethod
    def _valid_path(cls, value: str) -> str:
        try:
            jsonpath_parse(value)
        except (JsonPathParserError, Exception) as exc:
            raise ValueError(f"invalid JSONPath {value!r}: {exc}") from None
        return value


class HttpParams(Params):
    """Params of the ``http`` check."""

    path: str = Field(description="Path joined to the environment's base_url, or a full URL.")
    method: str = Field(default="GET", pattern=r"^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)$")
    headers: dict[str, str] = Field(default_factory=dict, description="${VAR} allowed.")
    body: str | None = None
    json_body: Any = Field(default=None, alias="json")
    expect_status: int | list[int] = 200
    max_latency_ms: float | None = Field(default=None, gt=0)
    body_matches: str | None = Field(default=None, description="Regular expression on the body.")
    json_assertions: list[JsonAssertion] = Field(default_factory=list, alias="assert")
    follow_redirects: bool = False

    model_config = {**Params.model_config, "populate_by_name": True}


def _curl(method: str, url: str, headers: dict[str, str], body: str | None) -> str:
    parts = ["curl", "-sS", "-i", "-X", method]
    for name, value in headers.items():
        parts += ["-H", f"{name}: {redact_header(name, value)}"]
    if body is not None:
        parts += ["--data-raw", body]
    parts.append(url)
    return redact(shlex.join(parts))


class HttpCheck:
    """Send one HTTP request and judge status, latency and body."""

    name: ClassVar[str] = "http"
    description: ClassVar[str] = "HTTP request with expected status, max latency and JSON assertions."
    Params: ClassVar[type[HttpParams]] = HttpParams

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
            return Outcome(
                status=Status.FAIL,
                summary=f"{params.method} {url}: request failed ({type(exc).__name__}: {exc})",
                reproducer=reproducer,
            )
        latency_ms = (time.perf_counter() - start) * 1000
        expected = params.expect_status if isinstance(params.expect_status, list) else [params.expect_status]
        measurements = [
            Measurement(name="status", value=response.status_code, target=" or ".join(map(str, expected))),
            Measurement(
                name="latency",
                value=round(latency_ms, 2),
                unit="ms",
                target=f"<= {params.max_latency_ms:g}" if params.max_latency_ms else None,
            ),
        ]
        problems = []
        if response.status_code not in expected:
            problems.append(f"status {response.status_code}, expected {' or '.join(map(str, expected))}")
        if params.max_latency_ms is not None and latency_ms > params.max_latency_ms:
            problems.append(f"latency {latency_ms:.0f}ms > {params.max_latency_ms:g}ms")
        text = response.text
        if params.body_matches and not re.search(params.body_matches, text):
            problems.append(f"body does not match /{params.body_matches}/")
        if params.json_assertions:
            problems.extend(_check_json(text, params.json_assertions))
        head = f"HTTP {response.status_code} {response.reason_phrase}\n" + "\n".join(
            f"{k}: {redact_header(k, v)}" for k, v in response.headers.items()
        )
        evidence = Evidence(excerpt=excerpt(head + "\n\n" + text, limit=2000))
        if problems:
            return Outcome(
                status=Status.FAIL,
                summary=f"{params.method} {params.path}: " + "; ".join(problems),
                measurements=tuple(measurements),
                evidence=evidence,
                reproducer=reproducer,
            )
        return Outcome(
            status=Status.PASS,
            summary=f"{params.method} {params.path} -> {response.status_code} in {latency_ms:.0f}ms",
            measurements=tuple(measurements),
            evidence=evidence,
            reproducer=reproducer,
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
