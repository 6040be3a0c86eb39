"""The ``runbook`` check type: the production runbook exists, is complete and is tested.

It passes when the runbook has every required section with real content (no TBD, TODO
or example.com), every alert and dependency of the service has its entry, the commands
it gives for deploy and rollback are the ones the deploy configuration uses, and every
``{verify}`` step runs successfully against the environment under review.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import ClassVar
from urllib.parse import unquote, urlsplit

import httpx
from pydantic import Field, field_validator

from golive import _interpolate
from golive.checks._common import excerpt, redact
from golive.checks.base import Check, CheckContext, Params
from golive.results import Evidence, Measurement, Outcome, Status
from golive.runbook._files import atomic_write
from golive.runbook._markdown import CodeBlock, RunbookDocument, Section, read_runbook
from golive.runbook._sources import (
    AlertRule,
    DeployCommands,
    alert_rule_files,
    compose_dependencies,
    deploy_commands,
    expand,
    load_alert_rules,
    load_raw_spec,
    readyz_dependencies,
    spec_dependencies,
)
from golive.runbook.base import RunbookError

__all__ = [
    "CHECK_TYPES",
    "DEFAULT_ALIASES",
    "DEFAULT_PLACEHOLDERS",
    "PROTECTED_ENVIRONMENTS",
    "REQUIRED_SECTIONS",
    "RunbookCheck",
    "RunbookParams",
    "StepResult",
    "destructive_allowed",
    "step_variables",
    "write_last_verified",
]

DEFAULT_PATH = "docs/PRODUCTION_RUNBOOK.md"

REQUIRED_SECTIONS: dict[str, str] = {
    "deployment": r"\bdeploy",
    "rollback": r"\broll[ -]?back",
    "troubleshooting": r"\btroubleshoot",
    "common issues": r"\b(common|known) (issues|problems)",
    "error codes": r"\berror (codes?|responses)",
    "escalation": r"\bescalat",
    "emergency contacts": r"\bcontacts?\b|\bon[- ]call\b",
    "service dependencies": r"\bdependenc",
    "health checks": r"\bhealth",
    "incident response": r"\bincident",
    "data recovery": r"\b(data|disaster) recovery|\brestore\b|\bbackups?\b",
}
"""Section names the check knows, with the heading pattern each is found by."""

DEFAULT_PLACEHOLDERS: tuple[str, ...] = (
    r"\bTBD\b",
    r"\bTODO\b",
    r"\bFIXME\b",
    r"\bXXX\b",
    r"\?\?\?",
    r"\bexample\.(com|org|net)\b",
    r"\b555-01\d\d\b",
    r"(?i)\blorem ipsum\b",
    r"(?i)<(your|insert|fill)[^>]*>",
)
"""Text that marks a blank nobody filled in (looked for outside code blocks)."""

DEFAULT_ALIASES: tuple[tuple[str, ...], ...] = (
    ("database", "postgres", "postgresql", "db", "mysql", "sqlite"),
    ("events", "event", "outbox", "broker", "queue", "kafka", "nats", "rabbitmq"),
    ("redis", "cache", "valkey"),
)
"""Names that refer to the same dependency; a section may use any of them."""

PROTECTED_ENVIRONMENTS: tuple[str, ...] = ("production", "prod")
"""Environments where ``{destructive}`` steps never run, whatever the flags say."""

_COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
_VERIFIED_LINE = re.compile(r"(?im)^.*last[ _-]verified\W{0,3}\s*(\d{4}-\d{2}-\d{2}|never).*$")
_REF_NO_DEFAULT = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ASSIGNED = re.compile(r"(?m)(?:^|[;&|]\s*)(?:export\s+|local\s+|readonly\s+)?([A-Za-z_]\w*)=")
_LOOP_VAR = re.compile(r"\b(?:for|read)\s+(?:-r\s+)?([A-Za-z_]\w*)")


class RunbookParams(Params):
    """Params of the ``runbook`` check."""

    path: str = Field(default=DEFAULT_PATH, description="The runbook, relative to the spec.")
    sections: list[str] = Field(
        default_factory=lambda: list(REQUIRED_SECTIONS),
        description="Required sections: names from the known set "
        f"({', '.join(REQUIRED_SECTIONS)}) or literal heading text.",
    )
    placeholders: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PLACEHOLDERS),
        description="Regular expressions that mark unfilled blanks (outside code blocks).",
    )
    verify: bool = Field(default=True, description="Run the {verify} steps.")
    step_timeout: float = Field(default=30.0, gt=0, description="Default seconds per step.")
    stop_on_failure: bool = Field(
        default=True, description="Stop at the first failing step (later steps often need it)."
    )
    require_destructive: bool = Field(
        default=False,
        description="Fail when {destructive} steps could not run (flag off or production).",
    )
    protected_environments: list[str] = Field(
        default_factory=lambda: list(PROTECTED_ENVIRONMENTS),
        description="Environments where {destructive} steps never run.",
    )
    write_verified: bool = Field(
        default=False,
        description="When every step passes, write 'Last verified: DATE' into the runbook.",
    )
    alert_rules: list[str] | None = Field(
        default=None,
        description="Prometheus rule files (globs); default: those the monitoring criteria use.",
    )
    dependencies: list[str] = Field(
        default_factory=list, description="Dependencies that need a section, besides found ones."
    )
    dependency_aliases: dict[str, list[str]] = Field(
        default_factory=dict, description="Other names a dependency's section may use."
    )
    readyz_path: str | None = Field(
        default="/readyz",
        description="Readiness endpoint whose JSON details name dependencies; null to skip.",
    )
    compose_files: list[str] | None = Field(
        default=None, description="Compose files whose depends_on name dependencies."
    )
    deploy_files: list[str] = Field(
        default_factory=list,
        description="Deploy configuration files (scripts, workflows) besides the spec's deploy:.",
    )
    spec_file: str = Field(default="golive.yaml", description="The spec, read for cross-references.")

    @field_validator("placeholders")
    @classmethod
    def _valid_patterns(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None
        return value


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


def destructive_allowed(ctx: CheckContext, protected: Sequence[str] = PROTECTED_ENVIRONMENTS) -> str:
    """"" when destructive steps may run here, else the reason they may not."""
    if ctx.environment_name.lower() in {p.lower() for p in protected}:
        return f"never in {ctx.environment_name!r}"
    if not ctx.options.get("allow_destructive"):
        return "needs --allow-destructive"
    return ""


def step_variables(ctx: CheckContext) -> dict[str, str]:
    """The variables a step sees: process env < the environment's fields < its ``vars``."""
    env = ctx.environment

    def value(text: str | None) -> str | None:
        if text is None:
            return None
        try:
            return ctx.resolve(text)
        except _interpolate.MissingVariableError:
            return None

    base = (value(env.base_url) or env.base_url).rstrip("/")
    derived: dict[str, str | None] = {
        "GOLIVE_ENV": ctx.environment_name,
        "BASE_URL": base,
        "HEALTH_PATH": env.health_path,
        "HEALTH_URL": base + "/" + env.health_path.lstrip("/"),
        "OPENAPI_URL": base + "/" + env.openapi_path.lstrip("/"),
        "PROMETHEUS_URL": value(env.prometheus_url),
        "ALERTMANAGER_URL": value(env.alertmanager_url),
        "DATABASE_URL": value(env.database_url),
        "SPEC_DIR": str(ctx.workdir),
    }
    variables = dict(ctx.environ)
    variables.update({k: v.rstrip("/") if k.endswith("_URL") and k != "DATABASE_URL" else v
                      for k, v in derived.items() if v is not None})
    for name, raw in env.vars.items():
        resolved = value(raw)
        if resolved is not None:
            variables[name] = resolved
    return variables


def _missing_variables(code: str, variables: Mapping[str, str]) -> list[str]:
    local = set(_ASSIGNED.findall(code)) | set(_LOOP_VAR.findall(code))
    names = dict.fromkeys(_REF_NO_DEFAULT.findall(code))
    return [n for n in names if n not in variables and n not in local]


def _show_block(doc: RunbookDocument, block: CodeBlock) -> str:
    last = min(block.end_line, len(doc.lines))
    width = len(str(last))
    return "\n".join(
        f"{n:>{width}} | {doc.lines[n - 1]}" for n in range(block.line, last + 1)
    )


async def _run_step(
    block: CodeBlock, ctx: CheckContext, variables: Mapping[str, str], default_timeout: float
) -> StepResult:
    missing = _missing_variables(block.code, variables)
    if missing:
        return StepResult(
            block=block,
            status="failed",
            reason="variable(s) not set: " + ", ".join(missing)
            + " (define them in the environment's vars: or export them)",
        )
    if block.lang == "bash":
        argv = ["bash", "-c", "set -eo pipefail\n" + block.code]
    else:
        argv = ["/bin/sh", "-c", "set -e\n" + block.code]
    timeout = block.timeout or default_timeout
    result = await ctx.run(argv, cwd=ctx.workdir, env=dict(variables), timeout=timeout)
    output = result.stdout + ("\n" + result.stderr if result.stderr.strip() else "")

    def done(status: str, reason: str = "") -> StepResult:
        return StepResult(
            block=block,
            status=status,
            reason=reason,
            output=output,
            duration_s=result.duration_s,
            command_line=block.code,
        )

    if result.timed_out:
        return done("failed", f"did not finish within {timeout:g}s")
    if result.returncode != block.expect_exit:
        return done("failed", f"exit code {result.returncode}, expected {block.expect_exit}")
    if block.expect and not re.search(block.expect, output, re.MULTILINE):
        return done("failed", f"output does not match /{block.expect}/")
    position = 0
    for expected in block.expected_lines:
        found = output.find(expected, position)
        if found < 0:
            return done("failed", f"output lacks the expected line {expected!r} "
                f"(expected block at line {block.expected_line})")
        position = found + len(expected)
    return done("passed")


def _word_pattern(word: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])" + re.escape(word) + r"(s|es)?(?![\w-])", re.I)


def _aliases(name: str, extra: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    names = [name, *extra.get(name, ())]
    for group in DEFAULT_ALIASES:
        if name.lower() in group:
            names.extend(group)
    return tuple(dict.fromkeys(n.lower() for n in names))


def _canonical(name: str) -> str:
    for group in DEFAULT_ALIASES:
        if name.lower() in group:
            return group[0]
    return name.lower()


_PROMPT = re.compile(r"^\s*\$\s+")
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")


def command_lines(block: CodeBlock) -> list[str]:
    """The commands of a shell block: continuations joined, comments and prompts dropped."""
    lines: list[str] = []
    pending = ""
    for raw in block.code.splitlines():
        line = raw.rstrip()
        if block.lang == "console":
            if not _PROMPT.match(line) and not pending:
                continue
            line = _PROMPT.sub("", line)
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = (pending + line).strip()
        pending = ""
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


def _used_by(command: str, config: DeployCommands) -> bool:
    if re.match(r"^golive(\s|$)", command):
        return True  # golive runs the deploy configuration itself
    # Quoting differs between a script and a runbook; the words are what must match.
    command = re.sub(r"[\"']", "", command)
    text = re.sub(r"[\"']", "", config.text)
    parts = re.split(r"(\$\{?[A-Za-z_]\w*\}?|\s+)", command)
    regex = ""
    for part in parts:
        if not part:
            continue
        if part.isspace():
            regex += r"\s+"
        elif part.startswith("$"):
            regex += r"\S+?"
        else:
            regex += re.escape(part)
    return re.search(regex, text) is not None


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
        shown = params.path
        reproducer = f"golive review {ctx.workdir} --env {ctx.environment_name} --only {ctx.criterion_id}"
        if not path.is_file():
            return Outcome(
                status=Status.FAIL,
                summary=f"expected a runbook at {shown}; there is none "
                "(`golive init runbook` writes one from the spec)",
                reproducer=f"test -f {path}",
            )
        try:
            doc = read_runbook(path)
        except RunbookError as exc:
            return Outcome(status=Status.ERROR, summary=str(exc), reproducer=f"cat {path}")
        problems: list[str] = [f"{shown}: {p}" for p in doc.problems]
        notes: list[str] = []
        measurements: list[Measurement] = []

        present = self._sections(doc, params, problems, shown)
        measurements.append(
            Measurement(name="sections_present", value=present, target=f"{len(params.sections)}")
        )
        blanks = self._placeholders(doc, params, shown)
        if blanks:
            problems.append(
                f"{len(blanks)} placeholder(s) left, first {blanks[0]}"
                if len(blanks) > 1
                else f"placeholder left: {blanks[0]}"
            )
        measurements.append(Measurement(name="placeholders", value=len(blanks), target="0"))

        spec_path = ctx.path(params.spec_file)
        if not spec_path.is_file() and params.spec_file == "golive.yaml":
            spec_path = ctx.path("golive.yml")
        raw_spec = load_raw_spec(spec_path)
        alerts = self._alerts(doc, params, ctx, raw_spec, problems, notes, shown)
        measurements.append(Measurement(name="alerts_cross_checked", value=alerts))
        deps = await self._dependencies(doc, params, ctx, problems, notes, shown)
        measurements.append(Measurement(name="dependencies_cross_checked", value=deps))
        commands = self._deploy_commands(doc, params, ctx, raw_spec, problems, notes, shown)
        measurements.append(Measurement(name="deploy_commands_cross_checked", value=commands))

        steps: list[StepResult] = []
        if params.verify:
            steps = await self._steps(doc, params, ctx)
        runnable = [s for s in steps if s.status != "skipped"]
        passed = sum(s.passed for s in steps)
        skipped = [s for s in steps if s.status == "skipped"]
        failed = [s for s in steps if s.status == "failed"]
        measurements.append(
            Measurement(name="verify_steps_passed", value=passed, target=f"{len(runnable)}")
        )
        if skipped:
            measurements.append(Measurement(name="destructive_steps_refused", value=len(skipped)))
            why = skipped[0].reason
            note = (
                f"{len(skipped)} destructive step(s) not run ({why}), e.g. "
                f"{shown}:{skipped[0].block.line}"
            )
            (problems if params.require_destructive else notes).append(note)
        failing_step = failed[0] if failed else None
        if failing_step is not None:
            problems.insert(0, self._describe(failing_step, shown))
            not_run = sum(1 for s in steps if s.status == "not-run")
            if not_run:
                notes.append(f"{not_run} later step(s) not run after the failure")
        if params.verify and not steps:
            notes.append("the runbook has no {verify} steps, so it is not tested")

        artifacts = [str(path)]
        if steps:
            artifacts.append(str(self._write_log(ctx, doc, steps, shown)))
        tested = params.verify and bool(runnable) and not failed
        today = date.today().isoformat()
        if tested and params.write_verified:
            write_last_verified(
                path,
                f"_Last verified: {today} by golive against {ctx.environment_name} "
                f"({passed} verify steps passed)._",
            )
        evidence_parts: list[str] = []
        if failing_step is not None:
            evidence_parts.append(
                f"Failing step at {shown}:{failing_step.block.line} "
                f"(section {failing_step.block.section!r}):\n"
                f"{_show_block(doc, failing_step.block)}\n"
                f"{failing_step.reason}\noutput:\n{failing_step.output.strip() or '(none)'}"
            )
        if problems:
            evidence_parts.append("Problems:\n" + "\n".join(f"- {p}" for p in problems))
        if len(blanks) > 1:
            evidence_parts.append("Placeholders:\n" + "\n".join(f"- {b}" for b in blanks))
        if notes:
            evidence_parts.append("Notes:\n" + "\n".join(f"- {n}" for n in notes))
        if steps:
            evidence_parts.append(
                "Steps:\n"
                + "\n".join(
                    f"- {s.status:8} {shown}:{s.block.line} {s.block.label}"
                    + (f" ({s.reason})" if s.reason else "")
                    for s in steps
                )
            )
        evidence = Evidence(
            excerpt=excerpt("\n\n".join(evidence_parts), limit=6000), artifacts=tuple(artifacts)
        )
        if failing_step is not None:
            code = failing_step.block.code
            used = {
                k: v
                for k, v in step_variables(ctx).items()
                if re.search(r"\$\{?" + re.escape(k) + r"\b", code)
            }
            env_prefix = " ".join(f"{k}={shlex.quote(v)}" for k, v in used.items())
            reproducer = redact(f"cd {ctx.workdir} && {env_prefix} sh -c {shlex.quote(code)}")
        if problems:
            more = f" (+{len(problems) - 2} more)" if len(problems) > 2 else ""
            return Outcome(
                status=Status.FAIL,
                summary="; ".join(problems[:2]) + more,
                measurements=tuple(measurements),
                evidence=evidence,
                reproducer=reproducer,
            )
        if tested:
            summary = (
                f"runbook tested on {today}: {passed}/{len(runnable)} verify steps passed "
                f"against {ctx.environment_name}; {present} sections complete"
            )
        else:
            summary = f"{shown}: {present} sections complete, but no verify step ran (not tested)"
        cross = [
            f"{n} {what}"
            for n, what in ((alerts, "alert anchors"), (deps, "dependencies"), (commands, "commands"))
            if n
        ]
        if cross:
            summary += "; cross-checked " + ", ".join(cross)
        return Outcome(
            status=Status.PASS if tested or not params.verify else Status.FAIL,
            summary=summary,
            measurements=tuple(measurements),
            evidence=evidence,
            reproducer=reproducer,
        )

    # -- structure ------------------------------------------------------------------------

    @staticmethod
    def _sections(
        doc: RunbookDocument, params: RunbookParams, problems: list[str], shown: str
    ) -> int:
        present = 0
        for name in params.sections:
            pattern = REQUIRED_SECTIONS.get(name.lower(), re.escape(name))
            found = doc.find(pattern)
            if not found:
                problems.append(f"{shown}: missing section {name!r}")
                continue
            if not any(s.has_content for s in found):
                first = found[0]
                problems.append(
                    f"{shown}:{first.heading.line}: section {first.heading.text!r} ({name}) is empty"
                )
                continue
            present += 1
        return present

    @staticmethod
    def _placeholders(doc: RunbookDocument, params: RunbookParams, shown: str) -> list[str]:
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

    # -- cross-references -----------------------------------------------------------------

    @staticmethod
    def _alerts(
        doc: RunbookDocument,
        params: RunbookParams,
        ctx: CheckContext,
        raw_spec: Mapping[str, object],
        problems: list[str],
        notes: list[str],
        shown: str,
    ) -> int:
        if params.alert_rules is not None:
            files = expand(params.alert_rules, ctx.workdir)
            if not files:
                problems.append(f"no alert rule file matches {params.alert_rules}")
        else:
            files = alert_rule_files(raw_spec, ctx.workdir)
        rules, read_problems = load_alert_rules(files)
        problems.extend(read_problems)
        checked = 0
        for rule in rules:
            checked += _check_alert(rule, doc, ctx.workdir, problems, notes, shown)
        if not files:
            notes.append("no alert rule files found: alert anchors not cross-checked")
        return checked

    async def _dependencies(
        self,
        doc: RunbookDocument,
        params: RunbookParams,
        ctx: CheckContext,
        problems: list[str],
        notes: list[str],
        shown: str,
    ) -> int:
        found: dict[str, str] = {}
        for dep in params.dependencies:
            found.setdefault(_canonical(dep), "golive.yaml params")
        for dep in spec_dependencies(ctx.environment):
            found.setdefault(_canonical(dep), "environment database_url")
        compose = (
            expand(params.compose_files, ctx.workdir)
            if params.compose_files is not None
            else [ctx.workdir / n for n in _COMPOSE_FILES if (ctx.workdir / n).is_file()]
        )
        for dep in compose_dependencies(compose):
            found.setdefault(_canonical(dep), "compose depends_on")
        if params.readyz_path:
            url = ctx.url(params.readyz_path)
            try:
                response = await ctx.http.get(url, timeout=min(ctx.timeout, 10.0))
                payload = response.json()
            except (httpx.HTTPError, json.JSONDecodeError, ValueError) as exc:
                notes.append(f"no dependency details from {url}: {type(exc).__name__}")
            else:
                names = readyz_dependencies(payload)
                if not names:
                    notes.append(f"{url} (HTTP {response.status_code}) names no dependencies")
                for dep in names:
                    found.setdefault(_canonical(dep), params.readyz_path)
        dep_sections = doc.find(REQUIRED_SECTIONS["service dependencies"])
        ranges = [(s.heading.line, s.end) for s in dep_sections]
        for dep, source in found.items():
            aliases = _aliases(dep, params.dependency_aliases)
            patterns = [_word_pattern(a) for a in aliases]
            matches = [
                doc.section(h)
                for h in doc.headings
                if any(p.search(h.text) for p in patterns)
                and not re.search(REQUIRED_SECTIONS["service dependencies"], h.text, re.I)
            ]
            matches.sort(key=lambda s: not any(a <= s.heading.line <= b for a, b in ranges))
            if not matches:
                problems.append(
                    f"{shown}: dependency {dep!r} (from {source}) has no section "
                    "with its health check and restart procedure"
                )
                continue
            good = [s for s in matches if _has_procedures(s)]
            if not good:
                s = matches[0]
                lacks = [w for w in ("health", "restart") if not re.search(w, s.body, re.I)]
                problems.append(
                    f"{shown}:{s.heading.line}: dependency section {s.heading.text!r} lacks "
                    + " and ".join(
                        "a health check" if w == "health" else "a restart procedure" for w in lacks
                    )
                )
        return len(found)

    @staticmethod
    def _deploy_commands(
        doc: RunbookDocument,
        params: RunbookParams,
        ctx: CheckContext,
        raw_spec: Mapping[str, object],
        problems: list[str],
        notes: list[str],
        shown: str,
    ) -> int:
        config = deploy_commands(
            raw_spec, expand(params.deploy_files, ctx.workdir), spec_dir=ctx.path(params.spec_file).parent
        )
        if config is None:
            notes.append("no deploy configuration (deploy: in golive.yaml or deploy.yaml, or deploy_files): "
                         "deploy/rollback commands not cross-checked")
            return 0
        checked = 0
        seen: set[int] = set()
        for key in ("deployment", "rollback"):
            for section in doc.find(REQUIRED_SECTIONS[key]):
                for block in _blocks_in(doc, section):
                    if block.runnable or not block.is_shell or block.line in seen:
                        continue
                    seen.add(block.line)
                    for command in command_lines(block):
                        checked += 1
                        if not _used_by(command, config):
                            problems.append(
                                f"{shown}:{block.line}: {key} command {command!r} is not used by "
                                f"the deploy configuration ({config.source})"
                            )
        return checked

    # -- steps ----------------------------------------------------------------------------

    @staticmethod
    async def _steps(
        doc: RunbookDocument, params: RunbookParams, ctx: CheckContext
    ) -> list[StepResult]:
        variables = step_variables(ctx)
        refusal = destructive_allowed(ctx, params.protected_environments)
        results: list[StepResult] = []
        stopped = False
        for block in (b for b in doc.blocks if b.runnable and b.is_shell):
            if block.destructive and refusal:
                results.append(StepResult(block=block, status="skipped", reason=refusal))
                continue
            if stopped:
                results.append(StepResult(block=block, status="not-run"))
                continue
            ctx.logger.info("runbook step %s:%d %s", doc.path.name, block.line, block.label)
            result = await _run_step(block, ctx, variables, params.step_timeout)
            results.append(result)
            if not result.passed and params.stop_on_failure:
                stopped = True
        return results

    @staticmethod
    def _describe(step: StepResult, shown: str) -> str:
        return (
            f"verify step at {shown}:{step.block.line} ({step.block.label}) failed: {step.reason}"
        )

    @staticmethod
    def _write_log(
        ctx: CheckContext, doc: RunbookDocument, steps: Sequence[StepResult], shown: str
    ) -> Path:
        ctx.artifacts_dir.mkdir(parents=True, exist_ok=True)
        log = ctx.artifacts_dir / "runbook-steps.log"
        parts = []
        for s in steps:
            parts.append(
                f"== {s.status.upper()} {shown}:{s.block.line} {s.block.label}"
                f" ({s.duration_s:.2f}s){' - ' + s.reason if s.reason else ''}\n"
                f"{_show_block(doc, s.block)}\n{s.output.rstrip()}\n"
            )
        log.write_text(redact("\n".join(parts)), encoding="utf-8")
        return log


def _has_procedures(section: Section) -> bool:
    return bool(re.search(r"health", section.body, re.I)) and bool(
        re.search(r"restart", section.body, re.I)
    )


def _blocks_in(doc: RunbookDocument, section: Section) -> list[CodeBlock]:
    return [b for b in doc.blocks if section.start <= b.line <= section.end]


def _other_document(rule: AlertRule, url_path: str, workdir: Path) -> RunbookDocument | None:
    """The local document a relative runbook_url points at, if it can be found."""
    rules_dir = Path(rule.file).parent
    for base in (rules_dir, rules_dir.parent, workdir):
        candidate = base / url_path
        if candidate.is_file():
            try:
                return read_runbook(candidate)
            except RunbookError:
                return None
    return None


def _check_alert(
    rule: AlertRule,
    doc: RunbookDocument,
    workdir: Path,
    problems: list[str],
    notes: list[str],
    shown: str,
) -> int:
    where = f"alert {rule.name} ({Path(rule.file).name})"
    if not rule.runbook_url:
        pattern = _word_pattern(rule.name)
        if any(pattern.search(h.text) for h in doc.headings):
            return 1
        problems.append(f"{where} has no runbook_url and no section named after it in {shown}")
        return 1
    parts = urlsplit(rule.runbook_url)
    path = unquote(parts.path)
    target = path.rstrip("/").rsplit("/", 1)[-1].lower()
    target_doc, target_shown = doc, shown
    if target and target != doc.path.name.lower():
        # Another document (e.g. the monitoring family's alert playbook): judged when it is
        # a local file, only noted when it is somewhere else.
        other = None if parts.scheme or parts.netloc else _other_document(rule, path, workdir)
        if other is None:
            notes.append(f"{where}: runbook_url points at another document ({rule.runbook_url})")
            return 0
        target_doc = other
        target_shown = (
            str(other.path.relative_to(workdir))
            if other.path.is_relative_to(workdir)
            else str(other.path)
        )
    anchor = unquote(parts.fragment)
    if not anchor:
        problems.append(f"{where}: runbook_url {rule.runbook_url} has no #anchor")
    elif anchor not in target_doc.anchors and anchor.lower() not in target_doc.anchors:
        problems.append(f"{where}: runbook_url anchor #{anchor} does not exist in {target_shown}")
    return 1


CHECK_TYPES: list[type[Check]] = [RunbookCheck]
"""The check types this family registers."""
