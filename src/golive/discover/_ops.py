"""Operations files, recognised by content: alert rules, Alertmanager configs, dashboards,
Kubernetes manifests; and runbooks and docs by name."""

from __future__ import annotations

import re
from typing import Any

from golive.discover._draft import Draft
from golive.discover._repo import Repo

_NOT_OPS = re.compile(
    r"^\.github/|(^|/)(docker-)?compose[^/]*\.ya?ml$|(^|/)\.pre-commit|(^|/)pnpm-lock\.yaml$"
)
_DOC_EXT = (".md", ".rst", ".txt", ".adoc")


def _is_rules(doc: Any) -> bool:
    groups = doc.get("groups") if isinstance(doc, dict) else None
    if not isinstance(groups, list):
        spec = doc.get("spec") if isinstance(doc, dict) else None
        groups = spec.get("groups") if isinstance(spec, dict) else None
    return isinstance(groups, list) and any(
        isinstance(g, dict) and any(isinstance(r, dict) and "alert" in r for r in g.get("rules") or [])
        for g in groups
    )


def _is_alertmanager(doc: Any) -> bool:
    return isinstance(doc, dict) and "route" in doc and "receivers" in doc


def _is_manifest(doc: Any) -> bool:
    return (
        isinstance(doc, dict) and isinstance(doc.get("apiVersion"), str) and isinstance(doc.get("kind"), str)
    )


def _is_dashboard(doc: Any) -> bool:
    if isinstance(doc, dict) and isinstance(doc.get("dashboard"), dict):
        doc = doc["dashboard"]
    return isinstance(doc, dict) and isinstance(doc.get("panels"), list)


def ops_files(repo: Repo, draft: Draft) -> None:
    """Classify every YAML and JSON file of the repository by what it contains."""
    for rel in repo.files:
        if _NOT_OPS.search(rel):
            continue
        if rel.endswith((".yml", ".yaml")):
            _yaml(repo, rel, draft)
        elif rel.endswith(".json") and '"panels"' in (repo.text(rel) or ""):
            if _is_dashboard(repo.json(rel)):
                draft.add("dashboards", repo.fact(rel, rel, detail="Grafana dashboard (panels)"))


def _yaml(repo: Repo, rel: str, draft: Draft) -> None:
    text = repo.text(rel) or ""
    if not re.search(r"^\s*-?\s*(alert|receivers|apiVersion)\s*:", text, re.M):
        return
    docs = repo.yaml(rel)
    if any(_is_rules(d) for d in docs):
        draft.add("alert_rules", repo.fact(rel, rel, "alert:", "Prometheus alerting rules"))
    if any(_is_alertmanager(d) for d in docs):
        draft.add("alertmanager_configs", repo.fact(rel, rel, "route:", "Alertmanager config"))
    if any(_is_manifest(d) for d in docs):
        draft.add("kubernetes_manifests", repo.fact(rel, rel, "kind:", "apiVersion + kind"))


def docs(repo: Repo, draft: Draft) -> None:
    """Runbooks (by name) and documentation (README files, ``docs/``)."""
    for rel in repo.files:
        name = rel.rsplit("/", 1)[-1].lower()
        if not name.endswith(_DOC_EXT) or re.search(r"(^|/)(tests?|fixtures|examples?)/", rel):
            continue
        if "runbook" in rel.lower() or "playbook" in name:
            draft.add("runbooks", repo.fact(rel, rel, detail="runbook"))
        elif (name.startswith("readme") and rel.count("/") <= 1) or rel.lower().startswith("docs/"):
            draft.add("docs", repo.fact(rel, rel, detail="documentation"))
