"""Fixtures of the runbook tests: a check context, a stub service and a workspace."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import threading
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from golive.checks.registry import CheckRegistry
from golive.kit.check import CheckContext
from golive.results import Outcome
from golive.runbook.checks import RunbookCheck, RunbookParams
from golive.spec import Spec, SpecLoader
from golive.spec.models import Environment, Objectives

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "runbook"
RUNBOOK = "docs/PRODUCTION_RUNBOOK.md"


class StubService:
    """A tiny HTTP service whose /readyz details the tests choose."""

    def __init__(self) -> None:
        self.checks: dict[str, bool] = {"database": True}
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                if self.path == "/healthz":
                    body, code = {"status": "ok"}, 200
                elif self.path == "/readyz":
                    ok = all(stub.checks.values())
                    body = {"status": "ready" if ok else "unavailable", "checks": stub.checks}
                    code = 200 if ok else 503
                else:
                    body, code = {"detail": "Not Found"}, 404
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> StubService:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture(scope="module")
def stub() -> Iterator[StubService]:
    """The stub service, shared by a module's tests."""
    with StubService() as s:
        yield s


@pytest.fixture(autouse=True)
def _reset_stub(request: pytest.FixtureRequest) -> None:
    if "stub" in request.fixturenames:
        request.getfixturevalue("stub").checks = {"database": True}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A spec directory holding the complete fixture runbook and the deploy script."""
    (tmp_path / "docs").mkdir()
    shutil.copy(FIXTURES / "complete.md", tmp_path / RUNBOOK)
    shutil.copy(FIXTURES / "deploy.sh", tmp_path / "deploy.sh")
    return tmp_path


def _spec(workdir: Path) -> Spec | None:
    """The spec in ``workdir`` as the engine hands it to a check (None when there is none)."""
    if not (workdir / "golive.yaml").is_file():
        return None
    return SpecLoader(CheckRegistry.default()).load(workdir)


def run_check(
    workdir: Path,
    params: Mapping[str, Any] | None = None,
    *,
    base_url: str = "http://127.0.0.1:9",
    env_name: str = "staging",
    allow_destructive: bool = False,
    production: bool | None = None,
    env_allows_destructive: bool = False,
    env_vars: Mapping[str, str] | None = None,
    database_url: str | None = None,
    timeout: float = 30.0,
) -> Outcome:
    """Run the runbook check the way the engine does (with the spec in ``workdir``, if any)."""
    checked = RunbookParams(**dict(params or {}))

    async def main() -> Outcome:
        async with httpx.AsyncClient() as http:
            ctx = CheckContext(
                criterion_id="runbook.tested",
                environment_name=env_name,
                environment=Environment(
                    base_url=base_url,
                    vars=dict(env_vars or {}),
                    database_url=database_url,
                    production=production,
                    allow_destructive=env_allows_destructive,
                ),
                objectives=Objectives(),
                workdir=workdir,
                artifacts_dir=workdir / ".golive" / "artifacts" / "runbook.tested",
                http=http,
                logger=logging.getLogger("golive.test"),
                timeout=timeout,
                environ=dict(os.environ),
                allow_destructive=allow_destructive,
                spec=_spec(workdir),
            )
            return await RunbookCheck().run(checked, ctx)

    return asyncio.run(main())


def edit(path: Path, old: str, new: str) -> None:
    """Replace text in a file; fails the test if ``old`` is not there."""
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def line_of(path: Path, needle: str) -> int:
    """1-based number of the first line containing ``needle``."""
    for n, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return n
    raise AssertionError(needle)
