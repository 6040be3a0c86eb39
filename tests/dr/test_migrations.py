"""db.migrations: the round trip runs only on golive's scratch database and proves the schema comes back.

Fixtures shaped unlike storefront: ``inventory`` (an Alembic project whose env.py takes its URL
from the app's settings, built from environment variables) and ``alembic_lossy`` (a history whose
middle downgrade the tests rewrite).
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from golive.results import Review, Status
from tests.fixtures.dr import PG_ADMIN, scratch_databases
from tests.fixtures.review import crit

Run = Callable[..., Review]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dr"
SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

# Every scratch database check asks the whole server: these tests run on one worker.
pytestmark = pytest.mark.xdist_group("dr-postgres")


def one(review: Run, check: dict[str, Any], **kw: Any) -> Review:
    return review([crit("c", check, area="dr", timeout="90s")], **kw)


@contextlib.contextmanager
def app_database() -> Iterator[str]:
    """The inventory service's OWN database (not a golive scratch one); dropped afterwards."""
    name = "inventory_" + secrets.token_hex(5)
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def app_conn(name: str) -> psycopg.Connection[tuple[Any, ...]]:
    return psycopg.connect(PG_ADMIN.rsplit("/", 1)[0] + "/" + name, autocommit=True)


def migrate_and_fill(migrations: Path, name: str, rows: int = 100) -> None:
    """Bring the app's database to head the way its team does (env.py reads the settings), add rows."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations))
    command.upgrade(cfg, "head")
    with app_conn(name) as conn:
        conn.execute(
            "INSERT INTO items (name, quantity, sku) "
            "SELECT 'item ' || i, i, 'SKU-' || i FROM generate_series(1, %s) AS i",
            (rows,),
        )


def app_state(name: str) -> tuple[int, str]:
    """Rows in the app's items table and its alembic revision (the data golive must not touch)."""
    with app_conn(name) as conn:
        count = conn.execute("SELECT count(*) FROM items").fetchone()
        version = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    assert count is not None and version is not None
    return int(count[0]), str(version[0])


def inventory(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES / "inventory", tmp_path / "inventory")
    return tmp_path / "inventory" / "migrations"


# -- item 1: only golive's scratch database is ever migrated ------------------------------------


@pytest.mark.postgres
def test_env_py_taking_the_apps_url_is_stopped_before_it_touches_the_data(
    review: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The app's URL comes from a variable golive cannot know about: env.py would migrate the
    # app's own database (before: downgrade base dropped its 100 rows, and the check passed).
    migrations = inventory(tmp_path)
    before = scratch_databases()
    with app_database() as app:
        monkeypatch.setenv("INVENTORY_DATABASE_URL", f"postgresql+psycopg://postgres@127.0.0.1:5432/{app}")
        migrate_and_fill(migrations, app)
        check = {
            "type": "db.migrations",
            "alembic_script_location": "inventory/migrations",
            "database": "postgresql",
            "server_url": SERVER,
        }
        res = one(review, check).results[0]
        assert app_state(app) == (100, "0002"), "the app's own database was migrated"
    assert res.status is Status.ERROR, res.summary + "\n" + res.evidence.excerpt
    assert f"database {app}" in res.summary
    assert "not golive's scratch database" in res.summary
    assert scratch_databases() <= before


@pytest.mark.postgres
def test_the_usual_url_variables_point_at_the_scratch_database(
    review: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Settings built from POSTGRES_SERVER/POSTGRES_DB...: golive overrides them for the migration.
    migrations = inventory(tmp_path)
    before = scratch_databases()
    with app_database() as app:
        for key, value in {
            "POSTGRES_SERVER": "127.0.0.1",
            "POSTGRES_PORT": "5432",
            "POSTGRES_USER": "postgres",
            "POSTGRES_DB": app,
        }.items():
            monkeypatch.setenv(key, value)
        monkeypatch.delenv("INVENTORY_DATABASE_URL", raising=False)
        migrate_and_fill(migrations, app)
        check = {
            "type": "db.migrations",
            "alembic_script_location": "inventory/migrations",
            "database": "postgresql",
            "server_url": SERVER,
        }
        res = one(review, check).results[0]
        assert app_state(app) == (100, "0002")
        assert res.status is Status.PASS, res.summary + "\n" + res.evidence.excerpt
        assert "(head 0002)" in res.summary
        assert "scratch database at head 0002 with 2 tables" in res.evidence.excerpt

        # A SQLite scratch database cannot be reached through POSTGRES_*: golive says so
        # (error), and the app's database stays as it was.
        res = one(review, {**check, "database": "sqlite"}).results[0]
        assert app_state(app) == (100, "0002")
        assert res.status is Status.ERROR, res.summary
        assert "could not reach golive's scratch database" in res.summary
    assert scratch_databases() <= before


@pytest.mark.postgres
def test_a_migration_command_that_migrates_another_database_is_stopped(
    review: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Any tool (commands:) whose configuration names the app's database: the app's revision
    # moves on the first upgrade, golive sees it and stops before the downgrade.
    migrations = inventory(tmp_path)
    with app_database() as app:
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{app}"
        monkeypatch.setenv("INVENTORY_DATABASE_URL", url)
        migrate_and_fill(migrations, app)
        with app_conn(app) as conn:
            conn.execute("UPDATE alembic_version SET version_num = '0001'")
            conn.execute("ALTER TABLE items DROP COLUMN sku")
            conn.execute("DROP TABLE suppliers")
        alembic = f"{sys.executable} -m alembic"
        ini = tmp_path / "alembic.ini"
        ini.write_text(f"[alembic]\nscript_location = {migrations}\n")
        check = {
            "type": "db.migrations",
            "commands": {
                "upgrade": f"{alembic} -c {ini} upgrade head",
                "downgrade": f"{alembic} -c {ini} downgrade base",
            },
        }
        res = one(
            review, check, environments={"local": {"base_url": "http://127.0.0.1:9", "database_url": url}}
        )
        result = res.results[0]
        count, version = app_state(app)
        assert count == 100, "the app's rows were dropped"
    assert result.status is Status.ERROR, result.summary + "\n" + result.evidence.excerpt
    assert f"{app}: alembic_version 0001 -> 0002" in result.summary


# -- item 2: the schema comes back at every revision --------------------------------------------


def lossy(tmp_path: Path, downgrade: str) -> None:
    shutil.copytree(FIXTURES / "alembic_lossy", tmp_path / "migrations")
    script = tmp_path / "migrations" / "versions" / "0002_pinned.py"
    script.write_text(script.read_text().replace("    pass\n", downgrade))


DOES_NOTHING = "    pass\n"
KEEPS_THE_COLUMN = '    op.drop_index("ix_notes_pinned", "notes")\n'
COMPLETE = (
    '    op.drop_index("ix_notes_pinned", "notes")\n'
    '    with op.batch_alter_table("notes") as batch:\n'
    '        batch.drop_column("pinned")\n'
)


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_a_downgrade_that_does_nothing_fails_naming_the_revision(
    review: Run, tmp_path: Path, database: str
) -> None:
    # Before: 0001's downgrade dropped the whole table, base was empty, and the round trip passed.
    lossy(tmp_path, DOES_NOTHING)
    check: dict[str, Any] = {
        "type": "db.migrations",
        "alembic_script_location": "migrations",
        "database": database,
    }
    if database == "postgresql":
        check["server_url"] = SERVER
    res = one(review, check).results[0]
    assert res.status is Status.FAIL, res.summary + "\n" + res.evidence.excerpt
    assert res.summary.startswith("downgrade of 0002 (to 0001) did not bring back the schema of 0001: ")
    assert "notes: column pinned " in res.summary and "is still there" in res.summary
    assert "index ix_notes_pinned" in res.evidence.excerpt


def test_a_downgrade_that_leaves_a_column_fails_and_a_complete_one_passes(
    review: Run, tmp_path: Path
) -> None:
    lossy(tmp_path, KEEPS_THE_COLUMN)
    check = {"type": "db.migrations", "alembic_script_location": "migrations"}
    res = one(review, check).results[0]
    assert res.status is Status.FAIL, res.summary
    assert res.summary.startswith("downgrade of 0002 (to 0001) did not bring back the schema of 0001: ")
    assert "notes: column pinned" in res.summary
    assert "ix_notes_pinned" not in res.summary

    shutil.rmtree(tmp_path / "migrations")
    lossy(tmp_path, COMPLETE)
    res = one(review, check).results[0]
    assert res.status is Status.PASS, res.summary + "\n" + res.evidence.excerpt
    text = res.evidence.excerpt
    for step in (
        "upgrade to 0001",
        "upgrade to 0003",
        "downgrade to 0002",
        "downgrade to base",
        "upgrade head again",
    ):
        assert step in text
    assert "schema equal to 0002 on the way up" in text
