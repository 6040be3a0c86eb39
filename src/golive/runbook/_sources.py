"""What a runbook is cross-checked against: alert rules, dependencies, deploy commands.

Everything golive.yaml says comes from the loaded, validated :class:`~golive.spec.Spec`:
the monitoring criteria (``spec.criteria``) name the alert rule files, the ``deploy:``
section (``spec.deploy``, or the deploy family's ``deploy.yaml`` beside the spec) gives the
deploy and rollback commands. Other files (rule files, compose files, deploy scripts) are
read as plain YAML or text, and every reader tolerates their absence.
"""

from __future__ import annotations

import glob
import re
import shlex
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from golive.errors import SpecError
from golive.kit.processes import CommandLine
from golive.spec import DEPLOY_FILENAME, deploy_config_path, load_deploy_config
from golive.spec.deploy import (
    CommandDriverConfig,
    DeployConfig,
    KubernetesDriverConfig,
    LocalDriverConfig,
)
from golive.spec.models import Environment, Spec

__all__ = [
    "AlertRule",
    "DeployCommands",
    "alert_rule_files",
    "compose_dependencies",
    "deploy_commands",
    "expand",
    "load_alert_rules",
    "load_yaml",
    "readyz_dependencies",
    "spec_dependencies",
]

_RULE_FILE = re.compile(r"\.(ya?ml|rules)$", re.I)
_COMMAND_KEYS = frozenset(
    {"command", "commands", "cmd", "run", "script", "exec", "argv", "deploy", "rollback", "status"}
)


@dataclass(frozen=True, kw_only=True)
class AlertRule:
    """A Prometheus alerting rule as far as the runbook cares."""

    name: str
    file: str
    expr: str
    duration: str = ""
    severity: str = ""
    summary: str = ""
    description: str = ""
    runbook_url: str = ""

    @property
    def anchor(self) -> str:
        """The fragment of ``runbook_url`` ("" when there is none)."""
        return self.runbook_url.partition("#")[2]


@dataclass(frozen=True, kw_only=True)
class DeployCommands:
    """Commands found in a deploy configuration."""

    source: str
    deploy: tuple[str, ...] = ()
    rollback: tuple[str, ...] = ()
    text: str = ""
    """Every string of the configuration, for "is this command used" searches."""


def load_yaml(path: Path) -> Any:
    """A YAML file's data, or None when it is missing or unreadable."""
    try:
        with path.open(encoding="utf-8") as fh:
            return YAML(typ="safe", pure=True).load(fh)
    except (OSError, UnicodeDecodeError, YAMLError):
        return None


def expand(patterns: Sequence[str], root: Path) -> list[Path]:
    """Files matching glob patterns relative to ``root`` (absolute patterns as given)."""
    found: dict[Path, None] = {}
    for pattern in patterns:
        full = pattern if Path(pattern).is_absolute() else str(root / pattern)
        for name in sorted(glob.glob(full, recursive=True)):
            p = Path(name)
            if p.is_file():
                found[p] = None
    return list(found)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, BaseModel):
        yield from _strings(value.model_dump(mode="json", exclude_defaults=True))
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


def _is_monitoring(area: str, check_type: str) -> bool:
    return area == "monitoring" or any(w in check_type for w in ("prometheus", "alert", "monitoring"))


def alert_rule_files(spec: Spec | None, root: Path) -> list[Path]:
    """Prometheus rule files the spec's monitoring criteria point at."""
    patterns: list[str] = []
    for criterion in spec.criteria if spec is not None else ():
        if not _is_monitoring(criterion.area, criterion.check.type):
            continue
        patterns.extend(
            s
            for s in _strings(criterion.check.params)
            if _RULE_FILE.search(s) and "://" not in s and "\n" not in s
        )
    return [f for f in expand(patterns, root) if _is_rule_file(f)]


def _is_rule_file(path: Path) -> bool:
    data = load_yaml(path)
    return isinstance(data, Mapping) and isinstance(data.get("groups"), list)


def _alert_rule(rule: Mapping[str, Any], path: Path) -> AlertRule:
    labels = rule.get("labels") or {}
    annotations = rule.get("annotations") or {}
    return AlertRule(
        name=str(rule["alert"]),
        file=str(path),
        expr=" ".join(str(rule.get("expr", "")).split()),
        duration=str(rule.get("for", "")),
        severity=str(labels.get("severity", "")),
        summary=str(annotations.get("summary", "")),
        description=" ".join(str(annotations.get("description", "")).split()),
        runbook_url=str(annotations.get("runbook_url", "")),
    )


def load_alert_rules(paths: Sequence[Path]) -> tuple[list[AlertRule], list[str]]:
    """Alerting rules of Prometheus rule files, and problems reading them."""
    rules: list[AlertRule] = []
    problems: list[str] = []
    for path in paths:
        data = load_yaml(path)
        if not isinstance(data, Mapping) or not isinstance(data.get("groups"), list):
            problems.append(f"{path}: not a Prometheus rule file (no groups:)")
            continue
        for group in data["groups"]:
            for rule in (group or {}).get("rules") or []:
                if isinstance(rule, Mapping) and "alert" in rule:
                    rules.append(_alert_rule(rule, path))
    return rules, problems


def _commands(value: Any, in_rollback: bool, out: dict[bool, list[str]], key: str = "") -> None:
    """Commands in a deploy file of unknown shape (a workflow, a tool's config)."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            name = str(k).lower()
            _commands(v, in_rollback or "rollback" in name, out, name)
    elif isinstance(value, list):
        if (
            key in _COMMAND_KEYS
            and value
            and all(isinstance(v, str) for v in value)
            and (key == "argv" or not any(" " in v for v in value))
        ):
            out[in_rollback].append(shlex.join(value))
            return
        for v in value:
            _commands(v, in_rollback, out, key)
    elif isinstance(value, str) and key in _COMMAND_KEYS:
        for line in value.splitlines():
            if line.strip():
                out[in_rollback].append(line.strip())


def _command_lines(command: CommandLine | None) -> list[str]:
    if command is None:
        return []
    if isinstance(command, list):
        return [shlex.join(command)]
    return [line.strip() for line in command.splitlines() if line.strip()]


def _kubernetes(driver: KubernetesDriverConfig) -> list[str]:
    name = f"deployment/{driver.deployment}"
    ns = f"-n {driver.namespace}"
    return [
        f"{driver.kubectl} {ns} set image {name} {driver.container}=IMAGE",
        f"{driver.kubectl} {ns} rollout status {name}",
        f"{driver.kubectl} {ns} rollout undo {name}",
    ]


def _config_commands(config: DeployConfig) -> tuple[list[str], list[str], list[str]]:
    """(deploy commands, rollback commands, commands only golive derives) of a deploy section."""
    deploy: list[str] = []
    rollback: list[str] = []
    derived: list[str] = []
    driver = config.driver
    if isinstance(driver, CommandDriverConfig):
        deploy += _command_lines(driver.deploy) + _command_lines(driver.status)
        rollback += _command_lines(driver.rollback)
    elif isinstance(driver, LocalDriverConfig):
        deploy += _command_lines(driver.command)
    elif isinstance(driver, KubernetesDriverConfig):
        derived = _kubernetes(driver)
        deploy += derived[:2]
        rollback += derived[2:]
    if config.gates.artifact is not None:
        deploy += _command_lines(config.gates.artifact.command)
    return deploy, rollback, derived


def _deploy_section(spec: Spec) -> tuple[str, DeployConfig] | None:
    """The spec's deploy section, or the deploy family's deploy.yaml beside it (validated)."""
    if spec.deploy is not None:
        return f"{spec.path.name} deploy:", spec.deploy

    if not deploy_config_path(spec).is_file():
        return None
    try:
        return f"{DEPLOY_FILENAME} deploy:", load_deploy_config(spec)
    except SpecError:
        return None  # the deploy family reports an invalid deploy.yaml with its positions


def deploy_commands(spec: Spec | None, files: Sequence[Path] = ()) -> DeployCommands | None:
    """The deploy configuration: the spec's ``deploy:`` section and/or other deploy files
    (scripts, workflows).

    None when there is none of them (the deploy family may not be in use).
    """
    sources: list[str] = []
    out: dict[bool, list[str]] = {False: [], True: []}
    texts: list[str] = []
    section = _deploy_section(spec) if spec is not None else None
    if section is not None:
        name, config = section
        deploy, rollback, derived = _config_commands(config)
        sources.append(name)
        out[False] += deploy
        out[True] += rollback
        texts += [*_strings(config), *derived]
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        sources.append(str(path))
        texts.append(text)
        data = load_yaml(path) if path.suffix in (".yaml", ".yml") else None
        if isinstance(data, Mapping | list):
            _commands(data, "rollback" in path.name.lower(), out)
    if not sources:
        return None
    return DeployCommands(
        source=", ".join(sources),
        deploy=tuple(dict.fromkeys(out[False])),
        rollback=tuple(dict.fromkeys(out[True])),
        text="\n".join(texts),
    )


def compose_dependencies(paths: Sequence[Path]) -> list[str]:
    """Services named in ``depends_on`` of docker compose files."""
    found: dict[str, None] = {}
    for path in paths:
        data = load_yaml(path)
        services = data.get("services") if isinstance(data, Mapping) else None
        if not isinstance(services, Mapping):
            continue
        for service in services.values():
            deps = service.get("depends_on") if isinstance(service, Mapping) else None
            if isinstance(deps, Mapping | list):
                for name in deps:
                    found[str(name)] = None
    return list(found)


def readyz_dependencies(payload: Any) -> list[str]:
    """Dependency names in a readiness endpoint's JSON (``checks``, ``details``, ...)."""
    if not isinstance(payload, Mapping):
        return []
    for key in ("checks", "details", "dependencies", "components"):
        value = payload.get(key)
        if isinstance(value, Mapping):
            return [str(k) for k in value]
        if isinstance(value, list):
            names = [str(v.get("name")) for v in value if isinstance(v, Mapping) and v.get("name")]
            if names:
                return names
    return []


def spec_dependencies(environment: Environment) -> list[str]:
    """Dependencies the spec's environment names (its ``database_url``)."""
    return ["database"] if environment.database_url else []
