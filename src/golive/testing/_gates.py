"""The quality gates of a pipeline: coverage, security, the golive review, and stage order.

A gate counts only when its failure fails the pipeline (:mod:`golive.testing._stages` and
:mod:`golive.testing._workflows_shell` decide that for each command).
"""

from __future__ import annotations

import re
import tomllib
from configparser import ConfigParser
from configparser import Error as ConfigError
from pathlib import Path

from golive.testing._stages import (
    _DEPLOY,
    _GOLIVE,
    STAGE_TITLES,
    Gate,
    GateFinding,
    Provider,
    Stage,
    StageFinding,
    _ignored,
    _lines,
    _step_text,
)
from golive.testing.base import Job, Pipeline, Step

_COV_FLAG = re.compile(r"--cov-fail-under[= ](\d+(?:\.\d+)?)|--fail-under[= ](\d+(?:\.\d+)?)")


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
