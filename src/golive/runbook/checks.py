"""The ``runbook`` check type: the production runbook exists, is complete and is tested.

It passes when the runbook has every required section with real content (no TBD, TODO
or example.com), every alert and dependency of the service has its entry, the commands
it gives for deploy and rollback are the ones the deploy configuration uses, and every
``{verify}`` step runs successfully against the environment under review.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import ClassVar

from golive.kit.check import CheckContext
from golive.kit.files import atomic_write
from golive.kit.outcomes import Findings
from golive.kit.text import excerpt
from golive.results import Evidence, Outcome, Status
from golive.runbook._crossref import check_alerts, check_dependencies, check_deploy_commands, command_lines
from golive.runbook._markdown import RunbookDocument, read_runbook
from golive.runbook._params import (
    DEFAULT_ALIASES,
    DEFAULT_PATH,
    DEFAULT_PLACEHOLDERS,
    REQUIRED_SECTIONS,
    RunbookParams,
)
from golive.runbook._steps import StepResult, reproducer, run_steps, show_block, step_variables, write_log
from golive.runbook.base import RunbookError

__all__ = [
    "DEFAULT_ALIASES",
    "DEFAULT_PATH",
    "DEFAULT_PLACEHOLDERS",
    "REQUIRED_SECTIONS",
    "RunbookCheck",
    "RunbookParams",
    "StepResult",
    "command_lines",
    "step_variables",
    "write_last_verified",
]

_VERIFIED_LINE = re.compile(r"(?im)^.*last[ _-]verified\W{0,3}\s*(\d{4}-\d{2}-\d{2}|never).*$")
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")


def write_last_verified(path: Path, line: str) -> None:
    """Put ``line`` in place of an existing 'Last verified' line, or below the title."""
    text = path.read_text(encoding="utf-8")
    if _VERIFIED_LINE.search(text):
        new = _VERIFIED_LINE.sub(lambda _m: line, text, count=1)
    else:
        lines = text.split("\n")
        at = next((i + 1 for i, s in enumerate(lines) if s.startswith("# ")), 0)
        lines[at:at] = ["", line] if at else [line, ""]
        new = "\n".join(lines)
    atomic_write(path, new, path.stat().st_mode & 0o777)


def _sections(doc: RunbookDocument, params: RunbookParams, shown: str) -> tuple[int, Findings]:
    """How many required sections are present with content, and the missing or empty ones."""
    found = Findings()
    present = 0
    for name in params.sections:
        sections = doc.find(REQUIRED_SECTIONS.get(name.lower(), re.escape(name)))
        if not sections:
            found.problem(f"{shown}: missing section {name!r}")
        elif not any(s.has_content for s in sections):
            first = sections[0]
            found.problem(f"{shown}:{first.heading.line}: section {first.heading.text!r} ({name}) is empty")
        else:
            present += 1
    return present, found


def _placeholders(doc: RunbookDocument, params: RunbookParams, shown: str) -> list[str]:
    """Every line outside code that still holds a blank, with where it is."""
    patterns = [re.compile(p) for p in params.placeholders]
    found: list[str] = []
    for n, line in doc.prose_lines():
        # Inline code quotes a word rather than leaving a blank (`TODO(team):` in a how-to).
        text = _INLINE_CODE.sub("", line)
        for pattern in patterns:
            m = pattern.search(text)
            if m:
                heading = doc.heading_at(n)
                where = f" in {heading.text!r}" if heading else ""
                found.append(f"{m.group(0)!r} at {shown}:{n}{where}: {line.strip()[:80]}")
                break
    return found


@dataclass(kw_only=True)
class _Review:
    """What one run of the check found, on its way to the outcome."""

    doc: RunbookDocument
    path: Path
    shown: str
    found: Findings
    blanks: list[str] = field(default_factory=list)
    present: int = 0
    cross: dict[str, int] = field(default_factory=dict)
    steps: list[StepResult] = field(default_factory=list)

    @property
    def runnable(self) -> list[StepResult]:
        """Steps that were meant to run (refused destructive ones are not)."""
        return [s for s in self.steps if s.status != "skipped"]

    @property
    def failing(self) -> StepResult | None:
        """The first failed step."""
        return next((s for s in self.steps if s.status == "failed"), None)

    @property
    def passed(self) -> int:
        """How many steps passed."""
        return sum(s.passed for s in self.steps)


class RunbookCheck:
    """The production runbook is complete, cross-referenced and its verify steps pass."""

    name: ClassVar[str] = "runbook"
    description: ClassVar[str] = (
        "Production runbook: required sections, no placeholders, alert/dependency/deploy "
        "cross-references, and {verify} steps that pass against the environment."
    )
    Params: ClassVar[type[RunbookParams]] = RunbookParams

    async def run(self, params: RunbookParams, ctx: CheckContext) -> Outcome:
        """Read the runbook, cross-check it and run its verify steps in order."""
        path = ctx.path(params.path)
        if not path.is_file():
            return Outcome(
                status=Status.FAIL,
                summary=f"expected a runbook at {params.path}; there is none "
                "(`golive init runbook` writes one from the spec)",
                reproducer=f"test -f {path}",
            )
        try:
            doc = read_runbook(path)
        except RunbookError as exc:
            return Outcome(status=Status.ERROR, summary=str(exc), reproducer=f"cat {path}")
        shown = params.path
        review = _Review(doc=doc, path=path, shown=shown, found=Findings())
        for problem in doc.problems:
            review.found.problem(f"{shown}: {problem}")
        _structure(review, params)
        for key, measured, (n, findings) in (
            ("alerts", "alerts_cross_checked", check_alerts(doc, params, ctx, shown)),
            ("dependencies", "dependencies_cross_checked", await check_dependencies(doc, params, ctx, shown)),
            ("commands", "deploy_commands_cross_checked", check_deploy_commands(doc, params, ctx, shown)),
        ):
            review.cross[key] = n
            review.found.extend(findings)
            review.found.measure(measured, n)
        if params.verify:
            review.steps = await run_steps(
                doc,
                ctx,
                shown=shown,
                step_timeout=params.step_timeout,
                stop_on_failure=params.stop_on_failure,
            )
        _judge_steps(review, params)
        return _outcome(review, params, ctx)


def _structure(review: _Review, params: RunbookParams) -> None:
    """Required sections and leftover blanks."""
    review.present, sections = _sections(review.doc, params, review.shown)
    review.found.extend(sections)
    review.found.measure("sections_present", review.present, target=f"{len(params.sections)}")
    blanks = review.blanks = _placeholders(review.doc, params, review.shown)
    if blanks:
        review.found.problem(
            f"{len(blanks)} placeholder(s) left, first {blanks[0]}"
            if len(blanks) > 1
            else f"placeholder left: {blanks[0]}"
        )
    review.found.measure("placeholders", len(blanks), target="0")


def _judge_steps(review: _Review, params: RunbookParams) -> None:
    """Step results as measurements, problems and notes."""
    found, shown, steps = review.found, review.shown, review.steps
    found.measure("verify_steps_passed", review.passed, target=f"{len(review.runnable)}")
    skipped = [s for s in steps if s.status == "skipped"]
    if skipped:
        found.measure("destructive_steps_refused", len(skipped))
        note = f"{len(skipped)} destructive step(s) not run: {skipped[0].reason}"
        (found.problem if params.require_destructive else found.note)(note)
    failing = review.failing
    if failing is not None:
        found.problems.insert(
            0, f"verify step at {shown}:{failing.block.line} ({failing.block.label}) failed: {failing.reason}"
        )
        not_run = sum(1 for s in steps if s.status == "not-run")
        if not_run:
            found.note(f"{not_run} later step(s) not run after the failure")
    if params.verify and not steps:
        found.note("the runbook has no {verify} steps, so it is not tested")


def _evidence(review: _Review, ctx: CheckContext) -> Evidence:
    """The failing step, problems, placeholders, notes and every step's status."""
    shown, found, parts = review.shown, review.found, []
    failing = review.failing
    if failing is not None:
        parts.append(
            f"Failing step at {shown}:{failing.block.line} (section {failing.block.section!r}):\n"
            f"{show_block(review.doc, failing.block)}\n"
            f"{failing.reason}\noutput:\n{failing.output.strip() or '(none)'}"
        )
    if found.problems:
        parts.append("Problems:\n" + "\n".join(f"- {p}" for p in found.problems))
    if len(review.blanks) > 1:
        parts.append("Placeholders:\n" + "\n".join(f"- {b}" for b in review.blanks))
    if found.notes:
        parts.append("Notes:\n" + "\n".join(f"- {n}" for n in found.notes))
    artifacts = [str(review.path)]
    if review.steps:
        parts.append(
            "Steps:\n"
            + "\n".join(
                f"- {s.status:8} {shown}:{s.block.line} {s.block.label}"
                + (f" ({s.reason})" if s.reason else "")
                for s in review.steps
            )
        )
        artifacts.append(str(write_log(ctx, review.doc, review.steps, shown)))
    return Evidence(excerpt=excerpt("\n\n".join(parts), limit=6000), artifacts=tuple(artifacts))


def _outcome(review: _Review, params: RunbookParams, ctx: CheckContext) -> Outcome:
    """Fail on any problem; pass when the steps ran (or were not asked for)."""
    found = review.found
    evidence = _evidence(review, ctx)
    failing = review.failing
    how = (
        reproducer(ctx, failing)
        if failing is not None
        else f"golive review {ctx.workdir} --env {ctx.environment_name} --only {ctx.criterion_id}"
    )
    tested = params.verify and bool(review.runnable) and failing is None
    today = date.today().isoformat()
    if tested and params.write_verified:
        write_last_verified(
            review.path,
            f"_Last verified: {today} by golive against {ctx.environment_name} "
            f"({review.passed} verify steps passed)._",
        )
    measurements = tuple(found.measurements)
    if found.problems:
        more = f" (+{len(found.problems) - 2} more)" if len(found.problems) > 2 else ""
        summary = "; ".join(found.problems[:2]) + more
        return Outcome(
            status=Status.FAIL, summary=summary, measurements=measurements, evidence=evidence, reproducer=how
        )
    if tested:
        summary = (
            f"runbook tested on {today}: {review.passed}/{len(review.runnable)} verify steps passed "
            f"against {ctx.environment_name}; {review.present} sections complete"
        )
    else:
        summary = f"{review.shown}: {review.present} sections complete, but no verify step ran (not tested)"
    cross = [
        f"{review.cross[key]} {what}"
        for key, what in (
            ("alerts", "alert anchors"),
            ("dependencies", "dependencies"),
            ("commands", "commands"),
        )
        if review.cross[key]
    ]
    if cross:
        summary += "; cross-checked " + ", ".join(cross)
    return Outcome(
        status=Status.PASS if tested or not params.verify else Status.FAIL,
        summary=summary,
        measurements=measurements,
        evidence=evidence,
        reproducer=how,
    )
