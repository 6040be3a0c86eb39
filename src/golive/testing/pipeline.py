"""``ci.pipeline``: is the CI/CD pipeline complete, are its gates enforced, is it safe?

Reads the repository's workflows (GitHub Actions; the :class:`PipelineReader` protocol
leaves room for GitLab CI), maps jobs to the stages of a production pipeline, checks that
coverage, security and golive gates can actually fail the pipeline and that production
waits for them, then lints the workflows with zizmor (offline) and actionlint.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from golive.kit.check import CheckContext, CheckError, Inputs, Params
from golive.kit.outcomes import Findings
from golive.results import Evidence, Outcome, Status
from golive.testing._gates import judge_gates
from golive.testing._github import WORKFLOWS, GitHubActionsReader
from golive.testing._inputs import TREE_EXCLUDES
from golive.testing._linters import SEVERITIES, LintRun, run_actionlint, run_zizmor
from golive.testing._stages import (
    STAGE_TITLES,
    Gate,
    GateFinding,
    Stage,
    StageFinding,
    find_stages,
    placeholder_steps,
)
from golive.testing.base import Pipeline, PipelineReader, TestingError

#: Readers by system; GitLab CI would add ``"gitlab": GitLabCIReader()``.
READERS: dict[str, PipelineReader] = {"github": GitHubActionsReader()}


class PipelineParams(Params):
    """Params of the ``ci.pipeline`` check."""

    path: str = Field(default=".", description="Repository root, relative to the spec.")
    system: Literal["auto", "github"] = Field(default="auto", description="CI system.")
    stages: list[Stage] = Field(
        default_factory=lambda: list(Stage), description="Stages that must be present."
    )
    gates: list[Gate] = Field(
        default_factory=lambda: list(Gate),
        description="Gates that must be enforced: coverage, security, golive, order.",
    )
    min_coverage: float = Field(default=80.0, ge=0, le=100, description="Coverage fail-under, %.")
    zizmor: bool = Field(default=True, description="Lint workflows with zizmor --offline.")
    zizmor_min_severity: Literal["informational", "low", "medium", "high"] = Field(
        default="low", description="zizmor findings at or above this severity fail the check."
    )
    actionlint: Literal["auto", "require", "off"] = Field(
        default="auto", description="auto: run actionlint when it is installed."
    )


def _stage_report(params: PipelineParams, stages: dict[Stage, StageFinding], found: Findings) -> list[str]:
    """A line per stage with its providers.

    In a required stage every step that cannot fail the pipeline is a problem naming its
    ``file:line`` and the suppression, even when another step of the stage is enforced: a
    gate that is reported but not enforced lets a failure through. A required stage with no
    provider at all is missing.
    """
    lines = []
    for stage in Stage:
        finding = stages[stage]
        required = stage in params.stages
        mark = "found" if finding.found else ("MISSING" if required else "absent (optional)")
        if finding.unenforced and not finding.found:
            mark = "NOT ENFORCED" if required else "not enforced (optional)"
        elif finding.placeholders and not finding.found:
            mark = "PLACEHOLDER" if required else "placeholder (optional)"
        lines.append(f"[{mark}] {STAGE_TITLES[stage]}")
        lines += [f"    provided by {p}" for p in finding.providers[:3]]
        lines += [f"    not enforced: {p.gap}" for p in finding.unenforced]
        lines += [f"    placeholder (a gap, fails the pipeline): {p.gap}" for p in finding.placeholders]
        if not required:
            continue
        for p in finding.unenforced:
            found.problem(f"{STAGE_TITLES[stage]} not enforced: {p.gap}")
        for p in finding.placeholders:
            found.problem(f"{STAGE_TITLES[stage]} is a placeholder: {p.gap}")
        if not finding.found and not finding.unenforced and not finding.placeholders:
            found.problem(f"missing stage: {STAGE_TITLES[stage]}")
    return lines


def _gap_report(
    params: PipelineParams, pipeline: Pipeline, stages: dict[Stage, StageFinding], found: Findings
) -> list[str]:
    """Placeholder steps no required stage reported: each fails the pipeline until filled in."""
    named = {id(p.step) for s in params.stages for p in stages[s].placeholders}
    lines = []
    for p in placeholder_steps(pipeline):
        if id(p.step) not in named:
            lines.append(f"[PLACEHOLDER] {p.gap}")
            found.problem(f"placeholder step (fails the pipeline until filled in): {p.gap}")
    return lines + [""] if lines else []


def _gate_report(params: PipelineParams, gates: dict[Gate, GateFinding], found: Findings) -> list[str]:
    """A line per gate; required gates that are not enforced are problems."""
    lines = []
    for gate in Gate:
        g = gates[gate]
        lines.append(f"[{'enforced' if g.enforced else 'NOT ENFORCED'}] gate {gate.value}: {g.detail}")
        if gate in params.gates and not g.enforced:
            found.problem(f"{gate.value} gate not enforced: {g.detail}")
    return lines


async def _lint(params: PipelineParams, ctx: CheckContext, root: Path, files: list[Path]) -> list[LintRun]:
    runs: list[LintRun] = []
    if params.zizmor:
        runs.append(await run_zizmor(ctx, root, files))
    if params.actionlint != "off":
        runs.append(await run_actionlint(ctx, root, files))
    return runs


def _lint_report(
    params: PipelineParams, runs: list[LintRun], found: Findings
) -> tuple[list[str], dict[str, int]]:
    """A section per linter with its findings at or above the threshold; findings are problems."""
    threshold = SEVERITIES.index(params.zizmor_min_severity)
    counted = {"zizmor": 0, "actionlint": 0}
    lines: list[str] = []
    for run in runs:
        if run.skipped:
            lines.append(f"{run.tool}: skipped - {run.skipped}")
            if run.tool == "zizmor" or params.actionlint == "require":
                raise CheckError(f"{run.skipped}; cannot lint the workflows")
            continue
        if run.error:
            raise CheckError(f"{run.tool} failed: {run.error}")
        relevant = [
            f
            for f in run.findings
            if run.tool != "zizmor"
            or SEVERITIES.index(f.severity if f.severity in SEVERITIES else "unknown") >= threshold
        ]
        counted[run.tool] = len(relevant)
        lines.append(f"{run.tool}: {len(relevant)} findings ({run.command})")
        lines += [f"    {f}" for f in relevant[:20]]
        if relevant:
            found.problem(
                f"{run.tool}: {len(relevant)} findings ({', '.join(sorted({f.rule for f in relevant}))})"
            )
    return lines, counted


class PipelineCheck:
    """Stages found/missing with the job that provides each, enforced gates, workflow lint."""

    #: Runs golive-side CPU work (a scanner, a test suite): never alongside a performance measurement.
    cpu_heavy: ClassVar[bool] = True

    name: ClassVar[str] = "ci.pipeline"
    description: ClassVar[str] = (
        "CI/CD workflows: every stage present, gates enforced, zizmor/actionlint clean."
    )
    Params: ClassVar[type[PipelineParams]] = PipelineParams
    #: Reads the repository's files with pinned linters, never the running system: reusable.
    reusable: ClassVar[bool] = True

    def inputs(self, params: PipelineParams, ctx: CheckContext) -> Inputs:
        """Every file under the repository root (workflows, the scripts and configs they name)
        except golive's output and caches, and the linters.

        The whole tree rather than the files followed: a superset never misses an input.
        """
        root = ctx.path(params.path).resolve()
        return Inputs(paths=(str(root),), exclude=TREE_EXCLUDES, tools=("zizmor", "actionlint"))

    async def run(self, params: PipelineParams, ctx: CheckContext) -> Outcome:
        """Read, map, judge and lint the pipeline."""
        root = ctx.path(params.path).resolve()
        if params.system == "auto":
            reader = next((r for r in READERS.values() if r.detect(root)), None)
            if reader is None:
                return Outcome(
                    status=Status.FAIL,
                    summary=f"no CI/CD pipeline found under {root} (looked for {WORKFLOWS}/*.yml)",
                )
        else:
            reader = READERS[params.system]
        try:
            pipeline = reader.read(root)
        except TestingError as exc:
            raise CheckError(str(exc)) from exc
        stages = find_stages(pipeline)
        gates = judge_gates(pipeline, stages, root=root, min_coverage=params.min_coverage)
        found = Findings()
        lines = [f"pipeline: {pipeline.system}, files {', '.join(pipeline.files)}", ""]
        lines += _stage_report(params, stages, found) + [""]
        lines += _gap_report(params, pipeline, stages, found)
        lines += _gate_report(params, gates, found) + [""]
        files = sorted((root / WORKFLOWS).glob("*.y*ml"))
        runs = await _lint(params, ctx, root, files)
        lint_lines, counted = _lint_report(params, runs, found)
        lines += lint_lines
        stages_found = sum(1 for s in params.stages if stages[s].found)
        found.measure("stages", stages_found, target=f"{len(params.stages)}")
        found.measure(
            "gates_enforced", sum(1 for g in params.gates if gates[g].enforced), target=f"{len(params.gates)}"
        )
        found.measure("zizmor_findings", counted["zizmor"], target="0")
        if any(r.tool == "actionlint" and not r.skipped for r in runs):
            found.measure("actionlint_findings", counted["actionlint"], target="0")
        return found.outcome(
            passed=f"all {stages_found} stages found, {len(params.gates)} gates enforced, "
            "workflows lint clean",
            evidence=Evidence(excerpt="\n".join(lines), artifacts=tuple(str(f) for f in files)),
            reproducer=(
                f"cd {shlex.quote(str(root))} && zizmor --offline {WORKFLOWS} "
                f"&& golive review --only {ctx.criterion_id}"
            ),
            limit=len(found.problems),
        )
