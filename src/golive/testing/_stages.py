"""Map pipeline jobs to the stages a production pipeline needs, and judge its gates.

Detection reads what jobs *do* (the commands and actions of their steps, and the scripts
those call), not only what they are called; a gate counts only when it is enforced: its
failure fails the job (no ``continue-on-error`` on the step or job, no ``|| true`` or
``|| echo``, no ``set +e``, no ``; exit 0`` without errexit, no pipe without pipefail, no
``--exit-zero``: see :mod:`golive.testing._workflows_shell`). Every gate step that cannot
fail the pipeline is reported with its ``file:line`` and the suppression.

A placeholder step (``echo "golive TODO: ..."`` or an unconditional ``exit 1``, the form
``golive init ci`` writes for what it could not fill in) is a gap: it provides no stage, and a
deploy job that holds one does not deploy.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass

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
    r"\b(pytest|py\.test|tox|nox|go test|jest|vitest|mocha|(npm|yarn|pnpm|bun) (run )?test"
    r"|python3? -m unittest|(python3? )?(\./)?manage\.py test|deno test|cargo test"
    r"|mvn (-\S+ )*(test|verify)|gradle\S* test|rspec|phpunit|dotnet test)\b"
)
_LINT = _rx(
    r"\b(ruff|flake8|pylint|black --check|isort --check|mypy|pyright|pytype|eslint|tsc|biome"
    r"|golangci-lint|go vet|staticcheck|pre-commit run|prek run|prettier --check|rubocop|hadolint"
    r"|clippy|actionlint|shellcheck|(npm|yarn|pnpm|bun) (run )?lint)\b"
)
_LINT_USES = _rx(
    r"^(pre-commit/action|j178/prek-action|golangci/golangci-lint-action|astral-sh/ruff-action"
    r"|biomejs/setup-biome)"
)
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
    r"\b(docker (buildx )?(build|bake)|docker(-| )compose( (-f|--file|-p|--project-name|--env-file"
    r"|--profile) (\$\{\{[^}]*\}\}|\S+))* build|podman build|buildah|python3? -m build|uv build|poetry build"
    r"|hatch build|pdm build|pip wheel|(npm|yarn|pnpm|bun) (run )?build|bun build|go build"
    r"|mvn (-\S+ )*package|gradle\S* (build|assemble)|cargo build --release|ko build)\b"
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
_TODO = re.compile(r"golive TODO:?\s*([^\"'\n]*)")
_EXIT_FAIL = re.compile(r"^\s*(exit\s+[1-9]\d*|false)\s*(#.*)?$")
_BLOCK_OPEN = re.compile(r"^\s*(if|for|while|until|case)\b|\{\s*$|\(\)\s*\{?\s*$")
_BLOCK_CLOSE = re.compile(r"^\s*(fi|done|esac|\})\b")


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
        if self.command is not None and self.command.via:
            # Found inside a script or task: say the whole path to it.
            where += f" at {self.command.trail} `{self.command.text}`"
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
    placeholders: tuple[Provider, ...] = ()
    """``golive TODO`` steps standing in for the stage: gaps, never providers."""

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


def placeholder(step: Step) -> str:
    """What a placeholder step says it stands for ('' for a real step).

    A ``golive TODO`` text outside a comment, or an ``exit 1`` / ``false`` line outside any
    ``if``/loop/``case``/function: the step can only fail.
    """
    depth = 0
    for line in step.run.splitlines():
        if line.lstrip().startswith("#"):
            continue
        todo = _TODO.search(line)
        if todo:
            return f"golive TODO: {todo.group(1).strip()}"
        if _BLOCK_CLOSE.match(line):
            depth = max(0, depth - 1)
        if depth == 0 and _EXIT_FAIL.match(line):
            return f"unconditional `{line.strip()}`"
        if _BLOCK_OPEN.search(line) and not re.search(r"\b(fi|done|esac)\s*;?\s*$|\}\s*;?\s*$", line):
            depth += 1
    return ""


def placeholder_steps(pipeline: Pipeline) -> list[Provider]:
    """Every placeholder step of the pipeline, with what it stands for as the note."""
    return [
        Provider(job=job, step=step, note=why)
        for job in pipeline.jobs
        for step in job.steps
        if (why := placeholder(step))
    ]


def _holes(pipeline: Pipeline) -> dict[str, tuple[int, Provider]]:
    """The first placeholder step of each job that has one: ``{job label: (index, provider)}``."""
    out: dict[str, tuple[int, Provider]] = {}
    for job in pipeline.jobs:
        for index, step in enumerate(job.steps):
            why = placeholder(step)
            if why:
                out[job.label] = (index, Provider(job=job, step=step, note=why))
                break
    return out


def _blocked(p: Provider, pipeline: Pipeline, holes: dict[str, tuple[int, Provider]]) -> str:
    """Why a provider never runs: a placeholder before it in its job, or in a job it waits for."""
    if p.job.label in holes:
        index, hole = holes[p.job.label]
        if p.step is None or any(s is p.step for s in p.job.steps[index:]):
            return f"never runs: a placeholder fails the job first ({hole.gap})"
    for label in sorted(pipeline.upstream(p.job)):
        if label in holes:
            hole = holes[label][1]
            return f"never runs: it waits for {label}, failed by a placeholder ({hole.gap})"
    return ""


_STAGE_WORDS = {
    Stage.LINT: _rx(r"lint|type.?check|format"),
    Stage.UNIT: _rx(r"unit|\btests?\b"),
    Stage.INTEGRATION: _INTEGRATION,
    Stage.E2E: _E2E,
    Stage.SECURITY: _rx(r"secur|scan|audit|vulnerab"),
    Stage.BUILD: _rx(r"\bbuild|image|artifact|package"),
    Stage.DEPLOY_STAGING: _rx(r"deploy.*(stag|preprod|uat)|(stag|preprod|uat).*deploy"),
    Stage.DEPLOY_PRODUCTION: _rx(r"deploy.*prod|prod.*deploy|release|rollout"),
    Stage.VERIFY: _VERIFY,
    Stage.ROLLBACK: _ROLLBACK,
}


def _apply_holes(result: dict[Stage, StageFinding], pipeline: Pipeline) -> None:
    """Placeholders become gaps of the stage they name; what they block stops counting."""
    holes = _holes(pipeline)
    if not holes:
        return
    every = placeholder_steps(pipeline)
    for stage, finding in result.items():
        named = [h for h in every if _stands_for(h) is stage]
        # A job that stands for this stage only through its placeholder is that placeholder.
        stands_in = {h.job.label for h in named}
        good: list[Provider] = []
        bad: list[Provider] = []
        for p in finding.providers + finding.unenforced:
            if any(p.step is h.step for h in named) or (p.step is None and p.job.label in stands_in):
                continue
            why = "" if p in finding.unenforced else _blocked(p, pipeline, holes)
            if why:
                bad.append(Provider(job=p.job, step=p.step, note=why, command=p.command))
            else:
                (bad if p in finding.unenforced else good).append(p)
        result[stage] = StageFinding(
            stage=stage, providers=tuple(good), unenforced=tuple(bad), placeholders=tuple(named)
        )


#: Most specific first: a step named "E2E tests" is the E2E stage, not the unit tests.
_SPECIFIC_FIRST = (
    Stage.ROLLBACK,
    Stage.E2E,
    Stage.INTEGRATION,
    Stage.DEPLOY_STAGING,
    Stage.DEPLOY_PRODUCTION,
    Stage.VERIFY,
    Stage.SECURITY,
    Stage.BUILD,
    Stage.LINT,
    Stage.UNIT,
)


def _stands_for(hole: Provider) -> Stage | None:
    """The one stage a placeholder stands for: by its step's name, else its text, else its job."""
    if hole.step is None:
        return None
    job = f"{hole.job.id} {hole.job.name} {hole.job.environment}"
    for text in (hole.step.name, f"{hole.step.name} {job}", _step_text(hole.step) + " " + job):
        for stage in _SPECIFIC_FIRST:
            if _STAGE_WORDS[stage].search(text):
                return stage
    return None


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
    _apply_holes(result, pipeline)
    return result
