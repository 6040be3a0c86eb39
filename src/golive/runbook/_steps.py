"""Running a runbook's ``{verify}`` and ``{destructive}`` steps against an environment.

Steps run in document order, each in its own process group with ``set -e``, and see the
variables :func:`step_variables` gives them: the same ``${VAR}`` resolution a review, a
deploy and ``init`` use (:class:`~golive.kit.environment.Variables`), plus the environment's
own settings under well-known names. A ``{destructive}`` step runs only where the one
destructive policy allows it (:meth:`~golive.kit.check.CheckContext.destructive_refusal`).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from golive.kit.check import CheckContext
from golive.kit.environment import MissingVariableError
from golive.kit.text import redact
from golive.runbook._markdown import CodeBlock, RunbookDocument

__all__ = [
    "StepResult",
    "reproducer",
    "run_steps",
    "show_block",
    "step_variables",
    "write_log",
]

_REF_NO_DEFAULT = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ASSIGNED = re.compile(r"(?m)(?:^|[;&|]\s*)(?:export\s+|local\s+|readonly\s+)?([A-Za-z_]\w*)=")
_LOOP_VAR = re.compile(r"\b(?:for|read)\s+(?:-r\s+)?([A-Za-z_]\w*)")


@dataclass(frozen=True, kw_only=True)
class StepResult:
    """What happened to one runnable block."""

    block: CodeBlock
    status: str
    """``passed``, ``failed``, ``skipped`` (destructive, refused) or ``not-run``."""
    reason: str = ""
    output: str = ""
    duration_s: float = 0.0
    command_line: str = ""

    @property
    def passed(self) -> bool:
        """True for a passed step."""
        return self.status == "passed"


def _environment_fields(ctx: CheckContext) -> dict[str, str]:
    """The environment's settings under the names the steps read (unresolvable ones left out)."""
    env = ctx.environment

    def value(text: str | None) -> str | None:
        if text is None:
            return None
        try:
            return ctx.resolve(text)
        except MissingVariableError:
            return None

    # Without base_url a step that reads $BASE_URL fails on the unset variable, as it should.
    base = (value(env.base_url) or env.base_url or "").rstrip("/") or None
    fields: dict[str, str | None] = {
        "GOLIVE_ENV": ctx.environment_name,
        "BASE_URL": base,
        "HEALTH_PATH": env.health_path,
        "HEALTH_URL": base and base + "/" + env.health_path.lstrip("/"),
        "OPENAPI_URL": base and base + "/" + env.openapi_path.lstrip("/"),
        "PROMETHEUS_URL": value(env.prometheus_url),
        "ALERTMANAGER_URL": value(env.alertmanager_url),
        "DATABASE_URL": value(env.database_url),
        "SPEC_DIR": str(ctx.workdir),
    }
    return {
        k: v.rstrip("/") if k.endswith("_URL") and k != "DATABASE_URL" else v
        for k, v in fields.items()
        if v is not None
    }


def step_variables(ctx: CheckContext) -> dict[str, str]:
    """The variables a step sees: process env < the environment's fields < its ``vars``.

    A var is resolved exactly as :meth:`CheckContext.resolve` resolves ``${NAME}``; a var
    that references an unset variable is left out, so that a step using it fails with
    "variable not set" instead of the whole check erroring.
    """
    variables = ctx.variables
    result = dict(variables.environ)
    result.update(_environment_fields(ctx))
    lookup = variables.lookup
    for name in variables.vars:
        try:
            result[name] = lookup[name]
        except MissingVariableError:
            continue
    return result


def _missing_variables(code: str, variables: Mapping[str, str]) -> list[str]:
    local = set(_ASSIGNED.findall(code)) | set(_LOOP_VAR.findall(code))
    names = dict.fromkeys(_REF_NO_DEFAULT.findall(code))
    return [n for n in names if n not in variables and n not in local]


def show_block(doc: RunbookDocument, block: CodeBlock) -> str:
    """The block's Markdown lines, numbered as in the document."""
    last = min(block.end_line, len(doc.lines))
    width = len(str(last))
    return "\n".join(f"{n:>{width}} | {doc.lines[n - 1]}" for n in range(block.line, last + 1))


def _judge_output(block: CodeBlock, output: str) -> str:
    """Why the output does not satisfy the block's expectations ("" when it does)."""
    if block.expect and not re.search(block.expect, output, re.MULTILINE):
        return f"output does not match /{block.expect}/"
    position = 0
    for expected in block.expected_lines:
        found = output.find(expected, position)
        if found < 0:
            return (
                f"output lacks the expected line {expected!r} (expected block at line {block.expected_line})"
            )
        position = found + len(expected)
    return ""


async def _run_step(
    block: CodeBlock, ctx: CheckContext, variables: Mapping[str, str], default_timeout: float
) -> StepResult:
    missing = _missing_variables(block.code, variables)
    if missing:
        return StepResult(
            block=block,
            status="failed",
            reason="variable(s) not set: "
            + ", ".join(missing)
            + " (define them in the environment's vars: or export them)",
        )
    if block.lang == "bash":
        argv = ["bash", "-c", "set -eo pipefail\n" + block.code]
    else:
        argv = ["/bin/sh", "-c", "set -e\n" + block.code]
    timeout = block.timeout or default_timeout
    result = await ctx.run(argv, cwd=ctx.workdir, env=dict(variables), timeout=timeout)
    output = result.stdout + ("\n" + result.stderr if result.stderr.strip() else "")
    if result.timed_out:
        reason = f"did not finish within {timeout:g}s"
    elif result.returncode != block.expect_exit:
        reason = f"exit code {result.returncode}, expected {block.expect_exit}"
    else:
        reason = _judge_output(block, output)
    return StepResult(
        block=block,
        status="failed" if reason else "passed",
        reason=reason,
        output=output,
        duration_s=result.duration_s,
        command_line=block.code,
    )


async def run_steps(
    doc: RunbookDocument,
    ctx: CheckContext,
    *,
    shown: str,
    step_timeout: float,
    stop_on_failure: bool,
) -> list[StepResult]:
    """Run every runnable shell block in order; refused destructive steps are skipped."""
    variables = step_variables(ctx)
    results: list[StepResult] = []
    stopped = False
    for block in (b for b in doc.blocks if b.runnable and b.is_shell):
        refusal = (
            ctx.destructive_refusal(f"destructive step {shown}:{block.line} ({block.label})")
            if block.destructive
            else ""
        )
        if refusal:
            results.append(StepResult(block=block, status="skipped", reason=refusal))
            continue
        if stopped:
            results.append(StepResult(block=block, status="not-run"))
            continue
        ctx.logger.info("runbook step %s:%d %s", doc.path.name, block.line, block.label)
        result = await _run_step(block, ctx, variables, step_timeout)
        results.append(result)
        if not result.passed and stop_on_failure:
            stopped = True
    return results


def write_log(ctx: CheckContext, doc: RunbookDocument, steps: Sequence[StepResult], shown: str) -> Path:
    """Every step with its block and output, redacted, in the criterion's artifacts."""
    ctx.artifacts_dir.mkdir(parents=True, exist_ok=True)
    log = ctx.artifacts_dir / "runbook-steps.log"
    parts = [
        f"== {s.status.upper()} {shown}:{s.block.line} {s.block.label}"
        f" ({s.duration_s:.2f}s){' - ' + s.reason if s.reason else ''}\n"
        f"{show_block(doc, s.block)}\n{s.output.rstrip()}\n"
        for s in steps
    ]
    log.write_text(redact("\n".join(parts)), encoding="utf-8")
    return log


def reproducer(ctx: CheckContext, step: StepResult) -> str:
    """The step as a shell command with the variables it uses (secrets redacted)."""
    code = step.block.code
    used = {k: v for k, v in step_variables(ctx).items() if re.search(r"\$\{?" + re.escape(k) + r"\b", code)}
    env_prefix = " ".join(f"{k}={shlex.quote(v)}" for k, v in used.items())
    return redact(f"cd {ctx.workdir} && {env_prefix} sh -c {shlex.quote(code)}")
