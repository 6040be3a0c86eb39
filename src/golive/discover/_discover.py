"""Discovery: read a repository (never run it) and state what the service is, with sources.

Each helper below fills part of a :class:`~golive.discover._draft.Draft`; the order of the
calls is the order of trust (the first source to state a value wins): what production runs
(Dockerfile, compose) before what developers run, explicit configuration before defaults.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from golive.discover import _ci, _compose, _docker, _git, _node, _ops, _python, _routes, _tests
from golive.discover._draft import Draft
from golive.discover._pyroutes import python_routes
from golive.discover._repo import Repo
from golive.discover.facts import Database, Fact, Language, Migrations, ServiceFacts, Source, Tests
from golive.errors import GoliveError

_MANIFESTS = (
    "pyproject.toml",
    "setup.py",
    "requirements.txt",
    "Pipfile",
    "manage.py",
    "package.json",
    "go.mod",
)
_APP_NAMES = ("backend", "server", "api", "app", "service", "src")
_DEV_SERVER = re.compile(r"\brunserver\b|--reload\b|\bfastapi dev\b|\bflask run\b|\bnodemon\b")
_GENERIC = {"app", "backend", "api", "server", "service", "src", "web", "project"}


class DiscoveryError(GoliveError):
    """The path to discover is not a readable directory."""


@dataclass(frozen=True, kw_only=True)
class _Context:
    repo: Repo
    app: str
    deps: _python.Deps
    compose: _compose.Compose
    docker: _docker.Dockerfile | None


def discover_repository(root: Path) -> ServiceFacts:
    """Discover the service in the repository at ``root`` (see :mod:`golive.discover`)."""
    if not root.is_dir():
        raise DiscoveryError(f"{root}: not a directory; run discovery on a repository's root directory")
    repo = Repo.open(root)
    app = _app_dir(repo)
    compose = _compose.read_compose(repo)
    ctx = _Context(
        repo=repo,
        app=app,
        deps=_python.dependencies(repo, app),
        compose=compose,
        docker=_app_docker(repo, app, compose),
    )
    draft = Draft()
    for step in (_stack, _start, _endpoints, _data, _testing, _delivery, _files):
        step(ctx, draft)
    return _freeze(ctx, draft)


def _app_dir(repo: Repo) -> str:
    """The directory holding the service: the one (root first) whose manifest names a web framework.

    A root manifest that only holds tooling (a uv or npm workspace) does not make the root the
    service: ``backend/`` with FastAPI in its dependencies does.
    """
    dirs = sorted(
        {
            f.rsplit("/", 1)[0]
            for f in repo.files
            if f.count("/") in (1, 2) and f.rsplit("/", 1)[-1] in _MANIFESTS
        }
    )
    dirs = [d for d in dirs if not re.search(r"(^|/)(tests?|docs|examples?|fixtures)(/|$)", d)]
    candidates = ([""] if any(repo.exists(m) for m in _MANIFESTS) else []) + dirs
    serving = [d for d in candidates if _serves(repo, d)]
    pool = serving or candidates
    if not pool:
        return ""

    def rank(d: str) -> tuple[bool, bool, bool, int, str]:
        python = any(repo.exists(_python.in_dir(d, m)) for m in _MANIFESTS[:5])
        return (d != "", d.split("/")[-1] not in _APP_NAMES, not python, d.count("/"), d)

    return min(pool, key=rank)


def _serves(repo: Repo, directory: str) -> bool:
    """Whether the manifests of ``directory`` name a web framework (or it is a Go module)."""
    deps = _python.dependencies(repo, directory)
    if any(name in deps for name in _python.FRAMEWORKS):
        return True
    package = _node.package_json(repo, directory) or {}
    declared = {**(package.get("dependencies") or {}), **(package.get("devDependencies") or {})}
    return any(dep in declared for dep in _node.NODE_FRAMEWORKS) or repo.exists(
        _python.in_dir(directory, "go.mod")
    )


def _app_docker(repo: Repo, app: str, compose: _compose.Compose) -> _docker.Dockerfile | None:
    files = _docker.dockerfiles(repo)
    service = _compose.app_service(compose)
    build = service.body.get("build") if service else None
    context = build.get("context") if isinstance(build, dict) else build
    from_compose = ""
    if isinstance(context, str):
        base = service.file.rsplit("/", 1)[0] + "/" if service and "/" in service.file else ""
        from_compose = re.sub(r"^\./|/$", "", base + context.strip())
        from_compose = "" if from_compose in (".", "") else from_compose
    for wanted in (f"{app}/Dockerfile" if app else "Dockerfile", f"{from_compose}/Dockerfile", "Dockerfile"):
        if wanted in files:
            return _docker.read_dockerfile(repo, wanted)
    return _docker.read_dockerfile(repo, files[0]) if files else None


def _stack(ctx: _Context, draft: Draft) -> None:
    repo, app = ctx.repo, ctx.app
    _python.frameworks(repo, ctx.deps, draft)
    _node.node(repo, app, draft)
    _node.go(repo, app, draft)
    if not ctx.deps.where and any(f.endswith(".py") and f.startswith(app) for f in repo.files):
        first = next(f for f in repo.files if f.endswith(".py") and f.startswith(app))
        draft.add("languages", repo.fact(Language.PYTHON, first, detail="Python source"))
    if ctx.deps.where or Language.PYTHON in draft.values("languages"):
        _python.package_manager(repo, app, draft)
        _python.python_version_file(repo, app, draft)
        if ctx.docker:
            draft.put("python_version", _docker.runtime_version(ctx.docker, "python"))
        _python.requires_python(repo, app, draft)
    _other_lockfiles(repo, draft)
    if ctx.docker and Language.NODE in draft.values("languages"):
        draft.put("node_version", _docker.runtime_version(ctx.docker, "node"))


_LOCKS = ("uv.lock", "poetry.lock", "Pipfile.lock", "pdm.lock", "go.sum", *(n for n, _ in _node.NODE_LOCKS))


def _other_lockfiles(repo: Repo, draft: Draft) -> None:
    """Lock files of other parts of the repository (a frontend's bun.lock): listed, not the service's."""
    for rel in repo.named(*_LOCKS):
        if rel.count("/") <= 2:
            draft.add("lockfiles", repo.fact(rel, rel, detail="lock file"))


def _start(ctx: _Context, draft: Draft) -> None:
    repo, app = ctx.repo, ctx.app
    service = _compose.app_service(ctx.compose)
    compose_command = _compose.service_command(service) if service else None
    # A compose command running a development server (runserver, --reload) is not production's.
    dev = compose_command is not None and bool(_DEV_SERVER.search(compose_command.value))
    draft.put("start_command", ctx.docker.command if ctx.docker else None)
    procfile = next((p for p in (_python.in_dir(app, "Procfile"), "Procfile") if repo.exists(p)), None)
    match = re.search(r"^web:\s*(.+)$", repo.text(procfile) or "", re.M) if procfile else None
    if procfile and match:
        draft.put("start_command", repo.fact(match.group(1).strip(), procfile, "web:", "Procfile web"))
    draft.put("start_command", None if dev else compose_command)
    wsgi = next((f for f in repo.files if f.endswith("/wsgi.py") and f.startswith(app)), None)
    if "gunicorn" in ctx.deps and wsgi and repo.named("manage.py"):
        module = wsgi[len(app) + 1 if app else 0 : -3].replace("/", ".")
        draft.put(
            "start_command", repo.fact(f"gunicorn {module}:application", wsgi, "application", "wsgi.py")
        )
    draft.put("start_command", _python.console_script(repo, app))
    if (_node.package_json(repo, app) or {}).get("scripts", {}).get("start"):
        manager = draft.value("package_manager") or "npm"
        package = _python.in_dir(app, "package.json")
        draft.put(
            "start_command", repo.fact(_node.run_script(manager, "start"), package, '"start"', "script start")
        )
    draft.put("start_command", compose_command)
    _port(ctx, draft, service)


def _port(ctx: _Context, draft: Draft, service: _compose.Service | None) -> None:
    draft.put("port", ctx.docker.port if ctx.docker else None)
    draft.put("port", _compose.service_port(service) if service else None)
    start = draft.get("start_command")
    draft.put("port", _routes.command_port(start) if start else None)
    draft.put("port", _routes.code_port(ctx.repo, ctx.app))
    draft.put("port", _compose.env_port(ctx.repo, ctx.app))


def _endpoints(ctx: _Context, draft: Draft) -> None:
    repo, app = ctx.repo, ctx.app
    python = python_routes(repo, app)
    probes = _compose.healthcheck_paths(ctx.compose) + _routes.probe_paths(repo)
    candidates = python.routes + _routes.other_routes(repo, app) + probes + _routes.openapi_documents(repo)
    draft.put("health_path", _routes.choose(candidates, _routes.HEALTH, probes))
    draft.put("readiness_path", _routes.choose(candidates, _routes.READY, probes))
    draft.put("metrics_path", _routes.metrics(candidates))
    draft.put("openapi_path", python.openapi)


def _data(ctx: _Context, draft: Draft) -> None:
    repo, app = ctx.repo, ctx.app
    _tests.alembic(repo, draft)
    _tests.django(repo, draft)
    node_dir = _python.in_dir(app, "")
    _prisma(repo, app, draft)
    knex = next(iter(repo.glob(re.escape(node_dir) + r"knexfile\.(js|ts|cjs|mjs)")), None)
    if knex:
        migrations = Migrations(tool="knex", upgrade_command="npx knex migrate:latest", workdir=app or ".")
        draft.put("migrations", repo.fact(migrations, knex, detail="knexfile"))
    found = [
        _compose.compose_database(ctx.compose),
        draft.get("settings_database"),
        _compose.env_database(repo, app),
    ]
    draft.put("database", _merge_database([f for f in found if f is not None]))
    for fact in _compose.compose_brokers(ctx.compose):
        draft.add("brokers", fact)
    _python.brokers(ctx.deps, draft)


def _prisma(repo: Repo, app: str, draft: Draft) -> None:
    """A Prisma schema: ``prisma migrate deploy``, and the datasource's provider and URL variable."""
    schema = next((s for s in repo.named("schema.prisma") if s.startswith(_python.in_dir(app, ""))), None)
    if schema is None:
        return
    relative = schema[len(app) + 1 :] if app else schema
    # Prisma looks for prisma/schema.prisma by itself; anywhere else it must be told.
    command = "npx prisma migrate deploy" + (
        "" if relative == "prisma/schema.prisma" else f" --schema {relative}"
    )
    migrations = Migrations(tool="prisma", upgrade_command=command, workdir=app or ".")
    draft.put("migrations", repo.fact(migrations, schema, detail="Prisma schema"))
    text = repo.text(schema) or ""
    provider = re.search(r"datasource\s+\w+\s*\{[^}]*?provider\s*=\s*\"(\w+)\"", text)
    env = re.search(r"datasource\s+\w+\s*\{[^}]*?url\s*=\s*env\(\"(\w+)\"\)", text)
    kinds = {"postgresql": "postgresql", "postgres": "postgresql", "mysql": "mysql", "sqlite": "sqlite"}
    kinds["mongodb"] = "mongodb"
    if provider and provider.group(1) in kinds:
        database = Database(kind=kinds[provider.group(1)], url_env=env.group(1) if env else None)
        draft.put("settings_database", repo.fact(database, schema, "provider", "Prisma datasource"))


def _merge_database(found: list[Fact[Database]]) -> Fact[Database] | None:
    """The first database found, completed by what later sources say about the same kind."""
    if not found:
        return None
    first = found[0]
    same = [f.value for f in found if f.value.kind == first.value.kind]
    merged = Database(
        kind=first.value.kind,
        url_env=next((d.url_env for d in same if d.url_env), None),
        url=next((d.url for d in same if d.url), None),
        compose_service=next((d.compose_service for d in same if d.compose_service), None),
    )
    return Fact(value=merged, source=first.source)


def _testing(ctx: _Context, draft: Draft) -> None:
    repo, app = ctx.repo, ctx.app
    _tests.pytest_config(repo, app, ctx.deps, draft)
    draft.put("test_framework", _node.test_runner(repo, app))
    for rel in repo.glob(re.escape(_python.in_dir(app, "")) + r"(jest|vitest)\.config\.(ts|js|mjs|cjs|json)"):
        draft.put(
            "test_framework",
            repo.fact(rel.rsplit("/", 1)[-1].split(".")[0], rel, detail="test runner config"),
        )
    go_test = next((f for f in repo.files if f.endswith("_test.go")), None)
    if go_test:
        draft.put("test_framework", repo.fact("go", go_test, detail="Go test file"))
    manage = next(iter(repo.named("manage.py")), None)
    if manage and "django" in ctx.deps:
        draft.put("test_framework", repo.fact("django", manage, detail="manage.py test"))
    _tests.test_directories(repo, draft)
    dirs = draft.multi.get("test_dirs")
    if dirs and Language.PYTHON in draft.values("languages"):
        draft.put("test_framework", Fact(value="unittest", source=dirs[0].source))


def _delivery(ctx: _Context, draft: Draft) -> None:
    repo, app = ctx.repo, ctx.app
    _ci.discover_ci(repo, draft, _ci.steps(repo))
    scripts = _node.scripts(repo, app, str(draft.value("package_manager") or "npm"))
    if "no test specified" in (scripts["test"].source.detail if "test" in scripts else ""):
        del scripts["test"]
    order = {
        "test": ("ci_test", "task_test", "script:test"),
        "build": ("ci_build", "task_build", "script:build"),
        "lint": ("ci_lint", "task_lint", "script:lint", "precommit_lint"),
        "e2e": ("ci_e2e", "task_e2e", "script:test:e2e", "script:e2e"),
        "deploy": ("task_deploy", "ci_deploy_job", "ci_deploy", "script:deploy"),
        "rollback": ("task_rollback", "ci_rollback", "script:rollback"),
    }
    for kind, sources in order.items():
        for name in sources:
            fact = scripts.get(name[7:]) if name.startswith("script:") else draft.get(name)
            draft.put(kind, fact)
    script = next(iter(repo.glob(r"([\w.-]+/)?deploy[\w-]*\.sh")), None)
    if script:
        draft.put(
            "deploy", repo.fact(script if "/" in script else f"./{script}", script, detail="deploy script")
        )
    framework = draft.get("test_framework")
    manager = str(draft.value("package_manager") or "")
    default = _tests.default_test_command(app, framework.value, manager) if framework else None
    if framework and default:
        draft.put("test", Fact(value=default, source=framework.source))
    _tests.e2e(repo, draft)


def _files(ctx: _Context, draft: Draft) -> None:
    repo = ctx.repo
    _ops.ops_files(repo, draft)
    _ops.docs(repo, draft)
    for rel in _docker.dockerfiles(repo):
        draft.add("dockerfiles", repo.fact(rel, rel, detail="Dockerfile"))
    for rel in ctx.compose.files:
        draft.add("compose_files", repo.fact(rel, rel, detail="compose file"))
    draft.put("default_branch", _git.default_branch(repo))
    draft.put("name", _name(ctx))


def _name(ctx: _Context) -> Fact[str]:
    repo, app = ctx.repo, ctx.app
    pyproject = _python.in_dir(app, "pyproject.toml")
    doc: dict[str, Any] = (repo.toml(pyproject) or {}) if repo.exists(pyproject) else {}
    candidates = [
        (doc.get("project") or {}).get("name"),
        ((doc.get("tool") or {}).get("poetry") or {}).get("name"),
    ]
    for value in candidates:
        if isinstance(value, str) and value.lower() not in _GENERIC:
            return repo.fact(
                value, pyproject, re.compile(rf"(?m)^name\s*=\s*[\"']{re.escape(value)}"), "name"
            )
    package = _node.package_json(repo, app)
    if package and isinstance(package.get("name"), str) and package["name"] not in _GENERIC:
        return repo.fact(
            package["name"].rsplit("/", 1)[-1], _python.in_dir(app, "package.json"), '"name"', "name"
        )
    gomod = _node.go_name(repo, app)
    if gomod and gomod.value not in _GENERIC:
        return gomod
    return Fact(value=repo.root.name, source=Source(path=".", detail="the repository's directory name"))


_WANTED = {
    "languages": "No language could be recognised (no pyproject.toml, requirements, package.json or go.mod).",
    "package_manager": "No package manager could be recognised.",
    "start_command": "How the service starts was not found (no CMD, compose command, Procfile or script).",
    "port": "The port the service listens on was not found.",
    "health_path": "No health endpoint was found (no route or probe named health, healthz, livez…).",
    "readiness_path": "No readiness endpoint was found (no route named ready/readyz).",
    "metrics_path": "No metrics endpoint was found (no route named metrics).",
    "database": "No database was found (none in compose, .env files or settings).",
    "migrations": "No migration tool was found (no alembic.ini, Django migrations, Prisma or knex).",
    "test": "No test command was found.",
    "build": "No build command was found (none in CI, a Makefile, justfile or package.json).",
    "lint": "No lint command was found (none in CI, a Makefile, package.json or pre-commit).",
    "ci_workflows": "No CI workflow was found.",
    "deploy": "No deploy command was found (no deploy script, Makefile target or CI deploy job).",
    "default_branch": "The default branch could not be decided (no origin/HEAD, one branch, CI branch).",
}


def _freeze(ctx: _Context, draft: Draft) -> ServiceFacts:
    def many(name: str) -> tuple[Fact[Any], ...]:
        return tuple(draft.multi.get(name, []))

    unknowns = [
        text for name, text in _WANTED.items() if name not in draft.single and name not in draft.multi
    ]
    tests = Tests(
        framework=draft.get("test_framework"),
        command=draft.get("test"),
        directories=many("test_dirs"),
        e2e_command=draft.get("e2e"),
        markers=tuple(draft.markers),
    )
    return ServiceFacts(
        root=ctx.repo.root,
        name=draft.single["name"],
        app_dir=Fact(value=ctx.app, source=Source(path=ctx.app, detail="the service's manifest"))
        if ctx.app
        else None,
        languages=many("languages"),
        frameworks=many("frameworks"),
        lockfiles=many("lockfiles"),
        brokers=many("brokers"),
        tests=tests,
        build_command=draft.get("build"),
        lint_command=draft.get("lint"),
        deploy_command=draft.get("deploy"),
        rollback_command=draft.get("rollback"),
        ci_workflows=many("ci_workflows"),
        alert_rules=many("alert_rules"),
        alertmanager_configs=many("alertmanager_configs"),
        dashboards=many("dashboards"),
        runbooks=many("runbooks"),
        docs=many("docs"),
        dockerfiles=many("dockerfiles"),
        compose_files=many("compose_files"),
        kubernetes_manifests=many("kubernetes_manifests"),
        unknowns=tuple(dict.fromkeys([*ctx.repo.unknowns, *unknowns])),
        **{k: draft.get(k) for k in _SINGLE},
    )


_SINGLE = (
    "package_manager",
    "python_version",
    "node_version",
    "start_command",
    "port",
    "health_path",
    "readiness_path",
    "metrics_path",
    "openapi_path",
    "database",
    "migrations",
    "default_branch",
)
