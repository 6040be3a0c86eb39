"""``command`` check: run a command and judge its exit code and output."""

from __future__ import annotations

import re
from typing import ClassVar

from pydantic import Field, model_validator

from golive.kit.check import CheckContext, Params
from golive.kit.text import excerpt, redact
from golive.results import Evidence, Measurement, Outcome, Status


class CommandParams(Params):
    """Params of the ``command`` check."""

    command: list[str] | str = Field(description="An argv list; a string only together with shell: true.")
    shell: bool = Field(default=False, description="Run the string through /bin/sh -c.")
    expect_exit: int = Field(default=0, description="Expected exit code.")
    expect_output: str | None = Field(
        default=None, description="Regular expression stdout or stderr must match."
    )
    reject_output: str | None = Field(
        default=None, description="Regular expression that must NOT appear in the output."
    )
    env: dict[str, str] = Field(default_factory=dict, description="Extra environment; ${VAR} allowed.")
    cwd: str | None = Field(default=None, description="Working directory, relative to the spec.")

    @model_validator(mode="after")
    def _shell_needs_string(self) -> CommandParams:
        if isinstance(self.command, str) and not self.shell:
            raise ValueError("a string command runs through a shell: set shell: true or write an argv list")
        if isinstance(self.command, list) and not self.command:
            raise ValueError("command must not be empty")
        for pattern in (self.expect_output, self.reject_output):
            if pattern is not None:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None
        return self


class CommandCheck:
    """Run a command; pass on the expected exit code and output."""

    name: ClassVar[str] = "command"
    description: ClassVar[str] = "Run a command (argv, or shell: true) and check exit code and output."
    Params: ClassVar[type[CommandParams]] = CommandParams

    async def run(self, params: CommandParams, ctx: CheckContext) -> Outcome:
        """Run the command in its own process group under the criterion's timeout."""
        command: str | list[str]
        if isinstance(params.command, str):
            command = ctx.resolve(params.command)
        else:
            command = [ctx.resolve(a) for a in params.command]
        env = {k: ctx.resolve(v) for k, v in params.env.items()}
        cwd = ctx.path(params.cwd) if params.cwd else ctx.workdir
        result = await ctx.run(command, shell=params.shell, cwd=cwd, env=env, timeout=ctx.timeout)
        output = result.stdout + ("\n" + result.stderr if result.stderr else "")
        reproducer = redact(f"cd {cwd} && {result.command_line}")
        measurements = (Measurement(name="duration", value=round(result.duration_s, 3), unit="s"),)
        evidence = Evidence(excerpt=excerpt(output))
        if result.timed_out:
            return Outcome(
                status=Status.ERROR,
                summary=f"timed out after {ctx.timeout:g}s; the command and every process it started "
                "were killed (output so far in the evidence)",
                measurements=measurements,
                evidence=evidence,
                reproducer=reproducer,
            )
        problems = []
        if result.returncode != params.expect_exit:
            problems.append(f"exit code {result.returncode}, expected {params.expect_exit}")
        if params.expect_output and not re.search(params.expect_output, output, re.MULTILINE):
            problems.append(f"output does not match /{params.expect_output}/")
        if params.reject_output and re.search(params.reject_output, output, re.MULTILINE):
            problems.append(f"output matches rejected /{params.reject_output}/")
        if problems:
            return Outcome(
                status=Status.FAIL,
                summary="; ".join(problems),
                measurements=measurements,
                evidence=evidence,
                reproducer=reproducer,
            )
        return Outcome(
            status=Status.PASS,
            summary=f"exit code {result.returncode} as expected"
            + (f", output matches /{params.expect_output}/" if params.expect_output else ""),
            measurements=measurements,
            evidence=evidence,
            reproducer=reproducer,
        )
