"""dr.backup, db.migrations and dr.restore_time_estimate against real files and databases."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from golive.dr._report import DrillReport, write_artifacts
from golive.dr._timeline import StepRecord
from golive.dr.checks import RestoreEstimateCheck
from golive.kit.check import CheckContext, CheckError
from golive.results import CheckResult, Evidence, Outcome, Review, Status, Tier
from golive.spec.models import Environment, Objectives
from tests.fixtures.dr import scratch_databases
from tests.fixtures.review import crit

Run = Callable[..., Review]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dr"

# Every scratch database check asks the whole server: these tests run on one worker.
pytestmark = pytest.mark.xdist_group("dr-postgres")


def one(review: Run, check: dict[str, Any], **kw: Any) -> Review:
    return review([crit("c", check, area="dr", timeout="60s")], **kw)


def pg_dump(url: str, out: Path) -> None:
    libpq = url.replace("+psycopg", "")
    subprocess.run(["pg_dump", "-Fc", "-f", str(out), libpq], check=True)


# -- dr.backup --------------------------------------------------------------------------------


@pytest.mark.postgres
def test_backup_fresh_readable_and_corrupted(review: Run, pg_source: str, tmp_path: Path) -> None:
    backups = tmp_path / "backups"
    backups.mkdir()
    old = backups / "storefront-old.dump"
    pg_dump(pg_source, old)
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    new = backups / "storefront-new.dump"
    pg_dump(pg_source, new)
    check = {"type": "dr.backup", "dir": "backups", "pattern": "*.dump"}

    r = one(review, check, objectives={"rpo": "5m"})
    res = r.results[0]
    assert res.status is Status.PASS, res.summary
    assert res.summary.startswith("newest backup storefront-new.dump is ")
    assert "readable" in res.summary
    assert {m.name: m.value for m in res.measurements}["tables"] >= 9

    # Bit rot in the data blocks (after the table of contents, which still lists fine).
    data = bytearray(new.read_bytes())
    mid = len(data) * 3 // 4
    data[mid : mid + 64] = bytes(64)
    new.write_bytes(bytes(data))
    res = one(review, check, objectives={"rpo": "5m"}).results[0]
    assert res.status is Status.FAIL, res.evidence.excerpt
    assert "storefront-new.dump is not readable" in res.summary

    # Truncated (a backup job killed half-way).
    shutil.copyfile(old, new)
    new.write_bytes(new.read_bytes()[:4000])
    res = one(review, check, objectives={"rpo": "5m"}).results[0]
    assert res.status is Status.FAIL and "not readable" in res.summary

    # Only the two-hour-old backup left: older than the RPO objective.
    new.unlink()
    res = one(review, check, objectives={"rpo": "5m"}).results[0]
    assert res.status is Status.FAIL
    assert "storefront-old.dump is 720" in res.summary and "old (max 300s)" in res.summary


def test_backup_sqlite_list_command_and_empty(review: Run, sqlite_source: str, tmp_path: Path) -> None:
    src = sqlite3.connect(sqlite_source.removeprefix("sqlite:///"))
    good = tmp_path / "b1.db"
    with sqlite3.connect(good) as dst:
        src.backup(dst)
    src.close()
    check = {"type": "dr.backup", "list_command": f"ls {tmp_path}/b*.db", "max_age": "1h"}
    res = one(review, check).results[0]
    assert res.status is Status.PASS, res.summary
    assert "integrity_check: ok" in res.evidence.excerpt

    # Pages overwritten in the middle of the file.
    data = bytearray(good.read_bytes())
    data[8192 : 8192 + 4096] = b"\xff" * 4096
    (tmp_path / "b2.db").write_bytes(bytes(data))
    res = one(review, check).results[0]
    assert res.status is Status.FAIL and "b2.db is not readable" in res.summary

    (tmp_path / "b3.db").write_bytes(b"")
    res = one(review, check).results[0]
    assert res.status is Status.FAIL and "b3.db has 0 bytes (min 1)" in res.summary

    res = one(review, {"type": "dr.backup", "dir": "nowhere"}).results[0]
    assert (res.status, res.summary) == (Status.FAIL, "no backup found in nowhere/*")


def test_verify_command_gets_the_file_name_as_data_never_as_shell_text(review: Run, tmp_path: Path) -> None:
    """A backup named ``b$(touch PWNED).db`` must not run ``touch`` (issue #15, item 6)."""
    backups = tmp_path / "backups"
    backups.mkdir()
    (backups / "b$(touch PWNED).db").write_bytes(b"backup bytes")
    readable = [
        'test -s "${BACKUP_FILE}" && echo "read ${BACKUP_FILE}"',  # quoted, as people write it
        ["sh", "-c", 'test -s "$1" && echo "read $1"', "verify", "${BACKUP_FILE}"],  # argv
    ]
    for command in readable:
        check = {"type": "dr.backup", "dir": "backups", "verify_command": command}
        res = one(review, check).results[0]
        assert res.status is Status.PASS, (command, res.summary, res.evidence.excerpt)
        assert "read " in res.evidence.excerpt and "b$(touch PWNED).db" in res.evidence.excerpt
        assert list(tmp_path.rglob("PWNED")) == [], command
    # Unquoted, the shell splits the name at its space (its own rule), but still runs nothing.
    check = {"type": "dr.backup", "dir": "backups", "verify_command": "test -s ${BACKUP_FILE:-x}"}
    assert one(review, check).results[0].status is Status.FAIL
    assert list(tmp_path.rglob("PWNED")) == []


# -- db.migrations ----------------------------------------------------------------------------


def test_migrations_round_trip_storefront_alembic_and_commands(review: Run) -> None:
    res = one(review, {"type": "db.migrations", "alembic_script_location": "storefront:migrations"}).results[
        0
    ]
    assert res.status is Status.PASS, res.summary + res.evidence.excerpt
    assert "(head 0001)" in res.summary
    assert "downgrade base" in res.evidence.excerpt

    migrate = [sys.executable, "-m", "storefront", "migrate"]
    check = {
        "type": "db.migrations",
        "commands": {"upgrade": migrate, "downgrade": [*migrate, "--downgrade", "--revision", "base"]},
    }
    res = one(review, check).results[0]
    assert res.status is Status.PASS, res.summary + res.evidence.excerpt
    assert "storefront migrate --downgrade --revision base" in res.evidence.excerpt


@pytest.mark.postgres
def test_migrations_drift_and_risky_operations(review: Run, tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "alembic_risky", tmp_path / "migrations")
    shutil.copytree(FIXTURES / "app", tmp_path / "app")
    before = scratch_databases()
    check = {
        "type": "db.migrations",
        "alembic_script_location": "migrations",
        "database": "postgresql",
        "server_url": "postgresql+psycopg://postgres@127.0.0.1:5432/test",
        "code_paths": ["app"],
        "large_tables": ["accounts"],
    }
    res = one(review, check).results[0]
    assert res.status is Status.FAIL
    assert res.summary == (
        "downgrade of 0002 (to 0001) did not bring back the schema of 0001: table audit is still there; "
        "then upgrade head again failed"
    )
    text = res.evidence.excerpt
    assert "0002_risky.py: drop_column(accounts) drops column accounts.legacy_code, still referenced" in text
    assert "models.py:5" in text
    assert "0002_risky.py: add_column(accounts) adds a NOT NULL column without server_default" in text
    assert "0002_risky.py: create_index(accounts) builds an index without CONCURRENTLY" in text
    # The index in 0001 is on a table created by the same migration: not flagged.
    assert "0001_accounts.py" not in text
    assert scratch_databases() <= before

    # The same scripts on SQLite: same drift; a tool that fails is the finding.
    check.update(database="sqlite")
    check.pop("server_url")
    res = one(review, check).results[0]
    assert res.status is Status.FAIL
    assert res.summary.startswith(
        "downgrade of 0002 (to 0001) did not bring back the schema of 0001: table audit"
    )
    failing = {"type": "db.migrations", "commands": {"upgrade": "echo boom >&2; exit 4", "downgrade": "true"}}
    res = one(review, failing).results[0]
    assert res.status is Status.FAIL
    assert res.summary == "upgrade head failed: echo boom >&2; exit 4 -> exit 4: boom"


# -- dr.restore_time_estimate -----------------------------------------------------------------


def drill_result(
    tmp_path: Path, *, database_bytes: int, restore_s: float, rto_s: float, check_type: str = "dr.drill"
) -> CheckResult:
    """The result of a passed drill, with the drill.json it wrote (through the drill's own writer)."""
    report = DrillReport(
        drill_id="d1",
        kind="postgresql",
        started_at="2026-01-01T00:00:00+00:00",
        steps=(StepRecord(name="restore", started_s=5.0, duration_s=restore_s, ok=True),),
        problems=(),
        notes=(),
        rto_s=rto_s,
        rpo_s=0.5,
        rto_target_s=None,
        rpo_target_s=None,
        backup_bytes=database_bytes // 4,
        database_bytes=database_bytes,
        restore_s=restore_s,
        verify_s=1.0,
        tables=9,
        rows=1000,
        markers_written=10,
        newest_marker_before_loss=10,
        newest_marker_restored=8,
        revision="0001",
    )
    artifacts = write_artifacts(report, tmp_path / "artifacts" / "dr.drill")
    return CheckResult(
        criterion_id="dr.drill",
        title="Recovery drill",
        area="dr",
        tier=Tier.MUST,
        check_type=check_type,
        status=Status.PASS,
        summary="restored",
        evidence=Evidence(artifacts=artifacts),
    )


def estimate(tmp_path: Path, check: dict[str, Any], *needed: CheckResult) -> Outcome:
    """Run dr.restore_time_estimate with the results of the criteria it needs (RTO objective 1h)."""
    params = RestoreEstimateCheck.Params.model_validate({k: v for k, v in check.items() if k != "type"})

    async def main() -> Outcome:
        async with httpx.AsyncClient() as client:
            ctx = CheckContext(
                criterion_id="dr.rto_estimate",
                environment_name="local",
                environment=Environment(base_url="http://127.0.0.1:9"),
                objectives=Objectives(rto=3600.0),
                workdir=tmp_path,
                artifacts_dir=tmp_path / "artifacts" / "dr.rto_estimate",
                http=client,
                logger=logging.getLogger("golive.test"),
                timeout=60.0,
                needed={r.criterion_id: r for r in needed},
            )
            return await RestoreEstimateCheck().run(params, ctx)

    return asyncio.run(main())


def test_restore_time_estimate(tmp_path: Path) -> None:
    # 2 GB restored in 40 s (50 MB/s); RTO 60 s, so 20 s of it were not the restore.
    drill = drill_result(tmp_path, database_bytes=2_000_000_000, restore_s=40.0, rto_s=60.0)
    check = {"type": "dr.restore_time_estimate", "drill": "dr.drill", "production_size": "100GB"}
    res = estimate(tmp_path, check, drill)
    # 100 GB at 50 MB/s = 2000 s, plus 20 s measured around the restore.
    assert res.status is Status.PASS, res.summary
    assert res.summary.startswith("estimated production RTO 2020s = overhead 20.0s + 100.00 GB (configured)")
    assert "within the RTO objective 3600s" in res.summary
    assert "from drill dr.drill (2026-01-01T00:00:00+00:00, " in res.summary

    res = estimate(tmp_path, {**check, "safety_factor": 2}, drill)
    assert res.status is Status.FAIL and "exceeds the RTO objective 3600s" in res.summary

    # The drill's numbers come only from a criterion the estimate needs, and only from a drill.
    with pytest.raises(CheckError, match="reads the result of 'dr.other': add it to `needs`"):
        estimate(tmp_path, {**check, "drill": "dr.other"}, drill)
    other = drill_result(tmp_path / "x", database_bytes=1, restore_s=1.0, rto_s=2.0, check_type="dr.backup")
    with pytest.raises(CheckError, match="criterion dr.drill is a dr.backup check"):
        estimate(tmp_path, check, other)

    # A drill of a few megabytes measures start-up time, not restore speed.
    small = drill_result(tmp_path / "small", database_bytes=3_000_000, restore_s=1.5, rto_s=21.5)
    res = estimate(tmp_path, check, small)
    assert res.status is Status.NO_DATA and "restored only 3.0 MB (min 50MB)" in res.summary
    res = estimate(tmp_path, {**check, "restore_throughput": "100MB"}, small)
    assert res.status is Status.PASS and res.summary.startswith("estimated production RTO 1020s")


def test_restore_time_estimate_without_needs_is_an_error(review: Run) -> None:
    check = {"type": "dr.restore_time_estimate", "drill": "dr.drill", "production_size": "1GB"}
    res = one(review, check, objectives={"rto": "1h"}).results[0]
    assert res.status is Status.ERROR
    assert res.summary == "c reads the result of 'dr.drill': add it to `needs`"


@pytest.mark.postgres
def test_restore_time_estimate_measures_production_size(review: Run, pg_source: str) -> None:
    check = {
        "type": "dr.restore_time_estimate",
        "restore_throughput": "1MB",
        "overhead": "5s",
        "production_database_url": pg_source,
    }
    res = one(review, check, objectives={"rto": "1h"}).results[0]
    assert res.status is Status.PASS, res.summary
    size = {m.name: m.value for m in res.measurements}["production_size"]
    assert size > 1e6
    assert "measured on postgresql+psycopg://postgres@127.0.0.1:5432/golive_dr_" in res.summary


def test_params_are_validated(review: Run) -> None:
    from golive.errors import SpecError

    with pytest.raises(SpecError) as err:
        one(review, {"type": "dr.backup", "dir": "a", "list_command": "ls"})
    assert "give exactly one of dir or list_command" in str(err.value.problems[0])
    with pytest.raises(SpecError):
        one(review, {"type": "dr.drill", "start": [], "marker_table": "x; drop"})


def test_drill_recovery_modes_are_validated(review: Run) -> None:
    from golive.errors import SpecError

    for check, message in (
        ({"type": "dr.drill"}, "recovery: scratch needs start"),
        (
            {"type": "dr.drill", "recovery": "in_place", "stop": "x", "restart": "y", "start": "z"},
            "recovery: in_place brings the service back with restart, not start",
        ),
        ({"type": "dr.drill", "recovery": "in_place", "restart": "y"}, "recovery: in_place needs stop"),
    ):
        with pytest.raises(SpecError) as err:
            one(review, check)
        assert message in str(err.value.problems[0]), err.value.problems
