"""`golive review`, `validate`, `schema`, `list-checks` as a user runs them (real processes)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.fixtures.servers import free_port, wait_http

GOLIVE = [sys.executable, "-m", "golive"]
FIXTURES = Path(__file__).parent.parent / "fixtures" / "specs"


def write(tmp: Path, criteria: list[dict], **env: object) -> Path:
    doc = {
        "service": {"name": "demo"},
        "environments": {"local": {"base_url": "http://127.0.0.1:9", **env}},
        "criteria": criteria,
    }
    with (tmp / "golive.yaml").open("w") as fh:
        YAML().dump(doc, fh)
    return tmp


def crit(cid: str, check: dict, tier: str = "must") -> dict:
    return {"id": cid, "title": cid, "area": "docs", "tier": tier, "check": check}


def golive(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*GOLIVE, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_go_review_writes_every_report(tmp_path: Path) -> None:
    write(tmp_path, [crit("a", {"type": "command", "command": ["true"]})])
    out = tmp_path / "out"
    proc = golive("review", str(tmp_path), "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "GO" in proc.stdout
    names = sorted(p.name for p in out.iterdir() if p.is_file())
    assert names == [
        "readiness-package.html",
        "readiness-package.md",
        "readiness-report.html",
        "readiness-report.json",
        "readiness-report.junit.xml",
        "readiness-report.md",
    ]
    assert "Sign-off" in (out / "readiness-package.md").read_text()
    data = json.loads((out / "readiness-report.json").read_text())
    assert data["decision"] == "GO" and data["results"][0]["status"] == "pass"
    # and the review is in the history store
    hist = golive("history", str(tmp_path))
    assert hist.returncode == 0 and "GO" in hist.stdout


def test_a_history_that_cannot_be_written_loses_no_report(tmp_path: Path) -> None:
    write(tmp_path, [crit("a", {"type": "command", "command": ["true"]})])
    out = tmp_path / "out"
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    proc = golive("review", str(tmp_path), "-o", str(out), "--store", f"sqlite:///{blocker}/history.db")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "history" in proc.stderr.lower()
    for name in ("readiness-report.json", "readiness-package.md", "readiness-package.html"):
        assert (out / name).is_file(), name


def test_no_go_exit_code_and_selected_formats(tmp_path: Path) -> None:
    write(tmp_path, [crit("a", {"type": "command", "command": ["false"]})])
    out = tmp_path / "out"
    proc = golive("review", str(tmp_path), "-o", str(out), "-f", "json", "-f", "junit", "--no-history")
    assert proc.returncode == 1
    reports = sorted(p.name for p in out.iterdir() if p.name.startswith("readiness-report"))
    assert reports == ["readiness-report.json", "readiness-report.junit.xml"]
    assert not (tmp_path / ".golive" / "history.db").exists()


def test_validate_broken_spec_lists_every_error(snapshot) -> None:
    proc = golive("validate", str(FIXTURES / "broken.yaml"), cwd=FIXTURES)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = [line.replace(str(FIXTURES) + "/", "") for line in proc.stderr.splitlines()]
    assert lines == snapshot


def test_review_of_broken_spec_is_bad_input() -> None:
    proc = golive("review", str(FIXTURES / "broken.yaml"))
    assert proc.returncode == 2 and "14 problems in the spec" in proc.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--only", "secuirty"], "--only 'secuirty' matches no criterion id or area"),
        (["--format", "pdff"], "pdff"),
        (["--env", "prod"], "unknown environment 'prod'"),
    ],
)
def test_bad_options_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    c = crit("a", {"type": "command", "command": ["true"]})
    c["area"] = "security"
    write(tmp_path, [c])
    proc = golive("review", str(tmp_path), *args)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_missing_spec_is_bad_input(tmp_path: Path) -> None:
    proc = golive("validate", str(tmp_path / "nope.yaml"))
    assert proc.returncode == 2 and "file not found" in proc.stderr


def test_schema_and_list_checks() -> None:
    schema = json.loads(golive("schema").stdout)
    assert schema["title"] == "golive readiness spec"
    listing = golive("list-checks").stdout
    for name in ("file", "command", "http", "tcp"):
        assert name in listing


def test_sigint_mid_run_leaves_valid_partial_report(tmp_path: Path) -> None:
    write(
        tmp_path,
        [
            crit("quick", {"type": "command", "command": ["true"]}),
            crit("slow", {"type": "command", "command": ["sleep", "60"]}),
        ],
    )
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [*GOLIVE, "review", str(tmp_path), "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # Interrupt once the review is demonstrably running (the quick check reported).
        deadline = time.monotonic() + 60
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if "quick" in line or not line:
                break
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1, stderr
    data = json.loads((out / "readiness-report.json").read_text())
    assert data["interrupted"] is True and data["partial"] is True
    assert data["decision"] == "NO-GO"
    statuses = {r["criterion_id"]: r["status"] for r in data["results"]}
    assert statuses == {"quick": "pass", "slow": "error"}
    assert "INTERRUPTED" in (out / "readiness-report.md").read_text()


def test_up_and_down_run_around_the_review(tmp_path: Path) -> None:
    port = free_port()
    marker = tmp_path / "down-ran"
    up = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(tmp_path)]
    (tmp_path / "health").write_text("ok")
    write(
        tmp_path,
        [crit("served", {"type": "http", "path": "/health", "body_matches": "ok"})],
        base_url=f"http://127.0.0.1:{port}",
        health_path="/health",
        up=up,
        down=f"touch {marker}",
        up_timeout="20s",
    )
    proc = golive("review", str(tmp_path), "--no-history")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert marker.exists()
    with pytest.raises(RuntimeError):
        wait_http(f"http://127.0.0.1:{port}/health", timeout=0.5)


def test_up_that_never_gets_healthy_is_reported(tmp_path: Path) -> None:
    write(
        tmp_path,
        [crit("a", {"type": "command", "command": ["true"]})],
        up="echo starting; sleep 60",
        up_timeout="1s",
    )
    proc = golive("review", str(tmp_path), "--no-history")
    assert proc.returncode == 3
    assert "not healthy within 1s" in proc.stderr and "starting" in proc.stderr


@pytest.mark.postgres
def test_review_history_in_postgresql(tmp_path: Path) -> None:
    import uuid

    import psycopg

    name = f"golive_cli_{uuid.uuid4().hex[:10]}"
    admin = "postgresql://postgres@127.0.0.1:5432/test"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = f"postgresql://postgres@127.0.0.1:5432/{name}"
        write(tmp_path, [crit("a", {"type": "command", "command": ["true"]})])
        for _ in range(2):
            proc = golive("review", str(tmp_path), "--store", url, "-f", "json", "-o", str(tmp_path / "o"))
            assert proc.returncode == 0, proc.stderr
        hist = golive("history", str(tmp_path), "--store", url)
        assert hist.returncode == 0 and hist.stdout.count("GO") >= 2
        diff = golive("diff", str(tmp_path), "--store", url)
        assert diff.returncode == 0, diff.stderr
        assert not (tmp_path / ".golive" / "history.db").exists()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
