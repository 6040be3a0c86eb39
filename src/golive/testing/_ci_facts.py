"""What ``golive init ci`` runs, decided from the discovered facts of the repository.

Every command comes from :class:`~golive.discover.ServiceFacts` (the project's package
manager, language version, test, lint, build and deploy commands, health paths, default
branch). Where discovery found nothing the step is a placeholder that fails loudly
(``echo 'golive TODO: ...' >&2; exit 1``): a pipeline that cannot run must not look
complete, and ``ci.pipeline`` reports such a step as a gap.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, replace
from pathlib import Path

from golive.discover.facts import Language, ServiceFacts
from golive.testing._ci_model import CiOptions, CiStep, Postgres, todo

__all__ = ["options_from_facts"]

#: Installers pinned so that CI is reproducible (real released versions).
_UV = "0.8.0"
_POETRY = "2.1.3"
#: Markers that select tests needing a running server (the integration job runs them).
_SERVICE_MARKERS = ("postgres", "postgresql", "mysql", "redis", "nats", "rabbitmq", "kafka", "integration")
#: Later steps run the project's tools from its virtualenv, as `uv run`/`poetry run` would.
_ACTIVATE = 'echo "$PWD/.venv/bin" >> "$GITHUB_PATH"'
_DIRECT_PYTEST = re.compile(r"^((uv|poetry|pdm|hatch) run |python3? -m )?pytest\b[^;&|]*$")


@dataclass(frozen=True, kw_only=True)
class _Repo:
    """The facts plus the few file reads the generator needs (service directory relative)."""

    facts: ServiceFacts
    app: Path
    coverage: int

    def text(self, *names: str) -> str:
        """The text of the first of ``names`` that exists in the service directory ('' if none)."""
        for name in names:
            path = self.app / name
            try:
                if path.is_file():
                    return path.read_text(encoding="utf-8", errors="replace")[:200_000]
            except OSError:
                continue
        return ""

    def declares(self, package: str) -> bool:
        """Whether the project's dependency files name ``package``."""
        texts = (
            self.text("pyproject.toml"),
            self.text("requirements-dev.txt", "requirements-dev.in", "requirements.txt"),
            self.text("package.json"),
        )
        return any(re.search(rf"(?<![\w-]){re.escape(package)}(?![\w-])", t) for t in texts)


def _rel(repo: _Repo, path: str) -> str:
    """A repository-relative path as seen from the service directory."""
    app = repo.facts.app_dir.value if repo.facts.app_dir else "."
    if app in (".", ""):
        return path
    prefix = app.rstrip("/") + "/"
    return path[len(prefix) :] if path.startswith(prefix) else path


def _located(repo: _Repo, step: CiStep) -> CiStep:
    """The step, run where its command belongs.

    Discovered commands are stated from the repository root (``cd backend && ...`` when they
    run in the service's directory); the jobs run in the service's directory, so a leading
    ``cd <service dir> &&`` is dropped and any other command runs from the root.
    """
    app = repo.facts.app_dir.value.strip("/") if repo.facts.app_dir else "."
    if app in (".", "") or step.placeholder or step.uses:
        return step
    match = re.match(rf"^cd\s+(?:\./)?{re.escape(app)}/?\s*&&\s*(.+)$", step.run, re.DOTALL)
    if match:
        return replace(step, run=match.group(1))
    return replace(step, working_directory=".")


def _python_setup(repo: _Repo) -> list[CiStep]:
    facts = repo.facts
    version = facts.python_version.value if facts.python_version else None
    setup = CiStep(
        name="Set up Python",
        uses="setup_python",
        with_=(("python-version", version or "3.x"),),
        comment="" if version else "golive TODO: no Python version found; pin the one production runs",
    )
    manager = facts.package_manager.value if facts.package_manager else ""
    locks = [_rel(repo, f.value) for f in facts.lockfiles]
    if manager == "uv":
        install = f'python -m pip install "uv=={_UV}"\nuv sync --locked --all-groups\n{_ACTIVATE}'
    elif manager == "poetry":
        install = (
            f'python -m pip install "poetry=={_POETRY}"\npoetry config virtualenvs.in-project true\n'
            f"poetry install --no-interaction\n{_ACTIVATE}"
        )
    elif manager in ("pip-tools", "pip") and any(n.endswith(".txt") for n in locks):
        reqs = [n for n in locks if n.endswith(".txt")]
        install = "python -m pip install " + " ".join(f"-r {shlex.quote(n)}" for n in reqs)
    elif repo.text("pyproject.toml", "setup.py"):
        extra = next(
            (
                e
                for e in ("dev", "test", "tests")
                if re.search(rf"(?m)^{e}\s*=\s*\[", repo.text("pyproject.toml"))
            ),
            None,
        )
        install = f'python -m pip install -e ".[{extra}]"' if extra else "python -m pip install -e ."
    else:
        return [
            setup,
            todo("Install", "install the service's dependencies (no lock file or pyproject found)"),
        ]
    return [setup, CiStep(name="Install", run=install)]


def _node_setup(repo: _Repo) -> list[CiStep]:
    facts = repo.facts
    version = facts.node_version.value if facts.node_version else None
    setup = CiStep(
        name="Set up Node.js",
        uses="setup_node",
        with_=(("node-version", version or "lts/*"),),
        comment="" if version else "golive TODO: no Node version found; pin the one production runs",
    )
    manager = facts.package_manager.value if facts.package_manager else "npm"
    install = {
        "npm": "npm ci",
        "pnpm": "corepack enable\npnpm install --frozen-lockfile",
        "yarn": "corepack enable\nyarn install --frozen-lockfile",
        "bun": "npm install --global bun\nbun install --frozen-lockfile",
    }.get(manager, "npm ci")
    return [setup, CiStep(name="Install", run=install)]


def _go_setup(repo: _Repo) -> list[CiStep]:
    return [
        CiStep(name="Set up Go", uses="setup_go", with_=(("go-version-file", "go.mod"),)),
        CiStep(name="Install", run="go mod download"),
    ]


def _language(facts: ServiceFacts) -> Language | None:
    manager = facts.package_manager.value if facts.package_manager else ""
    if manager in ("npm", "pnpm", "yarn", "bun"):
        return Language.NODE
    if manager == "go":
        return Language.GO
    if manager or facts.has(Language.PYTHON):
        return Language.PYTHON
    return facts.languages[0].value if facts.languages else None


def _setup(repo: _Repo, language: Language | None) -> list[CiStep]:
    if language is Language.PYTHON:
        return _python_setup(repo)
    if language is Language.NODE:
        return _node_setup(repo)
    if language is Language.GO:
        return _go_setup(repo)
    return [todo("Set up and install", "set up the service's language and install its dependencies")]


def _source_dir(repo: _Repo) -> str:
    src = repo.app / "src"
    if src.is_dir():
        packages = [p.name for p in src.iterdir() if (p / "__init__.py").is_file()]
        return f"src/{packages[0]}" if len(packages) == 1 else "src"
    return "."


def _coverage_flags(repo: _Repo, command: str, found: str) -> str:
    """pytest-cov flags: those the command had, else ours when the project has pytest-cov."""
    if found:
        return f" {found}"
    if not _DIRECT_PYTEST.match(command) or not repo.declares("pytest-cov"):
        return ""
    source = _source_dir(repo)
    cov = "--cov" if source == "." else f"--cov={source.removeprefix('src/')}"
    return f" {cov} --cov-branch --cov-report=xml:reports/coverage.xml --cov-fail-under={repo.coverage}"


def _split_pytest(command: str) -> tuple[str, str]:
    """(the pytest command without marker, JUnit and coverage options, its coverage options).

    A command read from a workflow already carries them; the generator adds its own per job.
    """
    try:
        words = shlex.split(command)
    except ValueError:
        return command, ""
    base: list[str] = []
    cov: list[str] = []
    skip = False
    for i, word in enumerate(words):
        if skip:
            skip = False
            continue
        if word == "-m" and i + 1 < len(words) and words[i - 1 : i] != ["python"]:
            skip = True
        elif word.startswith("--junitxml"):
            skip = word == "--junitxml"
        elif word.startswith("--cov"):
            cov.append(word)
        else:
            base.append(word)
    return shlex.join(base), " ".join(cov)


def _tests(repo: _Repo, postgres: Postgres | None) -> tuple[CiStep, CiStep, bool]:
    """(unit step, integration step, whether the unit job needs the database)."""
    command = repo.facts.tests.command.value if repo.facts.tests.command else ""
    if not command:
        what = "the command that runs the unit tests"
        return (
            todo("Unit tests", what),
            todo("Integration tests", "the command that runs the integration tests"),
            False,
        )
    markers = [m for m in repo.facts.tests.markers if m in _SERVICE_MARKERS]
    direct = bool(_DIRECT_PYTEST.match(command))
    cov = ""
    if direct:
        command, cov = _split_pytest(command)
    junit = " --junitxml=reports/{}.xml" if direct else ""
    if direct and markers:
        keep = " and ".join(f"not {m}" for m in markers)
        chosen = next((m for m in ("integration", "postgres", "postgresql") if m in markers), markers[0])
        unit = CiStep(
            name="Unit tests",
            run=f'{command} -m "{keep}"{junit.format("unit")}{_coverage_flags(repo, command, cov)}',
        )
        integration = CiStep(
            name="Integration tests", run=f"{command} -m {chosen}{junit.format('integration')}"
        )
        return unit, integration, False
    unit = CiStep(
        name="Unit tests", run=f"{command}{junit.format('unit')}{_coverage_flags(repo, command, cov)}"
    )
    database = " (the test job already runs against PostgreSQL)" if postgres else ""
    integration = todo(
        "Integration tests", f"the command that runs the integration tests{database}, or remove this job"
    )
    return unit, integration, postgres is not None


def _postgres(facts: ServiceFacts) -> Postgres | None:
    database = facts.database.value if facts.database else None
    if database is None or database.kind not in ("postgresql", "postgres"):
        return None
    env = database.url_env or "DATABASE_URL"
    # A variable holding a host (POSTGRES_SERVER) gets the host, one holding a URL the URL.
    if re.search(r"URL|URI|DSN", env, re.I):
        value = "postgresql://postgres@127.0.0.1:5432/test"
    else:
        value = "127.0.0.1"
    return Postgres(env=env, value=value)


def _security(repo: _Repo, language: Language | None) -> list[CiStep]:
    steps: list[CiStep] = []
    if language is Language.PYTHON:
        source = _source_dir(repo)
        exclude = "" if source != "." else " -x ./.venv,./tests,./node_modules"
        steps.append(
            CiStep(
                name="Code scan (bandit, fails on high severity)",
                run=f"bandit -r {source}{exclude} --severity-level high --confidence-level medium "
                "-f sarif -o bandit.sarif",
                sarif="bandit",
            )
        )
    elif language is Language.NODE:
        steps.append(CiStep(name="Dependency audit (npm audit)", run="npm audit --audit-level=high"))
    return steps


def _build(repo: _Repo, language: Language | None) -> tuple[CiStep, str]:
    """(build step, the directory it leaves the artifact in: '' for an image)."""
    facts = repo.facts
    if facts.build_command:
        return CiStep(name="Build", run=facts.build_command.value), ""
    if facts.dockerfiles:
        dockerfile = _rel(repo, facts.dockerfiles[0].value)
        context = str(Path(dockerfile).parent)
        tag = re.sub(r"[^a-z0-9_.-]", "-", facts.name.value.lower()) or "service"
        run = f'docker build --file {dockerfile} --tag "{tag}:$GITHUB_SHA" {context}'
        return CiStep(name="Build image", run=run), ""
    manager = facts.package_manager.value if facts.package_manager else ""
    if language is Language.PYTHON and "[build-system]" in repo.text("pyproject.toml"):
        run = {"uv": "uv build --out-dir dist/", "poetry": "poetry build --output dist"}.get(
            manager, "python -m pip install build==1.2.2\npython -m build --outdir dist/"
        )
        return CiStep(name="Build wheel and sdist", run=run), "dist/"
    if language is Language.GO:
        return CiStep(name="Build", run="go build -o dist/ ./..."), "dist/"
    return todo("Build", "the command that builds the deployable artifact"), ""


def _verify(facts: ServiceFacts) -> str:
    paths = [f.value for f in (facts.health_path, facts.readiness_path) if f is not None]
    if not paths:
        return ""
    curl = "curl --fail --silent --show-error"
    first = f'{curl} --retry 10 --retry-delay 6 --retry-all-errors "$PRODUCTION_URL{paths[0]}"'
    return "\n".join([first, *(f'{curl} "$PRODUCTION_URL{p}"' for p in paths[1:])])


def _e2e(repo: _Repo) -> list[CiStep]:
    command = repo.facts.tests.e2e_command
    if command is None:
        return [todo("E2E tests", "the command that runs the end-to-end tests of the critical paths")]
    steps = []
    if repo.declares("playwright") or repo.declares("@playwright/test"):
        runner = "npx playwright" if _language(repo.facts) is Language.NODE else "python -m playwright"
        steps.append(
            CiStep(name="Install Chromium for Playwright", run=f"{runner} install --with-deps chromium")
        )
    junit = bool(_DIRECT_PYTEST.match(command.value)) and "--junitxml" not in command.value
    steps.append(
        CiStep(name="E2E tests", run=command.value + (" --junitxml=reports/e2e.xml" if junit else ""))
    )
    return steps


def _per_environment(command: str) -> str:
    """The deploy command with the environment it names replaced by ``$DEPLOY_ENV``.

    A repository's deploy target says ``production``; the staging job must not run that.
    """
    return re.sub(r"(?<![\w$/.-])(production|prod)(?![\w/.-])", '"$DEPLOY_ENV"', command)


def options_from_facts(facts: ServiceFacts, *, service: str | None = None, coverage: int = 80) -> CiOptions:
    """The pipeline for the discovered service."""
    app = facts.app_dir.value if facts.app_dir else "."
    repo = _Repo(facts=facts, app=facts.root / app, coverage=coverage)
    language = _language(facts)
    postgres = _postgres(facts)
    unit, integration, unit_db = _tests(repo, postgres)
    build, artifact = _build(repo, language)
    lint = (
        CiStep(name="Lint", run=facts.lint_command.value)
        if facts.lint_command
        else todo("Lint", "the command that lints (and type-checks) the code")
    )
    deploy = facts.deploy_command
    rollback = facts.rollback_command
    return CiOptions(
        service=service or facts.name.value,
        working_directory=app,
        branch=facts.default_branch.value if facts.default_branch else None,
        setup=tuple(_setup(repo, language)),
        lint=_located(repo, lint),
        unit=_located(repo, unit),
        unit_postgres=unit_db,
        integration=_located(repo, integration),
        e2e=tuple(_located(repo, s) for s in _e2e(repo)),
        security=tuple(_security(repo, language)),
        build=_located(repo, build),
        artifact=artifact,
        postgres=postgres,
        deploy=_located(repo, CiStep(name="Deploy", run=_per_environment(deploy.value))) if deploy else None,
        rollback=_located(repo, CiStep(name="Roll back to the previous release", run=rollback.value))
        if rollback
        else None,
        verify=_verify(facts),
        coverage=coverage,
    )
