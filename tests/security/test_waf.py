"""security.waf: the corpora and the judging, against a small real HTTP server acting as a WAF.

The server (an inventory API shaped unlike storefront) refuses requests whose decoded URL,
headers or body match its signatures with an HTML 403, answers its own errors as JSON, and
can rate-limit the first requests with 429.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote_plus

import pytest

from golive.kit.check import CheckError
from golive.results import Status
from golive.security._waf_corpus import attack_request, default_attack_path, legitimate_requests, load_attacks
from golive.security.waf import WafCheck
from tests.fixtures.httpserver import serve_handler
from tests.security.conftest import run_check

OPENAPI: dict[str, Any] = {
    "openapi": "3.0.3",
    "paths": {
        "/v2/status": {"get": {"operationId": "status"}},
        "/v2/items": {
            "get": {
                "operationId": "searchItems",
                "parameters": [{"name": "sku", "in": "query", "required": True, "example": "AB-1234"}],
            },
            "post": {
                "operationId": "addNote",
                "requestBody": {
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Note"}}}
                },
            },
        },
        "/v2/items/{itemId}": {
            "get": {
                "operationId": "getItem",
                "parameters": [{"name": "itemId", "in": "path", "schema": {"type": "integer", "minimum": 7}}],
            }
        },
    },
    "components": {
        "schemas": {
            "Note": {
                "type": "object",
                "required": ["text"],
                "properties": {
                    "text": {"type": "string", "example": "Restock shelf 4 before Friday."},
                    "author": {"type": "string", "format": "email"},
                },
            }
        }
    },
}
#: golive paces itself at 20 requests/s by default; a thread server on loopback takes more.
FAST: dict[str, Any] = {"rate_per_second": 200}
EVERYTHING = (
    r"(?i)(union|select|sleep|benchmark|waitfor|drop table|or '1'|or 1=1|<|javascript:|\.\.|/etc/"
    r"|win\.ini|https?://|;|\||\$\(|`|php|java\.lang|jndi|\r|\n|sqlmap|nikto|nmap|masscan|dirbuster|wpscan"
    r"|\(\) \{)"
)


class _Waf(BaseHTTPRequestHandler):
    """An API behind a signature WAF; subclasses set what it blocks and how it limits."""

    signatures: ClassVar[str] = EVERYTHING
    limit_first: ClassVar[int] = 0
    seen: ClassVar[list[str]] = []

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass

    def _answer(self, status: int, body: bytes, ctype: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _handle(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8", "replace")
        type(self).seen.append(self.path)
        if len(type(self).seen) <= type(self).limit_first:
            self._answer(429, b"slow down", "text/plain", {"Retry-After": "0"})
            return
        headers = " ".join(f"{k}: {v}" for k, v in self.headers.items() if k.lower() != "host")
        inspected = f"{unquote_plus(self.path)} {headers} {unquote_plus(body)}"
        if self.path != "/openapi.json" and re.search(self.signatures, inspected):
            self._answer(403, b"<html><body>403 Forbidden by the edge</body></html>", "text/html")
        elif self.path == "/openapi.json":
            self._answer(200, json.dumps(OPENAPI).encode(), "application/json")
        elif self.path.startswith("/v2/"):
            self._answer(200, b'{"ok": true}', "application/json")
        else:
            self._answer(404, b'{"error": "no such route"}', "application/json")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


@contextmanager
def _waf(**attrs: Any) -> Iterator[str]:
    handler = type("Handler", (_Waf,), {"seen": [], **attrs})
    with serve_handler(handler) as url:
        yield url


def test_corpus_is_bounded_and_covers_every_place_and_kind() -> None:
    attacks = load_attacks()
    assert 40 <= len(attacks) <= 60
    assert {a.place for a in attacks} == {"query", "path", "form", "json", "header", "cookie"}
    assert {"sqli", "xss", "traversal", "cmdi", "scanner"} <= {a.kind for a in attacks}


def test_legitimate_requests_use_the_documents_examples() -> None:
    requests = {r.label: r for r in legitimate_requests(OPENAPI, limit=10, mutating=True)}
    assert requests["GET searchItems"].query == (("sku", "AB-1234"),)
    assert requests["GET getItem"].path == "/v2/items/7"
    note = json.loads(requests["POST addNote"].body or b"")
    assert note["text"] == "Restock shelf 4 before Friday." and "@" in note["author"]
    assert "POST addNote" not in {r.label for r in legitimate_requests(OPENAPI, limit=10, mutating=False)}
    assert len(legitimate_requests(OPENAPI, limit=2, mutating=True)) == 2


def test_attacks_go_to_an_operation_that_takes_input() -> None:
    assert default_attack_path(OPENAPI) == "/v2/items"
    cookie = next(a for a in load_attacks() if a.place == "cookie")
    assert dict(attack_request(cookie, "/v2/items").headers)["Cookie"].startswith(cookie.name + "=")


def test_a_waf_that_blocks_every_attack_and_no_legitimate_request_passes(tmp_path: Path) -> None:
    with _waf() as url:
        outcome = run_check(WafCheck, FAST, tmp_path, base_url=url)
    assert outcome.status is Status.PASS, outcome.summary
    values = {m.name: m.value for m in outcome.measurements}
    assert values["block_rate"] == 100 and values["false_positive_rate"] == 0
    assert values["legitimate"] == 4 and values["attacks"] == len(load_attacks())


def test_payloads_that_get_through_are_named_with_curl_reproducers(tmp_path: Path) -> None:
    with _waf(signatures=r"(?i)union|select") as url:
        outcome = run_check(WafCheck, FAST, tmp_path, base_url=url)
    assert outcome.status is Status.FAIL
    assert "block rate" in outcome.summary and "xss-script-query" in outcome.summary
    assert "curl -sS -i --path-as-is" in outcome.evidence.excerpt
    assert outcome.reproducer.startswith("curl ")
    sarif = json.loads((tmp_path / ".artifacts" / "findings.sarif").read_text())
    rules = {r["ruleId"] for r in sarif["runs"][0]["results"]}
    assert "golive.waf.bypass.xss" in rules and "sqli-union-query" not in outcome.summary


def test_a_blocked_legitimate_request_is_a_false_positive(tmp_path: Path) -> None:
    with _waf(signatures=EVERYTHING + r"|restock") as url:
        outcome = run_check(WafCheck, FAST, tmp_path, base_url=url)
    assert outcome.status is Status.FAIL
    assert "false-positive rate 25% > 0%" in outcome.summary and "POST addNote" in outcome.summary
    with _waf(signatures=EVERYTHING + r"|restock") as url:
        tolerant = run_check(WafCheck, {**FAST, "max_false_positive_rate": 30}, tmp_path, base_url=url)
    assert tolerant.status is Status.PASS, tolerant.summary


def test_the_services_own_403_is_not_the_wafs_with_blocked_body(tmp_path: Path) -> None:
    with _waf() as url:
        outcome = run_check(
            WafCheck, {**FAST, "blocked_body": "Request denied by WAF"}, tmp_path, base_url=url
        )
    assert outcome.status is Status.FAIL
    assert {m.name: m.value for m in outcome.measurements}["block_rate"] == 0


def test_429_is_backed_off_and_retried_not_counted_as_blocked(tmp_path: Path) -> None:
    with _waf(limit_first=3) as url:
        outcome = run_check(WafCheck, {**FAST, "max_retries": 3}, tmp_path, base_url=url)
    assert outcome.status is Status.PASS, outcome.summary
    values = {m.name: m.value for m in outcome.measurements}
    assert values["rate_limited_answers"] == 3 and values["block_rate"] == 100


def test_requests_still_limited_are_not_judged(tmp_path: Path) -> None:
    with _waf(limit_first=10_000) as url, pytest.raises(CheckError, match="HTTP 429"):
        run_check(WafCheck, {**FAST, "max_retries": 0}, tmp_path, base_url=url)


@pytest.mark.parametrize("base_url", ["http://10.20.30.40:8000", "https://waf.example.com"])
def test_disallowed_target_refused_before_any_request(base_url: str, tmp_path: Path) -> None:
    with pytest.raises(CheckError, match="refusing to send WAF probe traffic"):
        run_check(WafCheck, FAST, tmp_path, base_url=base_url)
