"""dr.drill on ``ledger`` (a stdlib SQLite service, a daemon with a pid file; unlike storefront).

- The restored copy is compared with the SOURCE at backup time, not with the backup: a backup
  that keeps a table but loses its rows fails.
- ``recovery: in_place`` really loses the service's own database and recovers the service,
  only for a database of the local stack golive starts, and puts the data back when the
  recovery fails.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from golive.checks.registry import CheckRegistry
from golive.engine import LocalStack, ReviewOptions, Runner
from golive.results import CheckResult, Review, Status
from golive.spec import SpecLoader
from tests.fixtures.dr import pid_alive
from tests.fixtures.review import crit, write_spec
from tests.fixtures.servers import free_port

Run = Callable[..., Review]
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "dr" / "ledger"
PY = sys.executable
BACKUP = f'{PY} ledger/ledger.py backup "${{SOURCE_DATABASE_URL#sqlite:///}}" "$BACKUP_FILE"'
BALANCE = {"name": "balance", "sql": "SELECT sum(amount_cents) FROM entries"}


@pytest.fixture(autouse=True)
def private_tempdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The drill's scratch directories go to this test's own directory (tests run in parallel)."""
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))


def daemons(tmp_path: Path) -> list[int]:
    """Ledger processes serving a database of this test."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "ledger.py serve" in cmdline and str(tmp_path) in cmdline and pid_alive(int(proc.name)):
            found.append(int(proc.name))
    return found


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Path]:
    """The ledger service's files in the spec's directory; no daemon may outlive the review."""
    shutil.copytree(FIXTURE, tmp_path / "ledger")
    yield tmp_path / "ledger"
    left = daemons(tmp_path)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == [], "a ledger daemon outlived its review"


def entries(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM entries").fetchone()[0])


def tables(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


# -- the restore is compared with the source ------------------------------------------------------


@pytest.mark.slow
def test_a_backup_that_loses_a_tables_rows_fails_against_the_source(
    review: Run, tmp_path: Path, ledger: Path
) -> None:
    db = tmp_path / "ledger.db"
    subprocess.run([PY, str(ledger / "ledger.py"), "init", str(db)], check=True)
    check: dict[str, Any] = {
        "type": "dr.drill",
        "database_url": f"sqlite:///{db}",
        "backup_command": BACKUP,
        "start": f'exec {PY} ledger/ledger.py serve "${{RESTORED_DATABASE_URL#sqlite:///}}" "$DRILL_PORT"',
        "marker_interval": "50ms",
        "writes_after_backup": "300ms",
        "queries": [BALANCE],
    }
    crits = [crit("dr.drill", check, area="dr", timeout="120s")]
    res = review(crits, objectives={"rto": "60s", "rpo": "30s"}).results[0]
    assert res.status is Status.PASS, res.summary + "\n" + res.evidence.excerpt
    assert "checksums equal to the source at backup time" in res.summary

    # ledger's backup tool, told to leave the entries' rows out (as pg_dump --exclude-table-data
    # does): the table is there, its rows are not. Before, the backup file was the reference
    # and this restored "perfectly".
    check["backup_command"] = BACKUP + " --exclude-table-data entries"
    crits = [crit("dr.drill", check, area="dr", timeout="120s")]
    res = review(crits, objectives={"rto": "60s", "rpo": "30s"}).results[0]
    assert res.status is Status.FAIL, res.summary + "\n" + res.evidence.excerpt
    assert res.summary.startswith("table entries: 250 rows in the source at backup time, 0 restored")
    assert "query balance: None restored" in res.evidence.excerpt
    assert entries(db) == 250


# -- in-place recovery of the service golive started ---------------------------------------------


def in_place(**extra: Any) -> dict[str, Any]:
    check: dict[str, Any] = {
        "type": "dr.drill",
        "recovery": "in_place",
        "backup_command": BACKUP,
        "stop": ["sh", "ledger/stack.sh", "stop"],
        "restart": ["sh", "ledger/stack.sh", "start"],
        "env": {"PYTHON": PY},
        "ready_timeout": "20s",
        "marker_interval": "50ms",
        "writes_after_backup": "300ms",
        "queries": [BALANCE],
    }
    check.update(extra)
    return check


def stack_env(port: int, **extra: Any) -> dict[str, Any]:
    env: dict[str, Any] = {
        "base_url": f"http://127.0.0.1:{port}",
        "health_path": "/readyz",
        "database_url": "sqlite:///.golive/ledger/ledger.db",
        "up": ["sh", "ledger/stack.sh", "up", str(port)],
        "down": ["sh", "ledger/stack.sh", "down"],
        "up_timeout": "20s",
        "up_env": {"PYTHON": PY},
    }
    env.update(extra)
    return {"local": env}


def review_stack(tmp_path: Path, check: dict[str, Any], port: int, journal: str = "wal") -> CheckResult:
    """A review of one drill inside the ledger's local stack, started and stopped as `golive review` does."""
    registry = CheckRegistry.default()
    env = stack_env(port)
    env["local"]["up_env"]["LEDGER_JOURNAL"] = journal
    path = write_spec(
        tmp_path,
        [crit("dr.drill", check, area="dr", timeout="120s")],
        environments=env,
        objectives={"rto": "60s", "rpo": "30s"},
    )
    spec = SpecLoader(registry).load(path)
    runner = Runner(spec, registry, ReviewOptions(artifacts_dir=tmp_path / "artifacts"))

    async def main() -> Review:
        stack = LocalStack(
            runner.environment,
            workdir=spec.root,
            log_path=tmp_path / "stack.log",
            environ=runner.options.environ,
        )
        async with stack:
            return await runner.run(asyncio.Event())

    return asyncio.run(main()).results[0]


def left_behind(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in (tmp_path / ".golive" / "ledger").glob("*golive-dr-lost*"))


@pytest.mark.slow
@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_in_place_drill_loses_the_services_database_and_recovers_the_service(
    tmp_path: Path, ledger: Path, journal: str
) -> None:
    # Without WAL, golive verifies a copy of the restored file (a read transaction on the
    # service's own file would block its writes).
    res = review_stack(tmp_path, in_place(), free_port(), journal)
    assert res.status is Status.PASS, res.summary + "\n" + res.evidence.excerpt
    assert res.summary.startswith("lost the service's database and recovered it in place (")
    text = res.evidence.excerpt
    for step in (
        "loss: stop the service",
        "loss: take the database away",
        "restore: online backup API",
        "into the service's own database",
        "restart the service",
        "wait until the service answers",
        "verify the service runs on the restored database",
        "cleanup: remove the lost database (the recovery is verified)",
    ):
        assert step in text, step
    # golive proved the loss: the stopped service no longer answered.
    assert "ledger.db taken away" in text and "ConnectError" in text
    assert {m.name for m in res.measurements} >= {"rto", "rpo"}
    db = tmp_path / ".golive" / "ledger" / "ledger.db"
    assert entries(db) == 250 and "golive_dr_markers" not in tables(db)
    assert left_behind(tmp_path) == []


@pytest.mark.slow
def test_a_failed_in_place_recovery_puts_the_data_back(tmp_path: Path, ledger: Path) -> None:
    db = tmp_path / ".golive" / "ledger" / "ledger.db"
    # A restore that writes an empty database: the service never answers ready on it.
    empty = f"{PY} -c \"import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute('CREATE TABLE x (a)')\""
    res = review_stack(
        tmp_path, in_place(restore_command=empty + ' "${RESTORED_DATABASE_URL#sqlite:///}"'), free_port()
    )
    assert res.status is Status.FAIL, res.summary
    assert res.summary.startswith("the service did not answer 2xx at http://127.0.0.1:")
    text = res.evidence.excerpt
    assert "cleanup: put the service's original database back" in text
    assert "cleanup: restart the service on its original database" in text and "answered HTTP 200" in text
    assert entries(db) == 250 and "x" not in tables(db)
    assert left_behind(tmp_path) == []

    # A stop command that stops nothing: golive sees the service still answering and takes
    # nothing away.
    res = review_stack(tmp_path, in_place(stop="true"), free_port())
    assert res.status is Status.FAIL, res.summary
    assert res.summary.startswith("the stop command did not stop the service: http://127.0.0.1:")
    assert "!!  loss: take the database away: the stop command did not stop" in res.evidence.excerpt
    assert entries(db) == 250 and left_behind(tmp_path) == []


def test_in_place_refuses_a_database_golive_did_not_create(review: Run, tmp_path: Path, ledger: Path) -> None:
    db = tmp_path / "ledger.db"
    subprocess.run([PY, str(ledger / "ledger.py"), "init", str(db)], check=True)
    crits = [crit("dr.drill", in_place(database_url=f"sqlite:///{db}"), area="dr")]
    res = review(crits, environments=stack_env(9)).results[0]
    assert res.status is Status.ERROR, res.summary
    assert (
        f"recovery: in_place would remove {db.resolve()}; golive removes only a database inside"
        in res.summary
    )

    # No local stack golive starts: nothing is golive's to remove, wherever the file is.
    golive_db = tmp_path / ".golive" / "ledger" / "ledger.db"
    golive_db.parent.mkdir(parents=True)
    shutil.copyfile(db, golive_db)
    env = stack_env(9)
    del env["local"]["up"], env["local"]["down"]
    res = review([crit("dr.drill", in_place(), area="dr")], environments=env).results[0]
    assert res.status is Status.ERROR, res.summary
    assert "environment 'local' has no `up`" in res.summary
    assert entries(db) == 250 and entries(golive_db) == 250
