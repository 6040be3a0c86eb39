"""dr.drill against real databases and a real storefront: pass, RTO failure, missing rows, cleanup."""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from golive.results import Review, Status
from tests.fixtures.dr import PG_ADMIN, pid_alive, scratch_databases
from tests.fixtures.review import crit, write_spec
from tests.fixtures.servers import STOREFRONT, storefront

Run = Callable[..., Review]

SERVE = f"{sys.executable} -m storefront serve --host 127.0.0.1 --port ${{DRILL_PORT}}"
OPS = STOREFRONT / "ops"
#: storefront's own backup procedure, as examples/storefront/golive.yaml runs it.
STOREFRONT_SCRIPTS = {
    "backup_command": f'DATABASE_URL="$SOURCE_DATABASE_URL" {OPS}/backup.sh "$BACKUP_FILE"',
    "restore_command": f'DATABASE_URL="$RESTORED_DATABASE_URL" {OPS}/restore.sh "$BACKUP_FILE"',
}

# Every scratch database check asks the whole server: these tests run on one worker.
pytestmark = pytest.mark.xdist_group("dr-postgres")


def drill(source_url: str, pid: int, tmp_path: Path, **extra: Any) -> dict[str, Any]:
    """A drill of the storefront running as ``pid`` on ``source_url``."""
    check: dict[str, Any] = {
        "type": "dr.drill",
        "database_url": source_url,
        "stop": ["kill", "-TERM", str(pid)],
        # The pid file lets the test prove the restored instance is gone afterwards.
        "start": f"echo $$ > {tmp_path}/restored.pid; exec {SERVE}",
        "env": {
            "DATABASE_URL": "${RESTORED_DATABASE_URL}",
            "AUTO_MIGRATE": "false",
            "JWT_SECRET": "drill-only",
            "LOG_LEVEL": "WARNING",
        },
        "alembic_script_location": "storefront:migrations",
        "marker_interval": "50ms",
        "writes_after_backup": "600ms",
        "queries": [
            {"name": "products", "sql": "SELECT count(*) FROM products"},
            {"name": "last_sku", "sql": "SELECT max(sku) FROM products", "expect": "SKU-000300"},
        ],
    }
    check.update(extra)
    return check


def drill_report(tmp_path: Path) -> dict[str, Any]:
    """The drill.json the drill left in the criterion's artifacts (also after an interruption)."""
    return json.loads((tmp_path / "artifacts" / "dr.drill" / "drill.json").read_text())


def assert_scratch_dropped(tmp_path: Path) -> None:
    name = drill_report(tmp_path)["scratch_database"]
    assert name.startswith("golive_dr_")
    assert name not in scratch_databases()


@pytest.fixture(autouse=True)
def private_tempdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Scratch directories of this test's drill go to a directory of its own.

    Tests run in parallel: a global look at /tmp would see other tests' drills.
    """
    scratch_root = tmp_path / "tmp"
    scratch_root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch_root))


def scratch_dirs() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("golive_dr_*"))


def run_drill(review: Run, check: dict[str, Any], *, timeout: str = "120s", **kw: Any) -> Review:
    return review(
        [crit("dr.drill", check, area="dr", timeout=timeout)],
        objectives=kw.pop("objectives", {"rto": "60s", "rpo": "30s"}),
        **kw,
    )


def source_tables_pg(url: str) -> set[str]:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN.rsplit("/", 1)[0] + "/" + name) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return {r[0] for r in rows}


def init_dr(tmp_path: Path, check: dict[str, Any]) -> str:
    """Write the spec the review will use and generate its DR runbook with `golive init dr`."""
    from typer.testing import CliRunner

    from golive.cli import app

    write_spec(tmp_path, [crit("dr.drill", check, area="dr", timeout="120s")], objectives={"rto": "60s"})
    result = CliRunner().invoke(app, ["init", "dr", str(tmp_path)])
    assert result.exit_code == 0, result.output
    return (tmp_path / "docs" / "DR_RUNBOOK.md").read_text()


@pytest.mark.postgres
@pytest.mark.slow
def test_drill_passes_on_postgresql(review: Run, pg_source: str, tmp_path: Path) -> None:
    before_dirs = scratch_dirs()
    with storefront(tmp_path, database_url=pg_source) as server:
        check = drill(pg_source, server.proc.pid, tmp_path, jobs=2, runbook="docs/DR_RUNBOOK.md")
        check.update(STOREFRONT_SCRIPTS)
        runbook = init_dr(tmp_path, check)
        assert STOREFRONT_SCRIPTS["backup_command"] in runbook
        r = run_drill(review, check)
    result = r.results[0]
    assert result.status is Status.PASS, result.summary + "\n" + result.evidence.excerpt
    m = {x.name: x for x in result.measurements}
    assert 0 < m["rto"].value < 60 and m["rto"].target == "<= 60s"
    # Markers kept coming for 600 ms after the snapshot: that is the data the drill lost.
    assert 0.4 < m["rpo"].value < 30
    assert m["rows_verified"].value > 300
    assert "checksums equal to the source at backup time" in result.summary
    for step in ("backup", "loss: stop the service", "restore", "wait until ready", "verify checksums"):
        assert step in result.evidence.excerpt
    report = drill_report(tmp_path)
    assert report["revision"] == "0001" and report["restore_bytes_per_s"] > 0
    assert report["newest_marker_restored"] < report["newest_marker_before_loss"]
    # Nothing left behind: scratch databases, files, the restored instance, the marker table.
    assert_scratch_dropped(tmp_path)
    assert scratch_dirs() == before_dirs
    assert not pid_alive(int((tmp_path / "restored.pid").read_text()))
    assert "golive_dr_markers" not in source_tables_pg(pg_source)


@pytest.mark.slow
def test_drill_passes_on_sqlite_and_fails_rto(review: Run, sqlite_source: str, tmp_path: Path) -> None:
    # The estimate needs the drill: it runs after it, on the numbers of this very drill.
    estimate = {
        "type": "dr.restore_time_estimate",
        "drill": "dr.drill",
        "restore_throughput": "100MB",
        "production_size": "100MB",
        "rto": "10m",
    }
    with storefront(tmp_path, database_url=sqlite_source) as server:
        r = review(
            [
                crit("dr.drill", drill(sqlite_source, server.proc.pid, tmp_path), area="dr", timeout="120s"),
                crit("dr.rto_estimate", estimate, area="dr", needs=["dr.drill"]),
            ],
            objectives={"rto": "60s", "rpo": "30s"},
        )
    result, estimated = r.results
    assert result.status is Status.PASS, result.summary + "\n" + result.evidence.excerpt
    assert "online backup API" in result.evidence.excerpt
    m = {x.name: x.value for x in result.measurements}
    assert m["rpo"] > 0.4
    assert estimated.status is Status.PASS, estimated.summary
    assert "from drill dr.drill (" in estimated.summary
    # 100 MB at 100 MB/s is 1 s, on top of the drill's own time around its restore.
    overhead = drill_report(tmp_path)["overhead_s"]
    assert overhead > 0
    est = {x.name: x.value for x in estimated.measurements}
    assert est["estimated_rto"] == pytest.approx(overhead + 1.0, abs=0.06)
    with sqlite3.connect(sqlite_source.removeprefix("sqlite:///")) as conn:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "golive_dr_markers" not in names

    # storefront's own scripts, against an objective no restore can meet, and a runbook that
    # was never written.
    with storefront(tmp_path, database_url=sqlite_source) as server:
        check = drill(sqlite_source, server.proc.pid, tmp_path, runbook="docs/DR_RUNBOOK.md")
        check.update(STOREFRONT_SCRIPTS)
        r = run_drill(review, check, objectives={"rto": "50ms", "rpo": "1h"})
    result = r.results[0]
    assert result.status is Status.FAIL
    assert result.summary.startswith("RTO ") and "exceeds the objective 0.05s (+1 more)" in result.summary
    assert "DR runbook docs/DR_RUNBOOK.md does not exist" in result.evidence.excerpt
    assert "backup.sh: wrote" not in result.evidence.excerpt  # output stays in the artifacts
    report = drill_report(tmp_path)
    assert report["problems"][0].startswith("RTO ") and report["rpo_s"] < 3600


@pytest.mark.postgres
@pytest.mark.slow
def test_restore_missing_rows_is_detected(review: Run, pg_source: str, tmp_path: Path) -> None:
    # A restore procedure that silently loses rows and alters one: only checksums catch it.
    broken_restore = (
        'pg_restore --no-owner --no-privileges -d "${RESTORED_DATABASE_URL/+psycopg/}" "$BACKUP_FILE" && '
        'psql -q "${RESTORED_DATABASE_URL/+psycopg/}" -c '
        '"DELETE FROM products WHERE id > 297; '
        "UPDATE users SET name = name || '.' WHERE email = 'user1@example.com'\""
    )
    with storefront(tmp_path, database_url=pg_source) as server:
        check = drill(pg_source, server.proc.pid, tmp_path, restore_command=["bash", "-c", broken_restore])
        check["queries"] = [{"name": "products", "sql": "SELECT count(*) FROM products"}]
        r = run_drill(review, check)
    result = r.results[0]
    assert result.status is Status.FAIL, result.summary
    text = result.evidence.excerpt
    assert "table public.products: 300 rows in the source at backup time, 297 restored" in text
    assert "table public.users: content checksum" in text
    assert "query products: '297' restored, '300' in the source at backup time" in text
    assert_scratch_dropped(tmp_path)


@pytest.mark.postgres
@pytest.mark.slow
def test_interrupted_drill_leaves_nothing_behind(review: Run, pg_source: str, tmp_path: Path) -> None:
    before_dirs = scratch_dirs()
    pidfile = tmp_path / "restored.pid"
    with storefront(tmp_path, database_url=pg_source) as server:
        # A restored instance that never becomes ready; the review is interrupted while golive waits.
        check = drill(pg_source, server.proc.pid, tmp_path, start=f"echo $$ > {pidfile}; exec sleep 300")
        r = run_drill(review, check, stop_after=6.0)
    assert r.interrupted
    assert r.results[0].status is Status.ERROR
    assert drill_report(tmp_path)["interrupted"]
    assert pidfile.exists(), "the drill was interrupted before it started the restored instance"
    assert not pid_alive(int(pidfile.read_text()))
    assert_scratch_dropped(tmp_path)
    assert scratch_dirs() == before_dirs
    assert "golive_dr_markers" not in source_tables_pg(pg_source)


@pytest.mark.postgres
@pytest.mark.slow
def test_drill_timeout_cleans_up_and_failed_start_is_reported(
    review: Run, pg_source: str, tmp_path: Path
) -> None:
    with storefront(tmp_path, database_url=pg_source) as server:
        check = drill(pg_source, server.proc.pid, tmp_path, start="echo cannot start >&2; exit 3")
        r = run_drill(review, check)
    result = r.results[0]
    assert result.status is Status.FAIL
    assert "the restored instance exited with 3" in result.summary
    assert "cannot start" in result.evidence.excerpt
    assert_scratch_dropped(tmp_path)
