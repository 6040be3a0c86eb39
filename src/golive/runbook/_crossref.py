"""Cross-references of a runbook: alert anchors, dependency sections, deploy commands.

Each cross-check returns how many things it checked and its :class:`~golive.kit.Findings`
(problems and notes); the check merges them. What the spec says comes from ``ctx.spec``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

from golive.kit.check import CheckContext
from golive.kit.outcomes import Findings
from golive.runbook._markdown import CodeBlock, RunbookDocument, Section, read_runbook
from golive.runbook._params import DEFAULT_ALIASES, REQUIRED_SECTIONS, RunbookParams
from golive.runbook._sources import (
    AlertRule,
    DeployCommands,
    alert_rule_files,
    compose_dependencies,
    deploy_commands,
    expand,
    load_alert_rules,
    readyz_dependencies,
    spec_dependencies,
)
from golive.runbook.base import RunbookError

__all__ = [
    "COMPOSE_FILES",
    "canonical",
    "check_alerts",
    "check_dependencies",
    "check_deploy_commands",
    "command_lines",
]

COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
_PROMPT = re.compile(r"^\s*\$\s+")
_DEPENDENCIES = REQUIRED_SECTIONS["service dependencies"]


def _word_pattern(word: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])" + re.escape(word) + r"(s|es)?(?![\w-])", re.I)


def _aliases(name: str, extra: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    names = [name, *extra.get(name, ())]
    for group in DEFAULT_ALIASES:
        if name.lower() in group:
            names.extend(group)
    return tuple(dict.fromkeys(n.lower() for n in names))


def canonical(name: str) -> str:
    """The name the check counts a dependency under (the first of its alias group)."""
    for group in DEFAULT_ALIASES:
        if name.lower() in group:
            return group[0]
    return name.lower()


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


# -- alerts -----------------------------------------------------------------------------


def check_alerts(
    doc: RunbookDocument, params: RunbookParams, ctx: CheckContext, shown: str
) -> tuple[int, Findings]:
    """Every alert's ``runbook_url`` anchor exists (or a section is named after the alert)."""
    found = Findings()
    if params.alert_rules is not None:
        files = expand(params.alert_rules, ctx.workdir)
        if not files:
            found.problem(f"no alert rule file matches {params.alert_rules}")
    else:
        files = alert_rule_files(ctx.spec, ctx.workdir)
    rules, read_problems = load_alert_rules(files)
    for problem in read_problems:
        found.problem(problem)
    checked = 0
    for rule in rules:
        n, findings = _check_alert(rule, doc, ctx.workdir, shown)
        checked += n
        found.extend(findings)
    if not files:
        found.note("no alert rule files found: alert anchors not cross-checked")
    return checked, found


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


def _check_alert(rule: AlertRule, doc: RunbookDocument, workdir: Path, shown: str) -> tuple[int, Findings]:
    found = Findings()
    where = f"alert {rule.name} ({Path(rule.file).name})"
    if not rule.runbook_url:
        pattern = _word_pattern(rule.name)
        if not any(pattern.search(h.text) for h in doc.headings):
            found.problem(f"{where} has no runbook_url and no section named after it in {shown}")
        return 1, found
    parts = urlsplit(rule.runbook_url)
    path = unquote(parts.path)
    target = path.rstrip("/").rsplit("/", 1)[-1].lower()
    target_doc, target_shown = doc, shown
    if target and target != doc.path.name.lower():
        # Another document (e.g. the monitoring family's alert playbook): judged when it is
        # a local file, only noted when it is somewhere else.
        other = None if parts.scheme or parts.netloc else _other_document(rule, path, workdir)
        if other is None:
            found.note(f"{where}: runbook_url points at another document ({rule.runbook_url})")
            return 0, found
        target_doc = other
        target_shown = (
            str(other.path.relative_to(workdir)) if other.path.is_relative_to(workdir) else str(other.path)
        )
    anchor = unquote(parts.fragment)
    if not anchor:
        found.problem(f"{where}: runbook_url {rule.runbook_url} has no #anchor")
    elif anchor not in target_doc.anchors and anchor.lower() not in target_doc.anchors:
        found.problem(f"{where}: runbook_url anchor #{anchor} does not exist in {target_shown}")
    return 1, found


# -- dependencies -----------------------------------------------------------------------


async def _known_dependencies(params: RunbookParams, ctx: CheckContext, found: Findings) -> dict[str, str]:
    """Dependency (canonical name) → where golive learnt about it."""
    known: dict[str, str] = {}
    for dep in params.dependencies:
        known.setdefault(canonical(dep), "golive.yaml params")
    for dep in spec_dependencies(ctx.environment):
        known.setdefault(canonical(dep), "environment database_url")
    compose = (
        expand(params.compose_files, ctx.workdir)
        if params.compose_files is not None
        else [ctx.workdir / n for n in COMPOSE_FILES if (ctx.workdir / n).is_file()]
    )
    for dep in compose_dependencies(compose):
        known.setdefault(canonical(dep), "compose depends_on")
    if params.readyz_path:
        url = ctx.url(params.readyz_path)
        try:
            response = await ctx.http.get(url, timeout=min(ctx.timeout, 10.0))
            payload = response.json()
        except (httpx.HTTPError, json.JSONDecodeError, ValueError) as exc:
            found.note(f"no dependency details from {url}: {type(exc).__name__}")
        else:
            names = readyz_dependencies(payload)
            if not names:
                found.note(f"{url} (HTTP {response.status_code}) names no dependencies")
            for dep in names:
                known.setdefault(canonical(dep), params.readyz_path)
    return known


def _has_procedures(section: Section) -> bool:
    return bool(re.search(r"health", section.body, re.I)) and bool(re.search(r"restart", section.body, re.I))


def _dependency_problem(
    doc: RunbookDocument, dep: str, source: str, params: RunbookParams, shown: str
) -> str:
    """Why the runbook does not cover one dependency ("" when it does)."""
    ranges = [(s.heading.line, s.end) for s in doc.find(_DEPENDENCIES)]
    patterns = [_word_pattern(a) for a in _aliases(dep, params.dependency_aliases)]
    matches = [
        doc.section(h)
        for h in doc.headings
        if any(p.search(h.text) for p in patterns) and not re.search(_DEPENDENCIES, h.text, re.I)
    ]
    matches.sort(key=lambda s: not any(a <= s.heading.line <= b for a, b in ranges))
    if not matches:
        return (
            f"{shown}: dependency {dep!r} (from {source}) has no section "
            "with its health check and restart procedure"
        )
    if any(_has_procedures(s) for s in matches):
        return ""
    s = matches[0]
    lacks = [w for w in ("health", "restart") if not re.search(w, s.body, re.I)]
    return f"{shown}:{s.heading.line}: dependency section {s.heading.text!r} lacks " + " and ".join(
        "a health check" if w == "health" else "a restart procedure" for w in lacks
    )


async def check_dependencies(
    doc: RunbookDocument, params: RunbookParams, ctx: CheckContext, shown: str
) -> tuple[int, Findings]:
    """Every dependency (params, database_url, compose, /readyz) has a section with procedures."""
    found = Findings()
    known = await _known_dependencies(params, ctx, found)
    for dep, source in known.items():
        problem = _dependency_problem(doc, dep, source, params, shown)
        if problem:
            found.problem(problem)
    return len(known), found


# -- deploy commands --------------------------------------------------------------------


def _used_by(command: str, config: DeployCommands) -> bool:
    if re.match(r"^golive(\s|$)", command):
        return True  # golive runs the deploy configuration itself
    # Quoting differs between a script and a runbook; the words are what must match.
    command = re.sub(r"[\"']", "", command)
    text = re.sub(r"[\"']", "", config.text)
    regex = ""
    for part in re.split(r"(\$\{?[A-Za-z_]\w*\}?|\s+)", command):
        if not part:
            continue
        if part.isspace():
            regex += r"\s+"
        elif part.startswith("$"):
            regex += r"\S+?"
        else:
            regex += re.escape(part)
    return re.search(regex, text) is not None


def _blocks_in(doc: RunbookDocument, section: Section) -> list[CodeBlock]:
    return [b for b in doc.blocks if section.start <= b.line <= section.end]


def check_deploy_commands(
    doc: RunbookDocument, params: RunbookParams, ctx: CheckContext, shown: str
) -> tuple[int, Findings]:
    """The deployment and rollback sections' commands are those the deploy configuration uses."""
    found = Findings()
    config = deploy_commands(ctx.spec, expand(params.deploy_files, ctx.workdir))
    if config is None:
        found.note(
            "no deploy configuration (deploy: in golive.yaml or deploy.yaml, or deploy_files): "
            "deploy/rollback commands not cross-checked"
        )
        return 0, found
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
                        found.problem(
                            f"{shown}:{block.line}: {key} command {command!r} is not used by "
                            f"the deploy configuration ({config.source})"
                        )
    return checked, found
