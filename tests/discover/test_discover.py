"""Discovery on the four fixture services: every fact, its value and the file that stated it."""

from __future__ import annotations

from golive.discover import Database, Language, Migrations, ServiceFacts
from tests.discover.conftest import at, where

WF = ".github/workflows/"


def test_fastapi_uv_stack(fastapi_uv: ServiceFacts) -> None:
    f = fastapi_uv
    assert at(f.app_dir) == ("backend", "backend", None)
    assert where(f.languages) == [(Language.PYTHON, "backend/pyproject.toml")]
    assert where(f.frameworks) == [("fastapi", "backend/pyproject.toml")]
    assert at(f.package_manager) == ("uv", "backend/uv.lock", None)
    assert where(f.lockfiles) == [("backend/uv.lock", "backend/uv.lock")]
    # .python-version (what developers run) beats requires-python's lower bound (3.10).
    assert at(f.python_version) == ("3.12", "backend/.python-version", 1)
    assert f.node_version is None


def test_fastapi_uv_runtime(fastapi_uv: ServiceFacts) -> None:
    f = fastapi_uv
    assert at(f.start_command) == (
        "fastapi run --workers 4 --port 8000 app/main.py",
        "backend/Dockerfile",
        18,
    )
    assert at(f.port) == (8000, "compose.yaml", 47)
    # The route's full path: settings.API_V1_STR + the utils router's prefix + the decorator's path.
    assert at(f.health_path) == ("/api/v1/utils/health-check/", "backend/app/api/routes/utils.py", 8)
    assert at(f.openapi_path) == ("/api/v1/openapi.json", "backend/app/main.py", 8)
    assert f.readiness_path is None and f.metrics_path is None
    db = Database(kind="postgresql", url_env="POSTGRES_SERVER", url=None, compose_service="db")
    assert at(f.database) == (db, "compose.yaml", 2)
    migrations = Migrations(
        tool="alembic",
        upgrade_command="alembic upgrade head",
        workdir="backend",
        directory="backend/app/alembic",
    )
    assert at(f.migrations) == (migrations, "backend/alembic.ini", 3)
    assert f.brokers == ()


def test_fastapi_uv_delivery(fastapi_uv: ServiceFacts) -> None:
    f = fastapi_uv
    assert at(f.tests.framework) == ("pytest", "backend/pyproject.toml", 26)
    # CI's own command (its ${{ }} argument dropped), run from the root.
    assert at(f.tests.command) == (
        "cd backend && uv run bash scripts/tests-start.sh",
        WF + "test-backend.yml",
        24,
    )
    assert where(f.tests.directories) == [("backend/tests", "backend/tests/__init__.py")]
    assert f.tests.markers == ("db",)
    assert f.tests.e2e_command is None
    assert at(f.lint_command) == ("cd backend && uv run bash scripts/lint.sh", WF + "lint-backend.yml", 15)
    assert at(f.build_command) == ("docker compose -f compose.yaml build", WF + "deploy-production.yml", 16)
    deploy = "docker compose -f compose.yaml build && docker compose -f compose.yaml up -d"
    assert at(f.deploy_command) == (deploy, WF + "deploy-production.yml", 16)
    assert [v for v, _ in where(f.ci_workflows)] == [
        WF + "deploy-production.yml",
        WF + "lint-backend.yml",
        WF + "test-backend.yml",
    ]
    assert where(f.dockerfiles) == [("backend/Dockerfile", "backend/Dockerfile")]
    assert where(f.compose_files) == [("compose.yaml", "compose.yaml")]
    assert where(f.docs) == [("README.md", "README.md")]
    assert f.runbooks == f.alert_rules == f.dashboards == f.kubernetes_manifests == ()
    assert at(f.default_branch) == ("master", ".git/HEAD", None)
    assert f.unknowns == (
        "No readiness endpoint was found (no route named ready/readyz).",
        "No metrics endpoint was found (no route named metrics).",
    )


def test_django_piptools(django_piptools: ServiceFacts) -> None:
    f = django_piptools
    assert f.app_dir is None
    assert where(f.frameworks) == [("django", "requirements.in")]
    assert at(f.package_manager) == ("pip-tools", "requirements.txt", 2)
    assert sorted(v for v, _ in where(f.lockfiles)) == ["requirements-dev.txt", "requirements.txt"]
    assert at(f.python_version) == ("3.11", "Dockerfile", 1)
    gunicorn = "gunicorn ledger.wsgi:application --bind 0.0.0.0:8080 --workers 3 --access-logfile -"
    assert at(f.start_command) == (gunicorn, "Dockerfile", 14)
    assert at(f.port) == (8080, "Dockerfile", 13)
    assert at(f.health_path) == ("/healthz/", "ledger/urls.py", 7)
    db = Database(kind="postgresql", url_env="LEDGER_DB_HOST")
    assert at(f.database) == (db, "ledger/settings.py", 28)
    migrate = Migrations(
        tool="django", upgrade_command="python manage.py migrate", directory="accounts/migrations"
    )
    assert at(f.migrations) == (migrate, "manage.py", None)
    assert at(f.tests.framework) == ("pytest", "pytest.ini", 1)
    assert f.tests.markers == ("integration",)
    assert at(f.tests.command) == ("make test", WF + "ci.yml", 27)
    assert at(f.lint_command) == ("make lint", WF + "ci.yml", 25)
    assert at(f.deploy_command) == ("make deploy", "Makefile", 13)
    assert f.build_command is None
    assert where(f.kubernetes_manifests) == [("deploy/k8s/deployment.yaml", "deploy/k8s/deployment.yaml")]
    assert f.compose_files == ()
    assert at(f.default_branch) == ("stable", ".git/HEAD", None)
    assert any("build command" in u for u in f.unknowns)


def test_flask_poetry(flask_poetry: ServiceFacts) -> None:
    f = flask_poetry
    assert at(f.name) == ("notes", "pyproject.toml", 2)
    assert where(f.frameworks) == [("flask", "pyproject.toml")]
    assert at(f.package_manager) == ("poetry", "poetry.lock", None)
    assert at(f.python_version) == ("3.11", "pyproject.toml", 9)
    procfile = 'gunicorn --bind 0.0.0.0:$PORT --workers 2 "notes.app:create_app()"'
    assert at(f.start_command) == (procfile, "Procfile", 1)
    # $PORT has no default in the Procfile: the code's default is the port.
    assert at(f.port) == (5000, "notes/app.py", 55)
    assert at(f.health_path) == ("/health", "notes/app.py", 40)
    db = Database(kind="sqlite", url_env="NOTES_DATABASE_URL", url="sqlite:///instance/notes.sqlite3")
    assert at(f.database) == (db, ".env.example", 1)
    assert f.migrations is None and f.dockerfiles == () and f.ci_workflows == ()
    assert at(f.tests.command) == ("poetry run pytest", "pyproject.toml", 20)
    assert f.tests.markers == ("slow",)
    assert at(f.lint_command) == ("pre-commit run --all-files", ".pre-commit-config.yaml", None)
    assert where(f.runbooks) == [("docs/RUNBOOK.md", "docs/RUNBOOK.md")]
    assert f.deploy_command is None
    assert at(f.default_branch) == ("develop", ".git/HEAD", None)
    for missing in ("No migration tool", "No CI workflow", "No deploy command"):
        assert any(u.startswith(missing) for u in f.unknowns), missing


def test_node_express(node_express: ServiceFacts) -> None:
    f = node_express
    assert at(f.name) == ("inventory-api", "package.json", 2)
    assert where(f.languages) == [(Language.NODE, "package.json")]
    assert where(f.frameworks) == [("express", "package.json")]
    assert at(f.package_manager) == ("npm", "package-lock.json", None)
    assert at(f.node_version) == ("20", ".nvmrc", 1)
    assert f.python_version is None
    assert at(f.start_command) == ("node src/server.js", "Dockerfile", 9)
    assert at(f.port) == (3000, "Dockerfile", 8)
    assert at(f.health_path) == ("/healthz", "src/app.js", 13)
    assert at(f.metrics_path) == ("/metrics", "src/app.js", 17)
    assert [v for v, _ in where(f.brokers)] == ["redis"]
    assert f.database is None and f.migrations is None
    assert at(f.tests.framework) == ("jest", "package.json", 13)
    assert at(f.tests.command) == ("npm test", WF + "node.yml", 20)
    assert where(f.tests.directories) == [("__tests__", "__tests__/app.test.js")]
    assert at(f.lint_command) == ("npm run lint", WF + "node.yml", 19)
    assert at(f.build_command) == ("docker build -t inventory-api .", WF + "node.yml", 21)
    assert at(f.deploy_command) == ("kubectl apply -f k8s/", WF + "node.yml", 30)
    assert where(f.alert_rules) == [("monitoring/alerts.yml", "monitoring/alerts.yml")]
    assert where(f.kubernetes_manifests) == [("k8s/deployment.yaml", "k8s/deployment.yaml")]
    assert where(f.compose_files) == [("docker-compose.yml", "docker-compose.yml")]
    assert at(f.default_branch) == ("trunk", ".git/HEAD", None)
    assert any(u.startswith("No database") for u in f.unknowns)
