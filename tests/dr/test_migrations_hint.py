"""db.migrations when the app's packages are not importable: an error naming the module and the fix.

Before: the revision files' imports escaped the check and the review said only
"check crashed: ModuleNotFoundError" (issue #16).
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from golive.results import Review, Status
from tests.fixtures.review import crit

Run = Callable[..., Review]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dr"
CHECK = {"type": "db.migrations", "alembic_script_location": "backend/app/alembic"}


def _project(tmp_path: Path) -> Path:
    """A FastAPI-shaped layout: the Alembic scripts inside the app package under backend/."""
    alembic = tmp_path / "backend" / "app" / "alembic"
    shutil.copytree(FIXTURES / "alembic_lossy", alembic)
    (tmp_path / "backend" / "app" / "__init__.py").write_text("")
    (tmp_path / "backend" / "app" / "settings.py").write_text("URL = 'sqlite://'\n")
    return alembic


def test_a_revision_importing_an_uninstalled_package_is_an_error_with_the_fix(
    review: Run, tmp_path: Path
) -> None:
    alembic = _project(tmp_path)
    revision = alembic / "versions" / "0001_notes.py"
    revision.write_text("import golive_absent_sqlmodel.sql\n" + revision.read_text())
    res = review([crit("c", CHECK, area="dr", timeout="60s")]).results[0]
    assert res.status is Status.ERROR, res.summary
    assert "crashed" not in res.summary
    assert "import 'golive_absent_sqlmodel'" in res.summary
    assert f"golive's Python ({sys.executable})" in res.summary
    assert "install the app's dependencies into that environment" in res.summary
    assert "`commands:`" in res.summary and "alembic_script_location" in res.summary


def test_env_py_importing_the_app_names_where_the_package_is(review: Run, tmp_path: Path) -> None:
    alembic = _project(tmp_path)
    env = alembic / "env.py"
    env.write_text("from app.settings import URL  # noqa: F401\n" + env.read_text())
    res = review([crit("c", CHECK, area="dr", timeout="60s")]).results[0]
    assert res.status is Status.ERROR, res.summary + "\n" + res.evidence.excerpt
    assert "the migrations (env.py or a revision) import 'app'" in res.summary
    assert "`app` is at backend/app: put backend on PYTHONPATH" in res.summary
