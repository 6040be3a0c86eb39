"""Layouts the fixtures do not cover, seen in public projects: workspaces, Prisma, dev-only compose."""

from __future__ import annotations

from pathlib import Path

from golive.discover import Database, discover
from tests.discover.conftest import at


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_a_tooling_workspace_at_the_root_does_not_hide_the_service(tmp_path: Path) -> None:
    repo = _write(
        tmp_path,
        {
            "pyproject.toml": '[dependency-groups]\ndev = ["prek"]\n[tool.uv.workspace]\nmembers = ["api"]\n',
            "uv.lock": "version = 1\n",
            "package.json": '{"name": "ws", "workspaces": ["web"]}',
            "bun.lock": "{}\n",
            "api/pyproject.toml": '[project]\nname = "orders"\ndependencies = ["starlette>=0.40"]\n',
        },
    )
    facts = discover(repo)
    assert at(facts.app_dir) == ("api", "api", None)
    assert [f.value for f in facts.frameworks] == ["starlette"]
    assert at(facts.package_manager) == ("uv", "uv.lock", None)
    assert sorted(f.value for f in facts.lockfiles) == ["bun.lock", "uv.lock"]
    assert at(facts.name) == ("orders", "api/pyproject.toml", 2)


def test_prisma_schema_outside_its_default_place(tmp_path: Path) -> None:
    package = '{"name": "shop", "dependencies": {"fastify": "5"},\n"scripts": {"test": "nx test"}}'
    schema = 'datasource db {\n  provider = "postgresql"\n  url      = env("PG_URL")\n}\n'
    repo = _write(
        tmp_path,
        {
            "package.json": package,
            "src/db/schema.prisma": schema,
            "vitest.config.ts": "export default {}\n",
        },
    )
    facts = discover(repo)
    assert facts.migrations is not None
    assert facts.migrations.value.upgrade_command == "npx prisma migrate deploy --schema src/db/schema.prisma"
    assert at(facts.database) == (Database(kind="postgresql", url_env="PG_URL"), "src/db/schema.prisma", 2)
    assert at(facts.tests.framework) == ("vitest", "vitest.config.ts", None)
    assert at(facts.tests.command) == ("npm test", "package.json", 2)


def test_a_development_server_in_compose_is_not_the_start_command(tmp_path: Path) -> None:
    compose = "services:\n  web:\n    build: .\n    command: python manage.py runserver 0.0.0.0:8000\n"
    repo = _write(
        tmp_path,
        {
            "requirements.txt": "django==5.1\ngunicorn==23.0\n",
            "manage.py": "",
            "docker-compose.yml": compose + "    ports:\n      - 8000:8000\n",
            "Procfile": "release: python manage.py migrate\nweb: gunicorn site.wsgi\n",
        },
    )
    facts = discover(repo)
    assert at(facts.start_command) == ("gunicorn site.wsgi", "Procfile", 2)
    assert at(facts.port) == (8000, "docker-compose.yml", 6)
