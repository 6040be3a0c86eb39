"""The engine process's per-request path: what each request sends, and how it is counted.

The engine module monkey-patches the standard library with gevent when imported, so it only
ever runs in a child process here, as golive runs it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from golive.load._model import AuthSpec, LoadPlan, LoadRun, RequestSpec, Stage
from tests.fixtures.httpserver import serve_handler

SEEN: list[tuple[str, str, dict[str, str]]] = []


class _Recorder(BaseHTTPRequestHandler):
    """Answers everything; remembers each request's method, path and headers."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        SEEN.append((self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
        body = json.dumps({"access_token": "tok-1"}).encode()
        status = 418 if self.path == "/teapot" else 200
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer  # noqa: N815 - stdlib names


@contextmanager
def recorder() -> Iterator[str]:
    with serve_handler(_Recorder) as url:
        yield url


def test_requests_carry_their_headers_templates_and_token(tmp_path: Path) -> None:
    with recorder() as url:
        plan = LoadPlan(
            host=url,
            stages=(Stage(users=2, duration_s=1.5, spawn_rate=10),),
            requests=(
                RequestSpec(name="templated", path="/u/{user}", headers=(("X-Static", "s"),), weight=1),
                RequestSpec(name="plain", path="/plain", weight=1),
                RequestSpec(name="teapot", path="/teapot", expect_status=(200,), weight=1),
            ),
            auth=AuthSpec(path="/login", json_body={"u": "{user}"}),
            wait_min_s=0.05,
            wait_max_s=0.05,
        )
        plan_path, run_path = tmp_path / "plan.json", tmp_path / "run.json"
        plan_path.write_text(json.dumps(plan.as_json()))
        cmd = [sys.executable, "-m", "golive.load._worker", "--plan", str(plan_path), "--out", str(run_path)]
        subprocess.run(cmd, check=True, timeout=60, capture_output=True)
    run = LoadRun.from_json(json.loads(run_path.read_text()))
    work = [(path, headers) for method, path, headers in SEEN if path != "/login"]
    assert work, "no request reached the server"
    assert all(h.get("authorization") == "Bearer tok-1" for _, h in work)
    templated = [(p, h) for p, h in work if p.startswith("/u/")]
    assert templated and all(p in ("/u/1", "/u/2") and h.get("x-static") == "s" for p, h in templated)
    assert all("x-static" not in h for p, h in work if not p.startswith("/u/"))
    counted = {name: run.stats(name).requests for name in ("templated", "plain", "teapot")}
    assert counted["templated"] == len(templated)
    assert counted["plain"] == sum(p == "/plain" for p, _ in work)
    teapot = run.stats("teapot")
    assert teapot.requests > 0 and teapot.failures == teapot.requests  # 418, expected 200
    assert run.stats("plain").failures == 0


ACCUMULATOR = """
from golive.load._worker import Accumulator
acc = Accumulator()
acc.record("a", 12.3, True, 200, None)
first = acc.drain()
acc.record("a", 12.3, False, 500, "HTTP 500: boom")
second = acc.drain()
master = Accumulator()
master.merge(first)
master.merge(second)
print(master.total, len(first["seconds"]), len(second["seconds"]), master.errors)
"""


def test_a_drained_accumulator_keeps_counting() -> None:
    """Requests counted after a worker's report are in the next report, not lost."""
    out = subprocess.run(
        [sys.executable, "-c", ACCUMULATOR], check=True, capture_output=True, text=True, timeout=60
    ).stdout.split(maxsplit=3)
    assert out[:3] == ["2", "1", "1"]
    assert "HTTP 500: boom" in out[3]
