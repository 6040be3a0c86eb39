"""The built-in check types against real files, processes, an HTTP server and sockets."""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from golive.results import Review, Status
from tests.fixtures.review import crit
from tests.fixtures.servers import free_port

Run = Callable[..., Review]


def one(review: Run, check: dict, **kw: object) -> tuple[Status, str, Review]:
    r = review([crit("c", check, timeout="10s")], **kw)
    return r.results[0].status, r.results[0].summary, r


def test_file_headings_and_freshness(review: Run, tmp_path: Path) -> None:
    fresh = (date.today() - timedelta(days=3)).isoformat()
    (tmp_path / "RUNBOOK.md").write_text(
        f"# Runbook\nLast verified: {fresh}\n## Rollback\n```sh\n# Not a heading\n```\n"
        "## Escalation\nPage the on-call.\n"
    )
    status, summary, _ = one(
        review,
        {"type": "file", "path": "RUNBOOK.md", "headings": ["Rollback", "escalation"], "max_age_days": 7},
    )
    assert status is Status.PASS, summary
    status, summary, _ = one(
        review,
        {"type": "file", "path": "RUNBOOK.md", "headings": ["Rollback", "Not a heading"], "max_age_days": 2},
    )
    assert status is Status.FAIL
    assert "missing headings: 'Not a heading'" in summary
    assert f"last verified {fresh} is 3 days old (max 2)" in summary
    status, summary, _ = one(review, {"type": "file", "path": "MISSING.md"})
    assert (status, summary) == (Status.FAIL, "expected file MISSING.md to exist; it does not")


def test_command_output_and_exit_code(review: Run) -> None:
    status, _, r = one(
        review,
        {
            "type": "command",
            "command": ["sh", "-c", "echo ready; exit 3"],
            "expect_exit": 3,
            "expect_output": "^ready$",
        },
    )
    assert status is Status.PASS
    assert "sh -c 'echo ready; exit 3'" in r.results[0].reproducer
    status, summary, _ = one(
        review,
        {
            "type": "command",
            "command": "echo password=hunter2; echo ERR",
            "shell": True,
            "reject_output": "ERR",
        },
    )
    assert status is Status.FAIL and summary == "output matches rejected /ERR/"
    assert "hunter2" not in _.results[0].evidence.excerpt


def test_http_status_latency_and_json(review: Run, http_base: str) -> None:
    ok = {
        "type": "http",
        "path": "/healthz",
        "max_latency_ms": 2000,
        "assert": [
            {"path": "$.status", "equals": "ok"},
            {"path": "$.checks.db", "matches": "^up$"},
            {"path": "$.error", "exists": False},
        ],
    }
    status, summary, r = one(review, ok, base_url=http_base)
    assert status is Status.PASS, summary
    assert r.results[0].reproducer.startswith("curl -sS -i -X GET http://127.0.0.1:")
    bad = {"type": "http", "path": "/healthz", "assert": [{"path": "$.status", "equals": "down"}]}
    status, summary, _ = one(review, bad, base_url=http_base)
    assert status is Status.FAIL and "$.status = 'ok', expected 'down'" in summary
    status, summary, _ = one(
        review, {"type": "http", "path": "/status/503", "expect_status": [200, 204]}, base_url=http_base
    )
    assert status is Status.FAIL and "status 503, expected 200 or 204" in summary
    status, summary, _ = one(
        review, {"type": "http", "path": "/slow", "max_latency_ms": 50}, base_url=http_base
    )
    assert status is Status.FAIL and "latency" in summary and "> 50ms" in summary


def test_http_redacts_secrets_in_reproducer(review: Run, http_base: str) -> None:
    check = {"type": "http", "path": "/echo-auth", "headers": {"Authorization": "Bearer ${TOKEN}"}}
    status, _, r = one(review, check, base_url=http_base, environ={"TOKEN": "s3cr3t-token"})
    assert status is Status.PASS
    res = r.results[0]
    assert "s3cr3t-token" not in res.reproducer and "s3cr3t-token" not in res.evidence.excerpt


def test_http_connection_refused(review: Run) -> None:
    port = free_port()
    status, summary, _ = one(review, {"type": "http", "path": f"http://127.0.0.1:{port}/"})
    assert status is Status.FAIL and "request failed (ConnectError" in summary


def test_tcp(review: Run) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        status, _, _ = one(review, {"type": "tcp", "host": "127.0.0.1", "port": port})
        assert status is Status.PASS
    status, summary, _ = one(
        review, {"type": "tcp", "host": "127.0.0.1", "port": free_port(), "connect_timeout": 1}
    )
    assert status is Status.FAIL and "to accept connections" in summary


def test_file_headings_need_content_and_a_directory_is_a_spec_mistake(review: Run, tmp_path: Path) -> None:
    (tmp_path / "RUNBOOK.md").write_text("# Runbook\n\n## Rollback\n\n## Contacts\n\nops@example.com\n")
    (tmp_path / "docs").mkdir()
    r = review(
        [
            crit("hollow", {"type": "file", "path": "RUNBOOK.md", "headings": ["Rollback", "Contacts"]}),
            crit("dir", {"type": "file", "path": "docs"}),
        ]
    )
    statuses = {x.criterion_id: (x.status, x.summary) for x in r.results}
    assert statuses["hollow"][0] is Status.FAIL and "nothing under them: 'Rollback'" in statuses["hollow"][1]
    assert statuses["dir"][0] is Status.NO_DATA
    assert statuses["dir"][1].startswith("docs is a directory: a file check takes the path of one file")


def test_http_latency_is_judged_on_samples_after_a_warm_up(review: Run) -> None:
    """One slow first request (a cold cache) and one hiccup do not decide a latency verdict;
    a flapping status does: every sample's status is judged."""
    import threading
    import time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            seen.append(1)
            n = len(seen)
            if self.path == "/warm" and n in (1, 6):
                time.sleep(0.4)
            status = 500 if self.path == "/flaps" and n % 7 == 0 else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        do_POST = do_GET

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        status, summary, r = one(
            review, {"type": "http", "path": "/warm", "max_latency_ms": 200}, base_url=base
        )
        assert status is Status.PASS, summary
        assert len(seen) == 21 and "over 20 samples" in summary
        names = {m.name: m.value for m in r.results[0].measurements}
        assert names["samples"] == 20 and names["latency_p50"] < 200 and names["latency_p95"] < 200
        seen.clear()
        status, summary, _ = one(
            review, {"type": "http", "path": "/flaps", "max_latency_ms": 200}, base_url=base
        )
        assert status is Status.FAIL and "status 500 in 3 of 20 requests" in summary
        seen.clear()
        one(review, {"type": "http", "method": "POST", "path": "/warm", "max_latency_ms": 200}, base_url=base)
        assert len(seen) == 1, "a POST is never repeated unless the spec asks for samples"
    finally:
        server.shutdown()
        server.server_close()
