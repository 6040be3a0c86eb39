"""``compose.config``: a compose file as ``docker-compose config`` reads it, judged service by service.

Offline: ``config`` only reads and interpolates the file, no daemon is needed. When it refuses
the file, every error is located at ``file:line:col`` (docker-compose names keys such as
``services.web.ports``; golive finds them in the file). The normalised output is judged by
:mod:`golive.containers._compose_rules`; it holds interpolated values (secrets among them), so
it is parsed and never shown.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from golive.containers._compose_rules import judge_services
from golive.containers._docker import tool
from golive.containers._params import ComposeConfigParams
from golive.kit.check import CheckContext, CheckError
from golive.kit.outcomes import Findings, no_data
from golive.kit.text import excerpt, redact
from golive.results import Evidence, Outcome

_MARK = re.compile(r'in "(?P<file>[^"]+)", line (?P<line>\d+), column (?P<col>\d+)')
_KEY_PATH = re.compile(r"\bservices\.(?P<path>[\w.-]+)(?::\s*'(?P<option>[^']+)')?")
_IN_SERVICE = re.compile(r'in service "(?P<service>[^"]+)"')
_OPTION = re.compile(r'for "(?P<option>[\w-]+)" option')


def _load_located(path: Path) -> Any:
    """The file as ruamel's round-trip data (keys know their line), or None when unreadable."""
    try:
        return YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YAMLError):
        return None


def locate(data: Any, keys: list[str]) -> tuple[int, int]:
    """1-based (line, column) of the deepest of ``keys`` found in the file; (1, 1) when none is."""
    where = (1, 1)
    node = data
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            break
        try:
            line, col = node.lc.key(key)  # type: ignore[attr-defined]
        except (AttributeError, KeyError, TypeError):
            break
        where = (int(line) + 1, int(col) + 1)
        node = node[key]
    return where


def located_errors(stderr: str, display: str, data: Any) -> list[str]:
    """docker-compose's errors, each at ``file:line:col`` when golive can tell where."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    if mark := _MARK.search(stderr):
        said = " ".join(line for line in lines if not _MARK.search(line))
        return [f"{display}:{mark['line']}:{mark['col']}: {said}"]
    out: list[str] = []
    for line in lines:
        if line.startswith("The Compose file"):
            continue
        row, col = locate(data, _keys(line))
        out.append(f"{display}:{row}:{col}: {line}")
    return out


def _keys(line: str) -> list[str]:
    """The keys an error line is about (``services.web.ports`` → services, web, ports)."""
    if key := _KEY_PATH.search(line):
        return ["services", *key["path"].split("."), *([key["option"]] if key["option"] else [])]
    if service := _IN_SERVICE.search(line):
        option = _OPTION.search(line)
        return ["services", service["service"], *([option["option"]] if option else [])]
    return []


class ComposeConfigCheck:
    """A compose file validates; every service has a healthcheck, a pinned image, loopback ports."""

    #: Reads a file with a local tool: may run while a disruptive check runs.
    offline: ClassVar[bool] = True

    name: ClassVar[str] = "compose.config"
    description: ClassVar[str] = (
        "docker-compose config validates; every service has a healthcheck, a pinned image, no public port."
    )
    Params: ClassVar[type[ComposeConfigParams]] = ComposeConfigParams

    async def run(self, params: ComposeConfigParams, ctx: CheckContext) -> Outcome:
        """Run ``docker-compose config`` and judge what it printed."""
        path = ctx.path(params.file)
        if not path.is_file():
            return no_data(f"no compose file at {params.file}: point file at the service's compose file")
        argv = [tool("docker-compose"), "--ansi", "never", "-f", str(path)]
        if params.env_file:
            argv += ["--env-file", str(ctx.path(params.env_file))]
        env = {key: ctx.resolve(value) for key, value in params.env.items()}
        result = await ctx.run([*argv, "config"], env=env, cwd=path.parent)
        if result.timed_out:
            raise CheckError(f"`{result.command_line}` timed out")
        findings = Findings()
        if result.returncode != 0:
            for error in located_errors(redact(result.stderr), params.file, _load_located(path)):
                findings.problem(error)
            if not findings.problems:
                raise CheckError(f"`{result.command_line}` exited {result.returncode} without saying why")
            return findings.outcome(
                passed="", failed="docker-compose config refused the file", reproducer=result.command_line
            )
        return self._judge(params, path, result.stdout, result.command_line)

    def _judge(self, params: ComposeConfigParams, path: Path, text: str, reproducer: str) -> Outcome:
        try:
            config = YAML(typ="safe").load(text) or {}
        except YAMLError:
            raise CheckError("docker-compose config printed YAML golive cannot read") from None
        services = config.get("services") or {}
        if not services:
            return no_data(f"{params.file} declares no service")
        verdicts = judge_services(services)
        data = _load_located(path)
        findings = Findings()
        findings.measure("services", len(services))
        findings.measure("problems", len(verdicts.problems), target="0")
        for problem in verdicts.problems:
            row, col = locate(data, ["services", problem.service, problem.key])
            findings.problem(f"{params.file}:{row}:{col}: {problem.message}")
        notes = "\n".join(verdicts.notes)
        evidence = Evidence(excerpt=excerpt("\n".join([*findings.problems, notes]).strip()))
        return findings.outcome(
            passed=f"{len(services)} services validate, each with a healthcheck (or a one-shot job), "
            "a pinned image and no port beyond loopback"
            + (f"; {'; '.join(verdicts.notes)}" if notes else ""),
            failed=f"{len(verdicts.problems)} problem(s) in {len(services)} services",
            evidence=evidence,
            reproducer=reproducer,
        )
