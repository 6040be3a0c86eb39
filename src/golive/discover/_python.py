"""Python services: dependencies, package manager, lock files, version, frameworks, pytest, Django."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from golive.discover._draft import Draft
from golive.discover._repo import Repo
from golive.discover.facts import Fact, Language, Source

FRAMEWORKS = ("fastapi", "starlette", "flask", "django", "litestar", "aiohttp", "sanic")
BROKER_DEPS = {
    "redis": "redis",
    "aioredis": "redis",
    "celery": "",
    "aio-pika": "rabbitmq",
    "pika": "rabbitmq",
    "kombu": "rabbitmq",
    "nats-py": "nats",
    "kafka-python": "kafka",
    "aiokafka": "kafka",
    "confluent-kafka": "kafka",
}
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_VERSION = re.compile(r"(\d+\.\d+)")


@dataclass(frozen=True, kw_only=True)
class Deps:
    """The Python dependencies a repository declares: normalized name → where."""

    where: dict[str, Source]

    def __contains__(self, name: str) -> bool:
        return name in self.where


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def in_dir(app: str, name: str) -> str:
    """``name`` inside the application directory ``app`` (``""`` is the root)."""
    return f"{app}/{name}" if app else name


def requirement_files(repo: Repo, app: str) -> list[str]:
    """requirements*.txt/.in files of the application directory (and its ``requirements/``)."""
    prefix = re.escape(in_dir(app, ""))
    return repo.glob(prefix + r"(requirements/)?[^/]*requirements[^/]*\.(txt|in)") + repo.glob(
        prefix + r"requirements/[^/]+\.(txt|in)"
    )


def dependencies(repo: Repo, app: str) -> Deps:
    """Every dependency declared in the app's pyproject, requirements files and Pipfile."""
    where: dict[str, Source] = {}
    pyproject = in_dir(app, "pyproject.toml")
    doc = repo.toml(pyproject) if repo.exists(pyproject) else None
    for spec in _pyproject_specs(doc or {}):
        _note(repo, where, pyproject, spec)
    for rel in sorted(set(requirement_files(repo, app))):
        for line in (repo.text(rel) or "").splitlines():
            if line.strip() and not line.lstrip().startswith(("#", "-")):
                _note(repo, where, rel, line)
    pipfile = in_dir(app, "Pipfile")
    pip_doc = repo.toml(pipfile) if repo.exists(pipfile) else None
    for section in ("packages", "dev-packages"):
        for name in (pip_doc or {}).get(section, {}) or {}:
            _note(repo, where, pipfile, str(name))
    return Deps(where=where)


def _pyproject_specs(doc: dict[str, Any]) -> list[str]:
    project = doc.get("project") or {}
    specs = list(project.get("dependencies") or [])
    for group in (project.get("optional-dependencies") or {}).values():
        specs += list(group or [])
    for group in (doc.get("dependency-groups") or {}).values():
        specs += [s for s in group or [] if isinstance(s, str)]
    poetry = (doc.get("tool") or {}).get("poetry") or {}
    specs += [n for n in poetry.get("dependencies") or {} if n != "python"]
    specs += list(poetry.get("dev-dependencies") or {})
    for group in (poetry.get("group") or {}).values():
        specs += list((group or {}).get("dependencies") or {})
    return [s for s in specs if isinstance(s, str)]


def _note(repo: Repo, where: dict[str, Source], rel: str, spec: str) -> None:
    match = _NAME.match(spec)
    if not match:
        return
    raw = match.group(1)
    name = _norm(raw)
    if name not in where:
        needle = re.compile(rf"(?im)^\s*[\"']?{re.escape(raw)}\b")
        where[name] = repo.source(rel, needle, f"dependency {raw}")


def frameworks(repo: Repo, deps: Deps, draft: Draft) -> None:
    """Web frameworks the service depends on (FastAPI brings Starlette: only FastAPI is named)."""
    for name in FRAMEWORKS:
        if name in deps and not (name == "starlette" and "fastapi" in deps):
            draft.add("frameworks", Fact(value=name, source=deps.where[name]))
    if deps.where:
        framework = next((deps.where[n] for n in FRAMEWORKS if n in deps), None)
        source = framework or next(iter(deps.where.values()))
        draft.add("languages", Fact(value=Language.PYTHON, source=source))


def package_manager(repo: Repo, app: str, draft: Draft) -> None:
    """uv, poetry, pipenv, pdm, pip-tools or pip: from lock files first, then manifests."""
    for lock, manager in (
        ("uv.lock", "uv"),
        ("poetry.lock", "poetry"),
        ("Pipfile.lock", "pipenv"),
        ("pdm.lock", "pdm"),
    ):
        for rel in (in_dir(app, lock), lock):
            if repo.exists(rel):
                draft.add("lockfiles", repo.fact(rel, rel, detail=f"{manager} lock file"))
                draft.put("package_manager", repo.fact(manager, rel, detail="lock file"))
    _pip_tools(repo, app, draft)
    pyproject = in_dir(app, "pyproject.toml")
    if repo.exists(pyproject) and "[tool.poetry" in (repo.text(pyproject) or ""):
        draft.put("package_manager", repo.fact("poetry", pyproject, "[tool.poetry", "[tool.poetry]"))
    for rel in (in_dir(app, "requirements.txt"), in_dir(app, "pyproject.toml"), in_dir(app, "setup.py")):
        if repo.exists(rel):
            draft.put("package_manager", repo.fact("pip", rel, detail="no lock file of another tool"))


def _pip_tools(repo: Repo, app: str, draft: Draft) -> None:
    files = requirement_files(repo, app)
    for rel in sorted(
        (f for f in files if f.endswith(".txt")),
        key=lambda f: (not f.endswith("/requirements.txt") and f != "requirements.txt", f),
    ):
        text = repo.text(rel) or ""
        compiled = rel[:-4] + ".in" in files or "pip-compile" in text
        if compiled:
            draft.add("lockfiles", repo.fact(rel, rel, detail="pip-tools compiled requirements"))
            draft.put(
                "package_manager", repo.fact("pip-tools", rel, "pip-compile", "compiled from a .in file")
            )
        elif "--hash=" in text:
            draft.add("lockfiles", repo.fact(rel, rel, detail="requirements with hashes"))


def python_version_file(repo: Repo, app: str, draft: Draft) -> None:
    """``.python-version`` (or Heroku's ``runtime.txt``) of the app directory or the root."""
    for rel in dict.fromkeys((in_dir(app, ".python-version"), ".python-version")):
        match = _VERSION.search(repo.text(rel) or "") if repo.exists(rel) else None
        if match:
            draft.put("python_version", repo.fact(match.group(1), rel, match.group(1), ".python-version"))
    runtime = in_dir(app, "runtime.txt")
    match = re.search(r"python-(\d+\.\d+)", repo.text(runtime) or "") if repo.exists(runtime) else None
    if match:
        draft.put("python_version", repo.fact(match.group(1), runtime, match.group(0), "runtime.txt"))


def requires_python(repo: Repo, app: str, draft: Draft) -> None:
    """The lowest Python the project supports: ``requires-python`` or Poetry's ``python``."""
    pyproject = in_dir(app, "pyproject.toml")
    doc = repo.toml(pyproject) if repo.exists(pyproject) else None
    if not doc:
        return
    spec = (doc.get("project") or {}).get("requires-python")
    key = "requires-python"
    if not isinstance(spec, str):
        deps = (((doc.get("tool") or {}).get("poetry") or {}).get("dependencies")) or {}
        spec, key = deps.get("python"), "python"
    match = _VERSION.search(spec) if isinstance(spec, str) else None
    if match:
        needle = re.compile(rf"(?m)^\s*{re.escape(key)}\s*=")
        draft.put("python_version", repo.fact(match.group(1), pyproject, needle, f"{key} {spec}"))


def console_script(repo: Repo, app: str) -> Fact[str] | None:
    """The first console script the project declares (``[project.scripts]``/Poetry scripts)."""
    pyproject = in_dir(app, "pyproject.toml")
    doc = repo.toml(pyproject) if repo.exists(pyproject) else None
    if not doc:
        return None
    scripts = (doc.get("project") or {}).get("scripts") or ((doc.get("tool") or {}).get("poetry") or {}).get(
        "scripts"
    )
    if not isinstance(scripts, dict) or not scripts:
        return None
    name = str(next(iter(scripts)))
    return repo.fact(name, pyproject, re.compile(rf"(?m)^\s*[\"']?{re.escape(name)}"), "console script")


def brokers(deps: Deps, draft: Draft) -> None:
    """Message brokers the service's client libraries point at."""
    for dep, broker in BROKER_DEPS.items():
        if broker and dep in deps:
            draft.add("brokers", Fact(value=broker, source=deps.where[dep]))
