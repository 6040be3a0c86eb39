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

from golive.checks.base import CheckContext, CheckError, Params
from golive.results import Evidence, Measurement, Outcome, Status
from golive.testing._github import WORKFLOWS, GitHubActionsReader
from golive.testing._linters import SEVERITIES, LintRun, run_actionlint, run_zizmor
from golive.testing._stages import STAGE_TITLES, Gate, Stage, find_stages, judge_gates
from golive.testing.base import PipelineReader, TestingError

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


class PipelineCheck:
    """Stages found/missing with the job that provides each, enforced gates, workflow lint."""

    name: ClassVar[str] = "ci.pipeline"
    description: ClassVar[str] = (
        "CI/CD workflows: every stage present, gates enforced, zizmor/actionlint clean."
    )
    Params: ClassVar[type[PipelineParams]] = PipelineParams

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

        problems: list[str] = []
        lines: list[str] = [f"pipeline: {pipeline.system}, files {', '.join(pipeline.files)}", ""]
        for stage in Stage:
            finding = stages[stage]
            required = stage in params.stages
            mark = "found" if finding.found else ("MISSING" if required else "absent (optional)")
            lines.append(f"[{mark}] {STAGE_TITLES[stage]}")
            lines += [f"    provided by {p}" for p in finding.providers[:3]]
            lines += [f"    not enforced: {p}" for p in finding.unenforced[:3]]
            if required and not finding.found:
                if finding.unenforced:
                    why = finding.unenforced[0].note
                    problems.append(f"stage not enforced: {STAGE_TITLES[stage]} ({why})")
                else:
                    problems.append(f"missing stage: {STAGE_TITLES[stage]}")
        lines.append("")
        for gate in Gate:
            g = gates[gate]
            required = gate in params.gates
            lines.append(
                f"[{'enforced' if g.enforced else 'NOT ENFORCED'}] gate {gate.value}: {g.detail}"
            )
            if required and not g.enforced:
                problems.append(f"{gate.value} gate not enforced: {g.detail}")

        files = sorted((root / WORKFLOWS).glob("*.y*ml"))
        runs: list[LintRun] = []
        if params.zizmor:
            runs.append(await run_zizmor(ctx, root, files))
        if params.actionlint != "off":
            runs.append(await run_actionlint(ctx, root, files))
        threshold = SEVERITIES.index(params.zizmor_min_severity)
        counted = {"zizmor": 0, "actionlint": 0}
        lines.append("")
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
                or SEVERITIES.index(f.severity if f.severity in SEVERITIES else "unknown")
                >= threshold
            ]
            counted[run.tool] = len(relevant)
            lines.append(f"{run.tool}: {len(relevant)} findings ({run.command})")
            lines += [f"    {f}" for f in relevant[:20]]
            if relevant:
                rules = sorted({f.rule for f in relevant})
                problems.append(f"{run.tool}: {len(relevant)} findings ({', '.join(rules)})")

        found = sum(1 for s in params.stages if stages[s].found)
        measurements = [
            Measurement(name="stages", value=found, target=f"{len(params.stages)}"),
            Measurement(
                name="gates_enforced",
                value=sum(1 for g in params.gates if gates[g].enforced),
                target=f"{len(params.gates)}",
            ),
            Measurement(name="zizmor_findings", value=counted["zizmor"], target="0"),
        ]
        if any(r.tool == "actionlint" and not r.skipped for r in runs):
            measurements.append(
                Measurement(name="actionlint_findings", value=counted["actionlint"], target="0")
            )
        reproducer = (
            f"cd {shlex.quote(str(root))} && zizmor --offline {WORKFLOWS} "
            f"&& golive review --only {ctx.criterion_id}"
        )
        summary = (
            "; ".join(problems)
            if problems
            else f"all {found} stages found, {len(params.gates)} gates enforced, "
            "workflows lint clean"
        )
        return Outcome(
            status=Status.FAIL if problems else Status.PASS,
            summary=summary,
            measurements=tuple(measurements),
            evidence=Evidence(
                excerpt="\n".join(lines), artifacts=tuple(str(Path(f)) for f in files)
            ),
            reproducer=reproducer,
        )
