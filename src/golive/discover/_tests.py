"""How the service is tested (framework, command, directories, markers, E2E) and migrated."""

from __future__ import annotations

import configparser
import re

from golive.discover._compose import url_kind
from golive.discover._draft import Draft
from golive.discover._python import Deps, in_dir
from golive.discover._repo import Repo
from golive.discover.facts import Database, Fact, Migrations

_RUNS = {"uv": "uv run ", "poetry": "poetry run ", "pipenv": "pipenv run ", "pdm": "pdm run "}
_DJANGO_ENGINES = {"postgresql": "postgresql", "postgis": "postgresql", "mysql": "mysql", "sqlite3": "sqlite"}


def pytest_config(repo: Repo, app: str, deps: Deps, draft: Draft) -> None:
    """pytest from its configuration (pyproject, pytest.ini, setup.cfg, tox.ini) or dependency."""
    pyproject = in_dir(app, "pyproject.toml")
    doc = repo.toml(pyproject) if repo.exists(pyproject) else None
    options = ((doc or {}).get("tool") or {}).get("pytest", {}).get("ini_options")
    if isinstance(options, dict):
        draft.put(
            "test_framework", repo.fact("pytest", pyproject, "[tool.pytest", "[tool.pytest.ini_options]")
        )
        _markers(options.get("markers"), draft)
    for name, section in (("pytest.ini", "pytest"), ("setup.cfg", "tool:pytest"), ("tox.ini", "pytest")):
        rel = in_dir(app, name)
        parser = _ini(repo, rel)
        if parser is not None and parser.has_section(section):
            draft.put("test_framework", repo.fact("pytest", rel, f"[{section}]", f"[{section}]"))
            _markers(parser.get(section, "markers", fallback="").splitlines(), draft)
    if "pytest" in deps:
        draft.put("test_framework", Fact(value="pytest", source=deps.where["pytest"]))


def _ini(repo: Repo, rel: str) -> configparser.ConfigParser | None:
    if not repo.exists(rel):
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(repo.text(rel) or "", source=rel)
    except configparser.Error as exc:
        repo.unknowns.append(f"{rel} could not be read ({exc.__class__.__name__}).")
        return None
    return parser


def _markers(raw: object, draft: Draft) -> None:
    for item in raw if isinstance(raw, list) else []:
        name = str(item).split(":", 1)[0].strip()
        if name and name not in draft.markers:
            draft.markers.append(name)


def test_directories(repo: Repo, draft: Draft) -> None:
    """Directories named tests/test/__tests__/spec that hold files (fixtures and vendored code skipped)."""
    seen: set[str] = set()
    for rel in repo.files:
        parts = rel.split("/")[:-1]
        for depth, part in enumerate(parts[:3]):
            if part in ("tests", "test", "__tests__", "spec") and part not in ("e2e",):
                directory = "/".join(parts[: depth + 1])
                if directory not in seen and not any(directory.startswith(s + "/") for s in seen):
                    seen.add(directory)
                    draft.add("test_dirs", repo.fact(directory, rel, detail="test directory"))
                break


def default_test_command(app: str, framework: str, manager: str) -> str | None:
    """The framework's own command, run the way the package manager runs things."""
    commands = {"pytest": "pytest", "unittest": "python -m unittest", "django": "python manage.py test"}
    commands |= {"go": "go test ./..."}
    command = commands.get(framework)
    if command is None:
        return None
    prefix = _RUNS.get(manager, "python -m " if framework == "pytest" else "")
    command = prefix + command if prefix and not command.startswith("python -m") else command
    return f"cd {app} && {command}" if app else command


def e2e(repo: Repo, draft: Draft) -> None:
    """A Playwright or Cypress configuration, or an ``e2e`` directory."""
    for rel in repo.files:
        name = rel.rsplit("/", 1)[-1]
        folder = rel.rsplit("/", 1)[0] if "/" in rel else ""
        cd = f"cd {folder} && " if folder else ""
        if re.fullmatch(r"playwright\.config\.(ts|js|mjs|cjs)", name):
            draft.put("e2e", repo.fact(f"{cd}npx playwright test", rel, detail="Playwright config"))
        elif re.fullmatch(r"cypress\.config\.(ts|js|mjs|cjs)|cypress\.json", name):
            draft.put("e2e", repo.fact(f"{cd}npx cypress run", rel, detail="Cypress config"))
    e2e_dirs = sorted(
        {r.split("e2e/", 1)[0] + "e2e" for r in repo.files if re.search(r"(^|/)e2e/.*\.py$", r)}
    )
    if e2e_dirs:
        draft.put("e2e", repo.fact(f"pytest {e2e_dirs[0]}", next(r for r in repo.files if "e2e/" in r)))


def alembic(repo: Repo, draft: Draft) -> None:
    """``alembic.ini`` (shallowest): ``alembic upgrade head`` in its directory."""
    for rel in repo.named("alembic.ini"):
        parser = _ini(repo, rel)
        workdir = rel.rsplit("/", 1)[0] if "/" in rel else "."
        location = parser.get("alembic", "script_location", fallback="") if parser else ""
        location = location.replace("%(here)s/", "").strip()
        directory = None
        if location and ":" not in location:
            directory = location if workdir == "." else f"{workdir}/{location}"
        migrations = Migrations(
            tool="alembic", upgrade_command="alembic upgrade head", workdir=workdir, directory=directory
        )
        draft.put("migrations", repo.fact(migrations, rel, "script_location", "alembic.ini"))
        return


def django(repo: Repo, draft: Draft) -> None:
    """``manage.py``: migrations with ``python manage.py migrate``, the database from settings."""
    manage = next(iter(repo.named("manage.py")), None)
    if manage is None:
        return
    workdir = manage.rsplit("/", 1)[0] if "/" in manage else "."
    base = "" if workdir == "." else workdir + "/"
    dirs = sorted(
        r.rsplit("/", 1)[0] for r in repo.files if r.startswith(base) and r.endswith("migrations/__init__.py")
    )
    migrations = Migrations(
        tool="django",
        upgrade_command="python manage.py migrate",
        workdir=workdir,
        directory=dirs[0] if dirs else None,
    )
    draft.put("migrations", repo.fact(migrations, manage, detail="manage.py"))
    settings = _settings_file(repo, manage)
    if settings:
        _django_database(repo, settings, draft)


def _settings_file(repo: Repo, manage: str) -> str | None:
    match = re.search(r"DJANGO_SETTINGS_MODULE[\"'],\s*[\"']([\w.]+)[\"']", repo.text(manage) or "")
    if not match:
        return None
    base = manage.rsplit("/", 1)[0] + "/" if "/" in manage else ""
    path = base + match.group(1).replace(".", "/")
    return next((p for p in (path + ".py", path + "/__init__.py") if repo.exists(p)), None)


def _django_database(repo: Repo, rel: str, draft: Draft) -> None:
    """DATABASES from a URL variable (dj-database-url, django-environ) or a literal ENGINE."""
    text = repo.text(rel) or ""
    url = re.search(r"dj_database_url\.(?:config|parse)\(|\benv\.db(?:_url)?\(", text)
    if url:
        call = text[url.start() : url.start() + 400]
        env = re.search(r"(?:env\s*=\s*|db(?:_url)?\(\s*)[\"'](\w+)", call)
        default = re.search(r"default\s*=\s*[\"']([^\"']+)", call)
        kind = url_kind(default.group(1)) if default else None
        if kind:
            database = Database(kind=kind, url_env=env.group(1) if env else "DATABASE_URL")
            draft.put("settings_database", repo.fact(database, rel, url.group(0), "DATABASES from a URL"))
    engine = re.search(r"[\"']ENGINE[\"']\s*:\s*[\"']django\.(?:contrib\.gis\.)?db\.backends\.(\w+)", text)
    host = re.search(r"[\"']HOST[\"']\s*:\s*(?:os\.environ\.get|os\.getenv|env)\(\s*[\"'](\w+)", text)
    if engine and engine.group(1) in _DJANGO_ENGINES:
        database = Database(kind=_DJANGO_ENGINES[engine.group(1)], url_env=host.group(1) if host else None)
        draft.put("settings_database", repo.fact(database, rel, engine.group(0), "DATABASES ENGINE"))
