"""What the monitoring check types share: the Prometheus tools, their output, one outcome shape."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from golive.kit.check import CheckContext, CheckError
from golive.kit.outcomes import Findings
from golive.kit.processes import ProcessResult, find_tool
from golive.kit.prometheus import PrometheusClient
from golive.kit.text import excerpt
from golive.results import Evidence, Outcome, Status

#: Problems named in a fail summary; the evidence lists all of them.
MAX_LISTED = 3

INSTALL_HINT = "Debian: apt-get install prometheus prometheus-alertmanager"


def tool(name: str) -> str:
    """The path of ``promtool``/``amtool``; CheckError with the install hint when missing."""
    path = find_tool(name)
    if path is None:
        raise CheckError(f"{name} is not installed ({INSTALL_HINT})")
    return path


def tool_output(result: ProcessResult) -> str:
    """Both streams of a tool run (promtool writes its findings to either)."""
    return (result.stdout + "\n" + result.stderr).strip()


def relative(path: Path, base: Path) -> str:
    """``path`` relative to ``base`` when it is inside it, for short messages."""
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)


def prometheus(ctx: CheckContext, check: str, *, timeout: float | None = None) -> PrometheusClient:
    """The environment's Prometheus (requests time out after the check's timeout by default)."""
    if not ctx.environment.prometheus_url:
        raise CheckError(f"{check} needs the environment's prometheus_url")
    url = ctx.resolve(ctx.environment.prometheus_url)
    return PrometheusClient(ctx.http, url, timeout if timeout is not None else ctx.timeout)


def findings_outcome(
    findings: Findings, *, passed: str, reproducer: str = "", extra_evidence: str = ""
) -> Outcome:
    """PASS with ``passed``, or FAIL naming the first problems (all of them in the evidence).

    The evidence keeps the tools' own output (``extra_evidence``) in both cases, which is
    why this is not :meth:`Findings.outcome`.
    """
    problems = findings.problems
    measurements = tuple(findings.measurements)
    if findings.notes:
        extra_evidence = "\n".join([*findings.notes, extra_evidence]).strip()
    if not problems:
        return Outcome(
            status=Status.PASS,
            summary=passed,
            measurements=measurements,
            evidence=Evidence(excerpt=excerpt(extra_evidence)),
            reproducer=reproducer,
        )
    shown = "; ".join(problems[:MAX_LISTED])
    if len(problems) > MAX_LISTED:
        shown += f" (and {len(problems) - MAX_LISTED} more)"
    listing = "\n".join(f"- {p}" for p in problems)
    return Outcome(
        status=Status.FAIL,
        summary=shown,
        measurements=measurements,
        evidence=Evidence(excerpt=excerpt(listing + "\n" + extra_evidence)),
        reproducer=reproducer,
    )


def tool_failed(what: str, result: ProcessResult, reproducer: str) -> Outcome:
    """The FAIL of a tool run (``promtool check config`` ...) that exited non-zero."""
    output = tool_output(result)
    return Outcome(
        status=Status.FAIL,
        summary=f"{what} failed: {first_error(output)}",
        evidence=Evidence(excerpt=excerpt(output)),
        reproducer=reproducer,
    )


def first_error(output: str) -> str:
    """The line of promtool/amtool output that says what is wrong."""
    for line in output.splitlines():
        _, marker, rest = line.partition("FAILED:")
        if marker and rest.strip():
            return rest.strip()
    for line in output.splitlines():
        if line.strip().startswith(("Checking ", "Unit Testing")):
            continue
        low = line.lower()
        if any(w in low for w in ("error", "failed", "could not", "parse", "invalid", "unknown")):
            text = line.strip().lstrip("- ").strip()
            if text and not text.endswith("FAILED:"):
                return text
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    return lines[-1] if lines else "no output"


def rule_test_failure(output: str) -> str:
    """What ``promtool test rules`` says failed (the lines after its FAILED marker)."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    for i, line in enumerate(lines):
        if "FAILED" in line and i + 1 < len(lines):
            return " ".join(lines[i + 1 : i + 3])[:300]
    return first_error(output)


def listing(items: Sequence[str], shown: int = 5) -> str:
    """``a, b, c (+4 more)``: the first ``shown`` items of a list for a summary."""
    more = f" (+{len(items) - shown} more)" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more


def spec_paths_problem(param: str, paths: Sequence[Path], base: Path, *, file: str = "") -> str:
    """The spec-level mistake (with its fix) when a path param names directories, else ``""``.

    A directory where files are expected says nothing about the service: it is no-data
    for the spec to fix, never a failing criterion. ``file``: the param takes one file
    (suggest ``param: dir/file``), else a list of globs.
    """
    folders = [p for p in paths if p.is_dir()]
    if not folders:
        return ""
    folder = folders[0]
    inside = sorted(relative(p, base) for p in folder.iterdir() if p.is_file())
    held = f" (it holds {listing(inside)})" if inside else " (it is empty)"
    shown = relative(folder, base)
    fix = f"`{param}: {shown}/{file}`" if file else f"`{param}: [{shown}/*.yml]`"
    return f"`{param}` names the directory {shown}, not {'a file' if file else 'files'}{held}: e.g. {fix}"
