"""What a runbook is cross-checked against: alert rules, dependencies, deploy commands.

These readers work on the raw ``golive.yaml`` (not the validated model) because the
sections they look at belong to other families (monitoring criteria, the ``deploy:``
section) and may not exist yet; every reader tolerates their absence.
"""

from __future__ import annotations

import glob
import re
import shlex
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from golive.spec.models import Environment

__all__ = [
    "AlertRule",
    "DeployCommands",
    "alert_rule_files",
    "compose_dependencies",
    "deploy_commands",
    "expand",
    "load_alert_rules",
    "load_raw_spec",
    "readyz_dependencies",
    "spec_dependencies",
]

_RULE_FILE = re.compile(r"\.(ya?ml|rules)$", re.I)
_COMMAND_KEYS = frozenset(
    {"command", "commands", "cmd", "run", "script", "exec", "argv", "deploy", "rollback", "status"}
)
DEPLOY_FILENAME = "deploy.yaml"
"""Where the deploy family keeps its ``deploy:`` section until the spec model has one."""


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


def _yaml() -> YAML:
    return YAML(typ="safe", pure=True)


def load_yaml(path: Path) -> Any:
    """A YAML file's data, or None when it is missing or unreadable."""
    try:
        with path.open(encoding="utf-8") as fh:
            return _yaml().load(fh)
    except (OSError, UnicodeDecodeError, YAMLError):
        return None


def load_raw_spec(path: Path) -> dict[str, Any]:
    """The spec as plain data ({} when missing); only for sections owned by other families."""
    data = load_yaml(path)
    return data if isinstance(data, dict) else {}


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
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def alert_rule_files(raw_spec: Mapping[str, Any], root: Path) -> list[Path]:
    """Prometheus rule files the spec's monitoring criteria point at."""
    patterns: list[str] = []
    for criterion in raw_spec.get("criteria") or []:
        if not isinstance(criterion, Mapping):
            continue
        check = criterion.get("check")
        check_type = str(check.get("type", "")) if isinstance(check, Mapping) else ""
        if not (
            criterion.get("area") == "monitoring"
            or any(w in check_type for w in ("prometheus", "alert", "monitoring"))
        ):
            continue
        params = {k: v for k, v in check.items() if k != "type"} if isinstance(check, Mapping) else {}
        patterns.extend(
            s for s in _strings(params) if _RULE_FILE.search(s) and "://" not in s and "\n" not in s
        )
    files = expand(patterns, root)
    return [f for f in files if _is_rule_file(f)]


def _is_rule_file(path: Path) -> bool:
    data = load_yaml(path)
    return isinstance(data, Mapping) and isinstance(data.get("groups"), list)


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
                if not isinstance(rule, Mapping) or "alert" not in rule:
                    continue
                labels = rule.get("labels") or {}
                annotations = rule.get("annotations") or {}
                rules.append(
                    AlertRule(
                        name=str(rule["alert"]),
                        file=str(path),
                        expr=" ".join(str(rule.get("expr", "")).split()),
                        duration=str(rule.get("for", "")),
                        severity=str(labels.get("severity", "")),
                        summary=str(annotations.get("summary", "")),
                        description=" ".join(str(annotations.get("description", "")).split()),
                        runbook_url=str(annotations.get("runbook_url", "")),
                    )
                )
    return rules, problems


def _commands(value: Any, in_rollback: bool, out: dict[bool, list[str]], key: str = "") -> None:
    if isinstance(value, Mapping):
        for k, v in value.items():
            name = str(k).lower()
            _commands(v, in_rollback or "rollback" in name, out, name)
    elif isinstance(value, list):
        if key in _COMMAND_KEYS and value and all(isinstance(v, str) for v in value) and (
            key == "argv" or not any(" " in v for v in value)
        ):
            out[in_rollback].append(shlex.join(value))
            return
        for v in value:
            _commands(v, in_rollback, out, key)
    elif isinstance(value, str) and key in _COMMAND_KEYS:
        for line in value.splitlines():
            if line.strip():
                out[in_rollback].append(line.strip())


def _kubernetes(section: Mapping[str, Any]) -> list[str]:
    driver = section.get("driver")
    if not isinstance(driver, Mapping) or driver.get("type") != "kubernetes":
        return []
    kubectl = str(driver.get("kubectl", "kubectl"))
    name = f"deployment/{driver.get('deployment', '')}"
    ns = f"-n {driver.get('namespace', 'default')}"
    return [
        f"{kubectl} {ns} set image {name} {driver.get('container', '')}=IMAGE",
        f"{kubectl} {ns} rollout status {name}",
        f"{kubectl} {ns} rollout undo {name}",
    ]


def deploy_commands(
    raw_spec: Mapping[str, Any], files: Sequence[Path] = (), spec_dir: Path | None = None
) -> DeployCommands | None:
    """The deploy configuration: the ``deploy:`` section (in the spec or in ``deploy.yaml``
    beside it) and/or other deploy files (scripts, workflows).

    None when there is none of them (the deploy family may not be in use).
    """
    sources: list[str] = []
    out: dict[bool, list[str]] = {False: [], True: []}
    texts: list[str] = []
    sections: list[tuple[str, Any]] = []
    if raw_spec.get("deploy"):
        sections.append(("golive.yaml deploy:", raw_spec["deploy"]))
    if spec_dir is not None and (spec_dir / DEPLOY_FILENAME).is_file():
        data = load_yaml(spec_dir / DEPLOY_FILENAME)
        if isinstance(data, Mapping) and data.get("deploy"):
            sections.append((f"{DEPLOY_FILENAME} deploy:", data["deploy"]))
    for name, section in sections:
        sources.append(name)
        _commands(section, False, out)
        texts.extend(_strings(section))
        if isinstance(section, Mapping):
            kube = _kubernetes(section)
            out[False].extend(kube[:2])
            out[True].extend(kube[2:])
            texts.extend(kube)
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
    """Dependencies the spec's environment names (today: a database URL)."""
    return ["database"] if environment.database_url else []
