"""Evidence reuse: a second review of unchanged inputs takes the first review's verdict.

Real engine, real SQLite history store, real ``file`` and ``http`` checks; a file check
subclass counts its runs so that "not run again" is observed, not assumed.
"""

from __future__ import annotations

import asyncio
import http.server
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest

from golive.checks.file import FileCheck, FileParams
from golive.checks.registry import CheckRegistry
from golive.engine import ReviewOptions, Runner
from golive.history.store import SqlStore, open_store
from golive.kit.check import CheckContext, Inputs
from golive.reporters.base import get_reporter
from golive.results import CheckResult, Outcome, Review, Status
from golive.spec import SpecLoader
from tests.fixtures.httpserver import serve_handler
from tests.fixtures.reuse import ReuseRig
from tests.fixtures.review import crit, write_spec


class CountingFile(FileCheck):
    """The real ``file`` check, counting how often it really runs."""

    name: ClassVar[str] = "test.counting_file"
    runs: ClassVar[int] = 0

    async def run(self, params: FileParams, ctx: CheckContext) -> Outcome:
        type(self).runs += 1
        return await super().run(params, ctx)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    with open_store(f"sqlite:///{tmp_path / 'history.db'}", root=tmp_path) as db:
        yield db


def _review(
    tmp_path: Path, store: SqlStore, criteria: list[dict[str, Any]], reuse: float | None = None
) -> Review:
    registry = CheckRegistry.default()
    registry.register(CountingFile)
    spec = SpecLoader(registry).load(write_spec(tmp_path, criteria))
    options = ReviewOptions(artifacts_dir=tmp_path / "artifacts", reuse=reuse, reuse_source=store)
    review = asyncio.run(Runner(spec, registry, options).run())
    store.save_review(review)
    return review


def _doc_criterion(**extra: Any) -> dict[str, Any]:
    check = {"type": "test.counting_file", "path": "RUNBOOK.md", "headings": ["Rollback"]}
    check.update(extra.pop("check", {}))
    return crit("docs.runbook", check, **extra)


def _result(review: Review, cid: str = "docs.runbook") -> CheckResult:
    return next(r for r in review.results if r.criterion_id == cid)


@pytest.fixture
def runbook(tmp_path: Path) -> Path:
    CountingFile.runs = 0
    path = tmp_path / "RUNBOOK.md"
    path.write_text("# Runbook\n\n## Rollback\n\nRun `make rollback`.\n")
    return path


def test_unchanged_inputs_are_reused_without_running_the_check(
    tmp_path: Path, store: SqlStore, runbook: Path
) -> None:
    first = _review(tmp_path, store, [_doc_criterion(reuse="24h")])
    assert _result(first).status is Status.PASS and _result(first).reused is None
    assert _result(first).fingerprint
    second = _review(tmp_path, store, [_doc_criterion(reuse="24h")])
    reused = _result(second)
    assert CountingFile.runs == 1  # the second review did not run the check
    assert reused.status is Status.PASS
    assert reused.reused is not None and reused.reused.review_id == store.reviews()[1].id
    assert reused.summary.startswith(f"reused from review #{reused.reused.review_id}, ")
    # The evidence travels with the verdict.
    assert reused.measurements == _result(first).measurements
    assert reused.evidence == _result(first).evidence


def test_reused_evidence_is_not_reused_again_as_new(tmp_path: Path, store: SqlStore, runbook: Path) -> None:
    first_id = _review(tmp_path, store, [_doc_criterion(reuse="24h")]) and store.reviews()[0].id
    _review(tmp_path, store, [_doc_criterion(reuse="24h")])
    third = _result(_review(tmp_path, store, [_doc_criterion(reuse="24h")]))
    # Its age counts from the review that really ran the check, not from the last reuse.
    assert third.reused is not None and third.reused.review_id == first_id
    assert CountingFile.runs == 1


def test_a_changed_input_file_runs_the_check(tmp_path: Path, store: SqlStore, runbook: Path) -> None:
    _review(tmp_path, store, [_doc_criterion(reuse="24h")])
    runbook.write_text("# Runbook\n\n## Contacts\n\nnobody\n")
    second = _result(_review(tmp_path, store, [_doc_criterion(reuse="24h")]))
    assert second.reused is None and CountingFile.runs == 2
    assert second.status is Status.FAIL


def test_a_changed_param_runs_the_check(tmp_path: Path, store: SqlStore, runbook: Path) -> None:
    _review(tmp_path, store, [_doc_criterion(reuse="24h")])
    changed = _doc_criterion(reuse="24h", check={"headings": ["Rollback", "Runbook"]})
    second = _result(_review(tmp_path, store, [changed]))
    assert second.reused is None and CountingFile.runs == 2


def test_without_a_window_nothing_is_reused(tmp_path: Path, store: SqlStore, runbook: Path) -> None:
    _review(tmp_path, store, [_doc_criterion()])
    assert _result(_review(tmp_path, store, [_doc_criterion()])).reused is None
    # The command line's window applies to every reusable criterion.
    assert _result(_review(tmp_path, store, [_doc_criterion()], reuse=3600.0)).reused is not None
    assert CountingFile.runs == 2


def test_an_expired_window_runs_the_check(tmp_path: Path, store: SqlStore, runbook: Path) -> None:
    first = _review(tmp_path, store, [_doc_criterion(reuse="1h")])
    # Back-date the stored evidence by two hours: older than the window.
    with store._engine.begin() as conn:  # noqa: SLF001 - the test ages a real row
        from golive.history._schema import result_inputs_table

        conn.execute(result_inputs_table.update().values(finished_at=first.finished_at - timedelta(hours=2)))
    assert _result(_review(tmp_path, store, [_doc_criterion(reuse="1h")])).reused is None
    assert CountingFile.runs == 2


@pytest.fixture
def server() -> Iterator[str]:
    """A real HTTP server on a free loopback port answering 200 to every GET."""

    class Ok(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_: object) -> None:
            pass

    with serve_handler(Ok) as url:
        yield url


def test_an_http_check_is_never_reused(tmp_path: Path, store: SqlStore, server: str) -> None:
    http_crit = crit("api.health", {"type": "http", "path": f"{server}/healthz"}, reuse="24h")
    for _ in range(2):
        result = _result(_review(tmp_path, store, [http_crit]), "api.health")
        assert result.status is Status.PASS
        assert result.reused is None and result.fingerprint == ""


def test_every_report_format_shows_the_marker(tmp_path: Path, store: SqlStore, runbook: Path) -> None:
    _review(tmp_path, store, [_doc_criterion(reuse="24h")])
    second = _review(tmp_path, store, [_doc_criterion(reuse="24h")])
    marker = _result(second).reused
    assert marker is not None
    label = f"reused from review #{marker.review_id}"
    for name in ("markdown", "html", "junit", "json", "terminal"):
        text = get_reporter(name).render(second)
        assert label in text, name
    data = json.loads(get_reporter("json").render(second))
    assert data["results"][0]["reused"]["review_id"] == marker.review_id
    assert datetime.fromisoformat(data["results"][0]["reused"]["finished_at"]) < datetime.now(UTC)


# ------------------------------------------------------- checks whose run writes into their inputs


class WritesReport:
    """A reusable check that reads ``src/`` and writes ``out/report.txt`` there for others to read."""

    name: ClassVar[str] = "test.writes_report"
    description: ClassVar[str] = "writes a report into its own tree"
    Params: ClassVar[type[FileParams]] = FileParams
    reusable: ClassVar[bool] = True
    runs: ClassVar[int] = 0

    def inputs(self, params: FileParams, ctx: CheckContext) -> Inputs:
        return Inputs(paths=(str(ctx.path(params.path)),), exclude=("cache",), after_run=True)

    async def run(self, params: FileParams, ctx: CheckContext) -> Outcome:
        type(self).runs += 1
        root = ctx.path(params.path)
        (root / "out").mkdir(exist_ok=True)
        (root / "out" / "report.txt").write_text(f"run {type(self).runs}\n")
        (root / "cache").mkdir(exist_ok=True)
        (root / "cache" / f"{type(self).runs}.bin").write_text("scratch")
        return Outcome(status=Status.PASS, summary="report written")


def test_a_check_that_writes_its_inputs_is_reused_while_they_are_as_it_left_them(rig: ReuseRig) -> None:
    WritesReport.runs = 0
    rig.registry.register(WritesReport)
    (rig.svc / "tree").mkdir()
    (rig.svc / "tree" / "source.txt").write_text("v1\n")
    criteria = [crit("build.report", {"type": "test.writes_report", "path": "tree"})]
    # The run changed its tree (a new report); recorded as it left it, the next review reuses it.
    assert rig.result(rig.review(criteria, reuse=3600.0), "build.report").reused is None
    assert rig.result(rig.review(criteria, reuse=3600.0), "build.report").reused is not None
    # An excluded directory is no input; the report another check reads is.
    (rig.svc / "tree" / "cache" / "other.bin").write_text("more scratch")
    assert rig.result(rig.review(criteria, reuse=3600.0), "build.report").reused is not None
    (rig.svc / "tree" / "out" / "report.txt").unlink()
    assert rig.result(rig.review(criteria, reuse=3600.0), "build.report").reused is None
    assert WritesReport.runs == 2
