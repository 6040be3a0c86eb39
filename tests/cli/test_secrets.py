"""No secret in any output: a review of a spec whose checks and service leak secrets on purpose.

The secrets are a generated one (``environment.generate``) and two from the process
environment; they are echoed, URL-embedded, JSON-embedded, header-embedded and base64-encoded
by the checks and by the service. Every file golive writes, the terminal output and every
history row are searched for each secret in each encoding: there must be none.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from tests.fixtures.servers import free_port

FIXTURE = Path(__file__).parent.parent / "fixtures" / "secrets"
FORMATS = ("markdown", "json", "junit", "html", "prometheus", "terminal")


def encodings(value: str) -> set[str]:
    """The forms a secret can take in output."""
    raw = value.encode()
    forms = {value, quote(value, safe=""), quote_plus(value), base64.b64encode(raw).decode()}
    forms.add(base64.b64encode(f"reviewer:{value}".encode()).decode())
    forms.add(base64.urlsafe_b64encode(raw).decode().rstrip("="))
    return forms


def history_text(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return "\n".join(conn.iterdump())


def written_text(root: Path) -> dict[Path, str]:
    return {p: p.read_bytes().decode("utf-8", errors="replace") for p in root.rglob("*") if p.is_file()}


@pytest.fixture()
def leaky(tmp_path: Path) -> Path:
    spec_dir = tmp_path / "svc"
    shutil.copytree(FIXTURE, spec_dir)
    return spec_dir


def test_no_secret_reaches_any_output(leaky: Path, tmp_path: Path) -> None:
    env_secret = "Env-" + secrets.token_urlsafe(16) + "+="
    db_password = "db-" + secrets.token_hex(12)
    drop = tmp_path / "generated-secret.txt"
    out = tmp_path / "out"
    db = tmp_path / "history.db"
    env = {
        **os.environ,
        "ECHO_PORT": str(free_port()),
        "ENV_SECRET": env_secret,
        "ENV_DB_PASSWORD": db_password,
        "SECRET_DROP": str(drop),
    }
    env.pop("GEN_TOKEN", None)
    args = [
        sys.executable,
        "-m",
        "golive",
        "review",
        str(leaky),
        "-o",
        str(out),
        "--store",
        f"sqlite:///{db}",
    ]
    for fmt in FORMATS:
        args += ["-f", fmt]
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    generated = drop.read_text()
    assert len(generated) >= 20

    haystacks = {"terminal": proc.stdout + proc.stderr, "history": history_text(db)}
    haystacks.update({str(p): text for p, text in written_text(out).items()})
    # The leaks really happened and were masked (the test would see them otherwise).
    report = (out / "readiness-report.md").read_text()
    assert "ADMIN_PASSWORD=***" in report and '"password": "***"' in report
    assert "***" in haystacks[str(out / "stack.log")]

    leaks = [
        (where, form)
        for secret in (generated, env_secret, db_password)
        for form in encodings(secret)
        for where, text in haystacks.items()
        if form in text
    ]
    assert not leaks, leaks
