"""Params of the ``http`` check, apart from the check so validating a spec does not import httpx."""

from __future__ import annotations

from typing import Any

from jsonpath_ng.exceptions import JsonPathParserError
from jsonpath_ng.ext.parser import parse as jsonpath_parse
from pydantic import Field, field_validator

from golive.kit.check import Params

DEFAULT_LATENCY_SAMPLES = 20
"""Samples behind a latency verdict (after one warm-up request): p95 by nearest rank is then the
19th of 20, so one request slowed by a passing hiccup does not decide the verdict alone."""


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
    samples: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        description="Requests whose latencies are judged (p95), after one warm-up request. "
        f"Default: {DEFAULT_LATENCY_SAMPLES} for GET/HEAD/OPTIONS with max_latency_ms, else one request.",
    )

    model_config = {**Params.model_config, "populate_by_name": True}
