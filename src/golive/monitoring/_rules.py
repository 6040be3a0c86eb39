"""Reading Prometheus alerting rules, promtool unit tests and runbook headings."""

from __future__ import annotations

import glob
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from golive.monitoring._yaml import load_yaml
from golive.monitoring.base import MonitoringError, Severity, parse_severity


@dataclass(frozen=True, kw_only=True)
class AlertRule:
    """One alerting rule as written in a rule file."""

    name: str
    group: str
    file: Path
    expr: str
    for_: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]

    def severity(self, label: str, extra: Mapping[str, Severity] | None = None) -> Severity | None:
        """The severity class, or None when the label is missing or unknown."""
        value = self.labels.get(label)
        return None if value is None else parse_severity(str(value), extra)


@dataclass(frozen=True, kw_only=True)
class RecordingRule:
    """One recording rule as written in a rule file."""

    name: str
    group: str
    file: Path
    expr: str


@dataclass(frozen=True, kw_only=True)
class RuleFileContent:
    """The rules of one rule file."""

    path: Path
    alerts: tuple[AlertRule, ...]
    records: tuple[RecordingRule, ...]

    @property
    def empty(self) -> bool:
        """No rule at all (no groups, or only empty groups)."""
        return not self.alerts and not self.records


@dataclass(frozen=True, kw_only=True)
class RuleTestFile:
    """A ``promtool test rules`` file, the rule files it loads and the alerts it expects to fire."""

    path: Path
    rule_files: tuple[Path, ...]
    fired: frozenset[str]
    mentioned: frozenset[str]

    def fires(self, alert: AlertRule) -> bool:
        """Whether a test of this file loads the alert's rule file and expects it to fire."""
        return alert.name in self.fired and alert.file.resolve() in self.rule_files


def expand(patterns: Iterable[str], base: Path) -> list[Path]:
    """Glob patterns relative to ``base`` into sorted, existing files; keep order of patterns."""
    seen: dict[Path, None] = {}
    for pattern in patterns:
        full = pattern if Path(pattern).is_absolute() else str(base / pattern)
        matches = sorted(glob.glob(full, recursive=True))
        for match in matches:
            seen.setdefault(Path(match), None)
    return list(seen)


def load_rules(path: Path) -> RuleFileContent:
    """The alerting and recording rules of one rule file (an empty file has none)."""
    data = load_yaml(path)
    if data is None:
        return RuleFileContent(path=path, alerts=(), records=())
    if not isinstance(data, dict) or not isinstance(data.get("groups"), list):
        raise MonitoringError(f"{path}: not a Prometheus rule file (no 'groups' list)")
    alerts: list[AlertRule] = []
    records: list[RecordingRule] = []
    for group in data["groups"]:
        if not isinstance(group, dict):
            continue
        name = str(group.get("name", ""))
        for rule in group.get("rules") or []:
            if not isinstance(rule, dict):
                continue
            expr = str(rule.get("expr", ""))
            if "record" in rule:
                records.append(RecordingRule(name=str(rule["record"]), group=name, file=path, expr=expr))
            elif "alert" in rule:
                alerts.append(
                    AlertRule(
                        name=str(rule["alert"]),
                        group=name,
                        file=path,
                        expr=expr,
                        for_=str(rule.get("for", "0s")),
                        labels=as_str_map(rule.get("labels")),
                        annotations=as_str_map(rule.get("annotations")),
                    )
                )
    return RuleFileContent(path=path, alerts=tuple(alerts), records=tuple(records))


def load_alerts(path: Path) -> list[AlertRule]:
    """The alerting rules of one rule file (recording rules are skipped)."""
    return list(load_rules(path).alerts)


def load_rule_test(path: Path) -> RuleTestFile:
    """Which alerts a promtool test file exercises, and which it expects to fire."""
    data = load_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("tests"), list):
        raise MonitoringError(f"{path}: not a promtool test file (no 'tests' list)")
    fired: set[str] = set()
    mentioned: set[str] = set()
    for test in data["tests"]:
        if not isinstance(test, dict):
            continue
        for case in test.get("alert_rule_test") or []:
            if not isinstance(case, dict) or "alertname" not in case:
                continue
            name = str(case["alertname"])
            mentioned.add(name)
            # A test that only asserts silence does not prove the alert can fire.
            if case.get("exp_alerts"):
                fired.add(name)
    # promtool reads rule_files relative to the test file, and expands globs.
    rule_files = tuple(
        p.resolve() for p in expand([str(f) for f in data.get("rule_files") or []], path.parent)
    )
    return RuleTestFile(
        path=path, rule_files=rule_files, fired=frozenset(fired), mentioned=frozenset(mentioned)
    )


_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def heading_slugs(markdown: str) -> set[str]:
    """GitHub-style anchors of every heading in a Markdown document (code blocks ignored)."""
    slugs: set[str] = set()
    counts: dict[str, int] = {}
    in_fence = False
    for line in markdown.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        match = _HEADING.match(line)
        if not match:
            continue
        slug = slugify(match.group(2))
        n = counts.get(slug, 0)
        counts[slug] = n + 1
        slugs.add(slug if n == 0 else f"{slug}-{n}")
        # Explicit anchors: ``## Title {#custom-id}``.
        custom = re.search(r"\{#([^}]+)\}", match.group(2))
        if custom:
            slugs.add(custom.group(1))
    for anchor in re.findall(r"<a\s+(?:name|id)=\"([^\"]+)\"", markdown):
        slugs.add(anchor)
    return slugs


def slugify(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    text = re.sub(r"\{#[^}]+\}", "", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def runbook_anchor(url: str) -> str:
    """The fragment of a runbook URL ("" when it has none)."""
    return urlsplit(url).fragment


def describe_location(rule: AlertRule | RecordingRule, base: Path) -> str:
    """``rules.yml: group/Alert`` for messages."""
    try:
        shown = rule.file.relative_to(base)
    except ValueError:
        shown = rule.file
    return f"{shown}: {rule.group}/{rule.name}"


def as_str_map(value: Any) -> dict[str, str]:
    """A mapping of strings, or an empty one."""
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    return {}
