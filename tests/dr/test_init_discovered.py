"""``golive init dr`` sees the database discovery found (src/golive/dr/_discovered.py).

A spec without a drill still gets the backup and restore commands of the PostgreSQL in
compose/``.env``, through the variables the service reads, never a password; the backup
command written into the runbook really dumps a database.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from golive.checks.registry import CheckRegistry
from golive.dr._runbook import render_dr_runbook
from golive.spec import SpecLoader
from tests.fixtures.dr import pg_database
from tests.fixtures.service_facts import known_facts
from tests.fixtures.services import make_repo


def _dr_runbook(name: str, tmp_path: Path) -> str:
    root = make_repo(name, tmp_path)
    (root / "golive.yaml").write_text(f"service: {{name: {name}}}\nenvironments:\n  staging: {{}}\n")
    spec = SpecLoader(CheckRegistry.default()).load(root)
    return render_dr_runbook(spec, "staging", known_facts(name, root))


def _backup_command(text: str) -> str:
    match = re.search(r"```sh\n\s*((?:PGPASSWORD=\S+ )?pg_dump [^\n]+)\n", text)
    assert match, text
    return match.group(1)


def test_the_compose_database_gets_backup_commands_without_a_password(tmp_path: Path) -> None:
    text = _dr_runbook("fastapi_uv", tmp_path)
    assert "### The PostgreSQL database (discovered in compose.yaml)" in text
    assert _backup_command(text) == (
        'PGPASSWORD="${POSTGRES_PASSWORD}" pg_dump --format=custom --file="$BACKUP_FILE" '
        '--host="${POSTGRES_SERVER}" --port="${POSTGRES_PORT}" --username="${POSTGRES_USER}" '
        '--dbname="${POSTGRES_DB}"'
    )
    assert "changethis" not in text  # the password in .env is never copied
    assert "services that depend on `db`" in text
    assert "No `dr.drill` criterion: this procedure has never been exercised" not in text


def test_settings_variables_with_another_prefix(tmp_path: Path) -> None:
    command = _backup_command(_dr_runbook("django_piptools", tmp_path))
    assert '--host="${LEDGER_DB_HOST}"' in command
    assert '--username="${LEDGER_DB_USER}" --dbname="${LEDGER_DB_NAME}"' in command
    assert command.startswith('PGPASSWORD="${LEDGER_DB_PASSWORD}" ')


def test_no_postgresql_no_invented_commands(tmp_path: Path) -> None:
    text = _dr_runbook("flask_poetry", tmp_path)  # SQLite, not PostgreSQL
    assert "pg_dump" not in text
    assert "No `dr.drill` criterion: this procedure has never been exercised" in text


@pytest.mark.postgres
def test_the_written_backup_command_dumps_the_database(tmp_path: Path) -> None:
    command = _backup_command(_dr_runbook("fastapi_uv", tmp_path / "repo"))
    backup = tmp_path / "backup.dump"
    with pg_database() as name:
        env = {
            **os.environ,
            "POSTGRES_SERVER": "127.0.0.1",
            "POSTGRES_PORT": "5432",
            "POSTGRES_USER": "postgres",
            "POSTGRES_DB": name,
            "POSTGRES_PASSWORD": "",
            "BACKUP_FILE": str(backup),
        }
        done = subprocess.run(["bash", "-c", command], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    listed = subprocess.run(["pg_restore", "--list", str(backup)], capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0 and name in listed.stdout
