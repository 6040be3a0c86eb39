"""Map pipeline jobs to the stages a production pipeline needs, and judge its gates.

Detection reads what jobs *do* (the commands and actions of their steps, and the scripts
those call), not only what they are called; a gate counts only when it is enforced: its
failure fails the job (no ``continue-on-error`` on the step or job, no ``|| true`` or
``|| echo``, no ``set +e``, no ``; exit 0`` without errexit, no pipe without pipefail, no
``--exit-zero``: see :mod:`golive.testing._workflows_shell`). Every gate step that cannot
fail the pipeline is reported with its ``file:line`` and the suppression.
"""

from __future__ import annotations

import enum
import re
import tomllib
from collections.abc import Callable
from configparser import ConfigParser
from configparser import Error as ConfigError
from dataclasses import dataclass
from pathlib import Path

from golive.testing._workflows_shell import Command
from golive.testing.base import Job, Pipeline, Step


class Stage(enum.StrEnum):
    """Stages of a complete CI/CD pipeline, in order."""

    LINT = "lint"
    UNIT = "unit"
    INTEGRATION = "integration"
    E2E = "e2e"
    SECURITY = "security"
    BUILD = "build"
    DEPLOY_STAGING = "deploy-staging"
    DEPLOY_PRODUCTION = "deploy-production"
    VERIFY = "verify"
    ROLLBACK = "rollback"


STAGE_TITLES = {
    Stage.LINT: "lint / type-check",
    Stage.UNIT: "unit tests",
    Stage.INTEGRATION: "integration tests",
    Stage.E2E: "E2E tests",
    Stage.SECURITY: "security scanning",
    Stage.BUILD: "build artifact",
    Stage.DEPLOY_STAGING: "deploy to staging",
    Stage.DEPLOY_PRODUCTION: "deploy to production (environment with approval)",
    Stage.VERIFY: "post-deploy verification",
    Stage.ROLLBACK: "rollback",
}


class Gate(enum.StrEnum):
    """Quality gates that must be enforced, not merely present."""

    COVERAGE = "coverage"
    SECURITY = "security"
    GOLIVE = "golive"
    ORDER = "order"


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_TEST_RUNNER = _rx(
    r"\b(pytest|py\.test|tox|nox|go test|jest|vitest|mocha|npm (run )?test|yarn test|pnpm test"
    r"|cargo test|mvn (-\S+ )*(test|verify)|gradle\S* test|rspec|phpunit|dotnet test)\b"
)
_LINT = _rx(
    r"\b(ruff|flake8|pylint|black --check|isort --check|mypy|pyright|pytype|eslint|tsc"
    r"|golangci-lint|go vet|pre-commit run|prettier --check|rubocop|hadolint|clippy"
    r"|actionlint|shellcheck)\b"
)
_LINT_USES = _rx(r"^(pre-commit/action|golangci/golangci-lint-action|astral-sh/ruff-action)")
_INTEGRATION = _rx(r"integration")
_E2E = _rx(r"\b(e2e|end-to-end|playwright|cypress|selenium|webdriver)\b|[-_/]e2e\b")
_SECURITY = _rx(
    r"\b(zizmor|bandit|semgrep|trivy|grype|snyk|pip-audit|safety (check|scan)|gitleaks"
    r"|detect-secrets|checkov|osv-scanner|npm audit|gosec|trufflehog|dependency-check)\b"
)
_SECURITY_USES = _rx(
    r"^(github/codeql-action/(init|analyze)|aquasecurity/trivy-action|returntocorp/semgrep-action"
    r"|semgrep/semgrep-action|gitleaks/gitleaks-action|snyk/actions|zizmorcore/zizmor-action"
    r"|pypa/gh-action-pip-audit|google/osv-scanner-action|anchore/scan-action)"
)
_BUILD = _rx(
    r"\b(docker (buildx )?build|podman build|buildah|python3? -m build|uv build|poetry build"
    r"|hatch build|pip wheel|npm run build|yarn build|go build|mvn (-\S+ )*package"
    r"|gradle\S* (build|assemble)|cargo build --release|ko build)\b"
)
_BUILD_USES = _rx(r"^(docker/build-push-action|actions/upload-artifact)")
_DEPLOY = _rx(
    r"deploy|\b(rollout|promote|helm (upgrade|install)|kubectl (apply|rollout)|terraform apply"
    r"|flyctl deploy|cf push|eb deploy|serverless deploy)\b"
)
_STAGING = _rx(r"stag|preprod|pre-prod|uat")
_PRODUCTION = _rx(r"\bprod|production|live\b")
_VERIFY = _rx(
    r"\b(smoke|verify|verification|health ?check|synthetic|golive review|canary analysis)\b"
    r"|/healthz|/readyz"
)
_ROLLBACK = _rx(r"roll ?back|\bundo\b|\brevert\b")
_NEVER = _rx(r"^\s*(\$\{\{\s*)?(false|0|'')(\s*\}\})?\s*$")
_GOLIVE = _rx(r"\bgolive\s+review\b")

_COV_FLAG = re.compile(r"--cov-fail-under[= ](\d+(?:\.\d+)?)|--fail-under[= ](\d+(?:\.\d+)?)")


@dataclass(frozen=True, kw_only=True)
class Provider:
    """A job (and step, and command) that provides a stage or a gate."""

    job: Job
    step: Step | None = None
    note: str = ""
    command: Command | None = None
    """The command that runs the tool (``None`` for an action or a whole job)."""

    def __str__(self) -> str:
        where = self.job.label + (f" (step {self.step.label!r})" if self.step else "")
        return where + (f": {self.note}" if self.note else "")

    @property
    def gap(self) -> str:
        """``file:line `command`: why it cannot fail the pipeline``."""
        if self.command is not None:
            return f"{self.command.where} `{self.command.text}`: {self.note}"
        if self.step is not None and self.step.where:
            return f"{self.step.where} (step {self.step.label!r}): {self.note}"
        return f"{self.job.label}: {self.note}"


@dataclass(frozen=True, kw_only=True)
class StageFinding:
    """One stage: who provides it, and why it does not count when it does not."""

    stage: Stage
    providers: tuple[Provider, ...] = ()
    unenforced: tuple[Provider, ...] = ()

    @property
    def found(self) -> bool:
        """True when at least one enforced provider exists."""
        return bool(self.providers)


@dataclass(frozen=True, kw_only=True)
class GateFinding:
    """A quality gate: enforced or not, with the evidence either way."""

    gate: Gate
    enforced: bool
    detail: str


def _job_text(job: Job) -> str:
    return f"{job.id} {job.name} {job.calls}"


def _step_text(step: Step) -> str:
    return f"{step.name}\n{step.run}\n{step.uses}"


_INSTALL = _rx(
    r"\b(pip3?|pipx|uv pip|uv tool|npm|yarn|pnpm|apt-get|apt|brew|gem|go|cargo|playwright)"
    r" (install|add|ci)\b"
)


def _lines(step: Step, pattern: re.Pattern[str]) -> list[Command]:
    """Commands of the step (scripts it calls included) that run the tool.

    Installing the tool, or printing its name, does not count.
    """
    return [
        c for c in step.commands if pattern.search(c.text) and not _INSTALL.search(c.text) and not c.plumbing
    ]


def _ignored(job: Job, step: Step | None, commands: list[Command]) -> str:
    """Why a failure of this step would not fail the pipeline ('' when it would)."""
    if job.continue_on_error:
        return f"job has continue-on-error ({job.coe_where})"
    if step is not None and step.continue_on_error:
        return f"step has continue-on-error ({step.coe_where})"
    if any(_NEVER.match(c) for c in (job.condition, step.condition if step else "")):
        return "never runs (`if:` is always false)"
    return next((c.suppressed for c in commands if c.suppressed), "")


def _by_steps(
    pipeline: Pipeline,
    run: re.Pattern[str] | None,
    uses: re.Pattern[str] | None,
    job_filter: Callable[[Job, Step], bool] | None = None,
) -> tuple[list[Provider], list[Provider]]:
    """One provider per command (or action) that runs the tool: enforced ones, then the others."""
    good: list[Provider] = []
    bad: list[Provider] = []
    for job in pipeline.jobs:
        for step in job.steps:
            commands = _lines(step, run) if run is not None else []
            hit_uses = uses is not None and bool(step.uses) and bool(uses.search(step.uses))
            if not (commands or hit_uses) or (job_filter is not None and not job_filter(job, step)):
                continue
            for command in commands:
                why = _ignored(job, step, [command])
                (bad if why else good).append(Provider(job=job, step=step, note=why, command=command))
            if hit_uses:
                why = _ignored(job, step, [])
                (bad if why else good).append(Provider(job=job, step=step, note=why))
    return good, bad


def _is_e2e(job: Job, step: Step) -> bool:
    return bool(_E2E.search(_job_text(job)) or _E2E.search(_step_text(step)))


def _is_integration(job: Job, step: Step) -> bool:
    return bool(_INTEGRATION.search(_job_text(job)) or _INTEGRATION.search(_step_text(step)))


def _deploy_jobs(pipeline: Pipeline, env: re.Pattern[str]) -> list[Job]:
    """Jobs that deploy to the environment: they name it and deploy (rollbacks excluded)."""
    found = []
    for job in pipeline.jobs:
        if not job.steps or _ROLLBACK.search(_job_text(job)):
            continue  # callers of reusable workflows: their expanded jobs count
        named = bool(_DEPLOY.search(_job_text(job))) and not _VERIFY.search(_job_text(job))
        deploys = named or any(_DEPLOY.search(f"{s.name}\n{s.run}") for s in job.steps)
        target = job.environment or _job_text(job)
        if deploys and env.search(target):
            found.append(job)
    return found


def find_stages(pipeline: Pipeline) -> dict[Stage, StageFinding]:
    """Every stage with the jobs that provide it."""
    result: dict[Stage, StageFinding] = {}

    def put(stage: Stage, good: list[Provider], bad: list[Provider]) -> None:
        result[stage] = StageFinding(stage=stage, providers=tuple(good), unenforced=tuple(bad))

    put(Stage.LINT, *_by_steps(pipeline, _LINT, _LINT_USES))
    put(
        Stage.UNIT,
        *_by_steps(
            pipeline,
            _TEST_RUNNER,
            None,
            lambda j, s: not _is_e2e(j, s) and not _is_integration(j, s),
        ),
    )
    put(Stage.INTEGRATION, *_by_steps(pipeline, _TEST_RUNNER, None, _is_integration))
    e2e_good, e2e_bad = _by_steps(pipeline, _TEST_RUNNER, None, _is_e2e)
    more_good, more_bad = _by_steps(pipeline, _E2E, None, lambda j, s: bool(s.run))
    seen = {(p.job.label, id(p.step)) for p in e2e_good + e2e_bad}
    e2e_good += [p for p in more_good if (p.job.label, id(p.step)) not in seen]
    e2e_bad += [p for p in more_bad if (p.job.label, id(p.step)) not in seen]
    put(Stage.E2E, e2e_good, e2e_bad)
    put(Stage.SECURITY, *_by_steps(pipeline, _SECURITY, _SECURITY_USES))
    put(Stage.BUILD, *_by_steps(pipeline, _BUILD, _rx(r"^docker/build-push-action")))

    for stage, env in ((Stage.DEPLOY_STAGING, _STAGING), (Stage.DEPLOY_PRODUCTION, _PRODUCTION)):
        good: list[Provider] = []
        bad: list[Provider] = []
        for job in _deploy_jobs(pipeline, env):
            why = _ignored(job, None, [])
            if stage is Stage.DEPLOY_PRODUCTION and not job.environment:
                why = why or "no environment: (required reviewers need a protected environment)"
            note = f"environment {job.environment!r}" if job.environment else ""
            (bad if why else good).append(Provider(job=job, note=why or note))
        put(stage, good, bad)

    prod_jobs = [
        p.job for p in result[Stage.DEPLOY_PRODUCTION].providers + result[Stage.DEPLOY_PRODUCTION].unenforced
    ]
    prod_labels = {j.label for j in prod_jobs}
    verify_good: list[Provider] = []
    verify_bad: list[Provider] = []
    for job in pipeline.jobs:
        after_prod = bool(prod_labels & pipeline.upstream(job))
        for i, step in enumerate(job.steps):
            if not _VERIFY.search(_step_text(step)) and not (
                after_prod and _VERIFY.search(_job_text(job)) and step.run
            ):
                continue
            deploy_before = job.label in prod_labels and any(
                _DEPLOY.search(_step_text(s)) for s in job.steps[:i]
            )
            if not (after_prod or deploy_before):
                continue
            checks = _lines(step, _VERIFY) or list(step.commands)
            why = _ignored(job, step, checks)
            (verify_bad if why else verify_good).append(Provider(job=job, step=step, note=why))
    put(Stage.VERIFY, verify_good, verify_bad)

    rollback_good = []
    for job in pipeline.jobs:
        for step in job.steps:
            if _ROLLBACK.search(_step_text(step)) or (_ROLLBACK.search(_job_text(job)) and step.run):
                cond = step.condition or job.condition
                note = f"if: {cond}" if cond else ""
                rollback_good.append(Provider(job=job, step=step, note=note))
    put(Stage.ROLLBACK, rollback_good, [])
    return result


def _config_fail_under(root: Path) -> float | None:
    """``fail_under`` from coverage.py's configuration files, if set."""
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text())
            value = data.get("tool", {}).get("coverage", {}).get("report", {}).get("fail_under")
            if value is not None:
                return float(value)
        except (tomllib.TOMLDecodeError, ValueError, TypeError, OSError):
            pass
    for name, section in (
        (".coveragerc", "report"),
        ("setup.cfg", "coverage:report"),
        ("tox.ini", "coverage:report"),
    ):
        path = root / name
        if not path.is_file():
            continue
        parser = ConfigParser()
        try:
            parser.read(path)
            if parser.has_option(section, "fail_under"):
                return float(parser.get(section, "fail_under"))
        except (ConfigError, ValueError):
            continue
    return None


def _coverage_gate(pipeline: Pipeline, root: Path, min_coverage: float) -> GateFinding:
    """A threshold the test step fails on (a flag, or coverage.py's own fail_under)."""
    found: list[str] = []
    weak: list[str] = []
    runs_coverage = False
    for job in pipeline.jobs:
        for step in job.steps:
            for command in step.commands:
                if re.search(r"--cov\b|--cov=|coverage (run|report|xml)|pytest-cov", command.text):
                    runs_coverage = True
                for m in _COV_FLAG.finditer(command.text):
                    value = float(m.group(1) or m.group(2))
                    where = f"{job.label} (step {step.label!r}) at {command.where}: {m.group(0)}"
                    why = _ignored(job, step, [command])
                    if why:
                        weak.append(f"{where} - {why}")
                    elif value < min_coverage:
                        weak.append(f"{where} - below {min_coverage:g}")
                    else:
                        found.append(where)
    configured = _config_fail_under(root)
    if not found and runs_coverage and configured is not None:
        where = f"fail_under = {configured:g} in coverage configuration"
        if configured >= min_coverage:
            found.append(where)
        else:
            weak.append(f"{where} - below {min_coverage:g}")
    if found:
        return GateFinding(gate=Gate.COVERAGE, enforced=True, detail=found[0])
    if weak:
        detail = "; ".join(weak)
    elif runs_coverage:
        detail = f"coverage runs but nothing fails under {min_coverage:g}%"
    else:
        detail = "no coverage measurement with a fail-under threshold"
    return GateFinding(gate=Gate.COVERAGE, enforced=False, detail=detail)


def _scanner_weakness(provider: Provider, step: Step) -> str:
    """Why a scanner step passes even when it finds something ("" when it fails the job)."""
    run = provider.command.text if provider.command is not None else ""
    text = run + " " + " ".join(f"{k}={v}" for k, v in step.with_.items())
    command = provider.command
    where = f"{command.where} `{command.text}`" if command is not None else str(provider)
    if step.uses.startswith("github/codeql-action") and not step.run:
        return f"{provider}: CodeQL alerts do not fail the job"
    if re.search(r"\btrivy\b", text + step.uses, re.I) and not re.search(
        r"--exit-code[ =]1|exit-code=['\"]?1", text
    ):
        return f"{where}: trivy exits 0 on findings without --exit-code 1"
    if re.search(r"\bsemgrep\b(?!\s+ci)", run) and "--error" not in run:
        return f"{where}: semgrep scan exits 0 on findings without --error"
    if re.search(r"\bdetect-secrets scan\b", run):
        return f"{where}: detect-secrets scan only writes a baseline"
    return ""


def _security_gate(stages: dict[Stage, StageFinding]) -> GateFinding:
    """A scanner that fails the job on findings."""
    sec = stages[Stage.SECURITY]
    enforced: list[str] = []
    weak = [p.gap for p in sec.unenforced]
    for p in sec.providers:
        if p.step is None:
            continue
        why = _scanner_weakness(p, p.step)
        (weak if why else enforced).append(why or str(p))
    return GateFinding(
        gate=Gate.SECURITY,
        enforced=bool(enforced),
        detail=enforced[0] if enforced else ("; ".join(weak) or "no security scanner runs"),
    )


def _production_jobs(stages: dict[Stage, StageFinding]) -> list[Provider]:
    return list(stages[Stage.DEPLOY_PRODUCTION].providers + stages[Stage.DEPLOY_PRODUCTION].unenforced)


def _golive_gate(pipeline: Pipeline, stages: dict[Stage, StageFinding]) -> GateFinding:
    """A golive review that must pass before production."""
    prod = _production_jobs(stages)
    good, weak = [], []
    for job in pipeline.jobs:
        for i, step in enumerate(job.steps):
            lines = _lines(step, _GOLIVE)
            if not lines and "golive" not in step.uses.lower():
                continue
            before_prod = any(
                job.label in pipeline.upstream(p.job) or (job is p.job and _prod_step_after(job, i))
                for p in prod
            )
            why = _ignored(job, step, lines)
            where = f"{job.label} (step {step.label!r})"
            if why:
                at = lines[0].where if lines else step.where
                weak.append(f"{where} at {at} - {why}")
            elif not before_prod:
                weak.append(f"{where} - does not gate the production deploy")
            else:
                good.append(where)
    return GateFinding(
        gate=Gate.GOLIVE,
        enforced=bool(good),
        detail=good[0] if good else ("; ".join(weak) or "no golive review step"),
    )


def _order_gate(pipeline: Pipeline, stages: dict[Stage, StageFinding]) -> GateFinding:
    """Production waits for the tests, the scan, the build and staging."""
    prod = _production_jobs(stages)
    missing: list[str] = []
    for p in prod:
        upstream = pipeline.upstream(p.job)
        for stage in (Stage.UNIT, Stage.E2E, Stage.SECURITY, Stage.BUILD, Stage.DEPLOY_STAGING):
            providers = stages[stage].providers
            if providers and not any(
                q.job.label in upstream or q.job.label == p.job.label for q in providers
            ):
                missing.append(f"{p.job.label} does not wait for {STAGE_TITLES[stage]}")
    if missing:
        detail = "; ".join(missing)
    else:
        detail = (
            "production deploy waits for tests, scans, build and staging" if prod else "no production deploy"
        )
    return GateFinding(gate=Gate.ORDER, enforced=bool(prod) and not missing, detail=detail)


def judge_gates(
    pipeline: Pipeline,
    stages: dict[Stage, StageFinding],
    *,
    root: Path,
    min_coverage: float,
) -> dict[Gate, GateFinding]:
    """Whether coverage, security, the golive review and stage ordering are enforced."""
    return {
        Gate.COVERAGE: _coverage_gate(pipeline, root, min_coverage),
        Gate.SECURITY: _security_gate(stages),
        Gate.GOLIVE: _golive_gate(pipeline, stages),
        Gate.ORDER: _order_gate(pipeline, stages),
    }


def _prod_step_after(job: Job, index: int) -> bool:
    return any(_DEPLOY.search(_step_text(s)) for s in job.steps[index + 1 :])
