"""Broken, hostile or empty input: an unknown with the file named, never a crash."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from golive.discover import discover
from golive.errors import GoliveError
from tests.fixtures.services import SERVICES


def _copy(name: str, tmp_path: Path) -> Path:
    dest = tmp_path / name
    shutil.copytree(SERVICES / name, dest)
    return dest


def test_broken_pyproject_is_an_unknown(tmp_path: Path) -> None:
    repo = _copy("flask_poetry", tmp_path)
    (repo / "pyproject.toml").write_text('[tool.poetry\nname = "notes"\n')
    facts = discover(repo)
    assert any(u.startswith("pyproject.toml is not valid TOML") for u in facts.unknowns)
    # What other files state is still found.
    assert facts.package_manager is not None and facts.package_manager.value == "poetry"
    assert facts.health_path is not None and facts.health_path.value == "/health"


def test_broken_compose_is_an_unknown(tmp_path: Path) -> None:
    repo = _copy("fastapi_uv", tmp_path)
    (repo / "compose.yaml").write_text("services:\n  db:\n    image: [postgres\n")
    facts = discover(repo)
    assert any(u.startswith("compose.yaml is not valid YAML") for u in facts.unknowns)
    assert facts.compose_files[0].value == "compose.yaml"
    # The database is still known from .env, without the compose service.
    assert facts.database is not None
    assert (facts.database.value.kind, facts.database.value.compose_service) == ("postgresql", None)


def test_broken_package_json_is_an_unknown(tmp_path: Path) -> None:
    repo = _copy("node_express", tmp_path)
    (repo / "package.json").write_text('{"name": "inventory-api", "scripts": {')
    facts = discover(repo)
    assert any(u.startswith("package.json is not valid JSON") for u in facts.unknowns)
    assert facts.start_command is not None and facts.start_command.value == "node src/server.js"


def test_broken_python_workflow_and_dockerfile_do_not_crash(tmp_path: Path) -> None:
    repo = _copy("django_piptools", tmp_path)
    (repo / "ledger" / "urls.py").write_text("urlpatterns = [path('healthz/',\n")
    (repo / ".github" / "workflows" / "ci.yml").write_text("jobs: [unclosed\n")
    (repo / "Dockerfile").write_text('CMD ["gunicorn", \nEXPOSE abc\n\\\n')
    (repo / "pytest.ini").write_text("markers = no section\n")
    facts = discover(repo)
    assert facts.health_path is not None and facts.health_path.source.path == "deploy/k8s/deployment.yaml"
    assert any(".github/workflows/ci.yml is not valid YAML" in u for u in facts.unknowns)
    assert any(u.startswith("pytest.ini could not be read") for u in facts.unknowns)


def test_symlinks_out_of_the_repository_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "package.json").write_text('{"name": "secret", "dependencies": {"express": "1"}}')
    (outside / "compose.yaml").write_text("services:\n  db:\n    image: postgres\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    os.symlink(outside / "package.json", repo / "package.json")
    os.symlink(outside, repo / "linked")
    facts = discover(repo)
    assert facts.languages == () and facts.compose_files == () and facts.database is None


def test_dependency_directories_are_skipped(tmp_path: Path) -> None:
    repo = _copy("node_express", tmp_path)
    vendored = repo / "node_modules" / "express"
    vendored.mkdir(parents=True)
    (vendored / "index.js").write_text("app.get('/ping', h); app.listen(9999)")
    (vendored / "Dockerfile").write_text("EXPOSE 1\n")
    facts = discover(repo)
    assert [f.value for f in facts.dockerfiles] == ["Dockerfile"]
    assert facts.health_path is not None and facts.health_path.value == "/healthz"


def test_empty_directory_lists_what_is_unknown(tmp_path: Path) -> None:
    facts = discover(tmp_path)
    assert facts.name.value == tmp_path.name
    assert facts.languages == () and facts.start_command is None
    assert any(u.startswith("No language could be recognised") for u in facts.unknowns)


def test_a_file_is_not_a_repository(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    with pytest.raises(GoliveError, match="not a directory"):
        discover(tmp_path / "f")


def test_a_password_is_never_recorded(tmp_path: Path) -> None:
    repo = _copy("flask_poetry", tmp_path)
    (repo / ".env.example").write_text("DATABASE_URL=postgresql://notes:s3cret@db:5432/notes\n")
    facts = discover(repo)
    assert facts.database is not None
    assert facts.database.value.url is None and facts.database.value.url_env == "DATABASE_URL"
    assert "s3cret" not in repr(facts)
