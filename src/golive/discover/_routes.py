"""Health, readiness, metrics paths and the listening port, from code, probes and API documents."""

from __future__ import annotations

import re
from typing import Any

from golive.discover._repo import Repo, yaml_line
from golive.discover.facts import Fact, Source

#: Names in the order a health path is chosen by.
HEALTH = ("health", "healthz", "health-check", "healthcheck", "livez", "liveness", "ping")
READY = ("ready", "readyz", "readiness")
_JS_ROUTE = re.compile(r"\b\w+\.(?:get|all|head|route)\(\s*(['\"`])(/[^'\"`]*)\1")
_GO_ROUTE = re.compile(r"(?:HandleFunc|Handle|GET|Get|HEAD)\(\s*\"(?:[A-Z]+ )?(/[^\"]*)\"")
_CODE_EXT = (".js", ".mjs", ".cjs", ".ts", ".go")
_SKIP = re.compile(r"(^|/)(tests?|__tests__|spec|e2e|testdata|examples?)(/|$)|[._](test|spec)\.\w+$")
_PORT_PATTERNS = (
    re.compile(r"environ\.get\(\s*[\"']PORT[\"']\s*,\s*[\"']?(\d{2,5})"),
    re.compile(r"getenv\(\s*[\"']PORT[\"']\s*,\s*[\"']?(\d{2,5})"),
    re.compile(r"process\.env\.PORT\s*(?:\|\||\?\?)\s*['\"]?(\d{2,5})"),
    re.compile(r"\.listen\(\s*(\d{2,5})\b"),
    re.compile(r"ListenAndServe\(\s*\"[\w.]*:(\d{2,5})\""),
    re.compile(r"\.run\([^)]*\bport\s*=\s*(\d{2,5})"),
)


def code_files(repo: Repo, app: str) -> list[str]:
    """JavaScript/TypeScript/Go sources of the service (no tests)."""
    prefix = f"{app}/" if app else ""
    return [f for f in repo.files if f.endswith(_CODE_EXT) and f.startswith(prefix) and not _SKIP.search(f)]


def other_routes(repo: Repo, app: str) -> list[Fact[str]]:
    """Express/Fastify/Koa and Go ``net/http``/gin routes declared with a literal path."""
    found = []
    for rel in code_files(repo, app):
        text = repo.text(rel) or ""
        rx = _GO_ROUTE if rel.endswith(".go") else _JS_ROUTE
        for match in rx.finditer(text):
            path = match.group(match.lastindex or 1)
            line = text.count("\n", 0, match.start()) + 1
            found.append(Fact(value=path, source=Source(path=rel, line=line, detail="route")))
    return found


def probe_paths(repo: Repo) -> list[Fact[str]]:
    """Paths of Kubernetes ``httpGet`` probes."""
    found: list[Fact[str]] = []
    for rel in repo.files:
        if rel.endswith((".yaml", ".yml")) and "Probe" in (repo.text(rel) or ""):
            for doc in repo.yaml(rel, quiet=True):
                _probes(doc, rel, found)
    return found


def _probes(node: Any, rel: str, found: list[Fact[str]]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if str(key).endswith("Probe") and isinstance(value, dict):
                get = value.get("httpGet")
                if isinstance(get, dict) and isinstance(get.get("path"), str):
                    source = Source(path=rel, line=yaml_line(get, "path"), detail=str(key))
                    found.append(Fact(value=get["path"], source=source))
            else:
                _probes(value, rel, found)
    elif isinstance(node, list):
        for item in node:
            _probes(item, rel, found)


def openapi_documents(repo: Repo) -> list[Fact[str]]:
    """The paths an OpenAPI document in the repository lists."""
    found = []
    for rel in repo.files:
        if re.fullmatch(r"(openapi|swagger)\.(json|ya?ml)", rel.rsplit("/", 1)[-1]):
            docs = [repo.json(rel)] if rel.endswith(".json") else repo.yaml(rel)
            for doc in docs:
                paths = doc.get("paths") if isinstance(doc, dict) else None
                for path in paths or {}:
                    needle = f'"{path}"' if rel.endswith(".json") else f"{path}:"
                    found.append(repo.fact(str(path), rel, needle, "OpenAPI document"))
    return found


def _segment(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1].lower()


def choose(candidates: list[Fact[str]], names: tuple[str, ...], probes: list[Fact[str]]) -> Fact[str] | None:
    """The candidate whose last segment ranks first in ``names`` (earlier sources win ties).

    A probe that requests a longer path ending in the chosen route is the route as deployed
    (under a prefix discovery could not follow): the probe's path wins.
    """
    ranked = [c for c in candidates if _segment(c.value) in names and not re.search(r"[{<:*]", c.value)]
    if not ranked:
        return None
    best = min(ranked, key=lambda c: names.index(_segment(c.value)))
    longer = [p for p in probes if p.value != best.value and p.value.endswith(best.value)]
    return longer[0] if longer else best


def metrics(candidates: list[Fact[str]]) -> Fact[str] | None:
    """A route named ``metrics``."""
    return next((c for c in candidates if _segment(c.value) == "metrics"), None)


def code_port(repo: Repo, app: str) -> Fact[int] | None:
    """A port the code listens on: a ``PORT`` default, ``listen(N)``, ``run(port=N)``."""
    prefix = f"{app}/" if app else ""
    rels = [f for f in repo.files if f.endswith((*_CODE_EXT, ".py")) and f.startswith(prefix)]
    for rx in _PORT_PATTERNS:
        for rel in rels:
            if _SKIP.search(rel):
                continue
            text = repo.text(rel) or ""
            match = rx.search(text)
            if match:
                return repo.fact(int(match.group(1)), rel, rx, "port in code")
    return None


def command_port(command: Fact[str]) -> Fact[int] | None:
    """``--port N``, ``--bind host:N``, ``-b :N`` or ``-p N`` in a start command."""
    match = re.search(r"(?:--port[= ]|-p )(\d{2,5})\b|(?:--bind[= ]|-b )\S*:(\d{2,5})\b", command.value)
    if not match:
        return None
    return Fact(value=int(match.group(1) or match.group(2)), source=command.source)
