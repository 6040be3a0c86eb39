"""Infrastructure as code scanners: checkov, plus golive's own production-readiness rules.

golive's rules (:mod:`golive.security._iac_rules`, :mod:`golive.security._k8s_rules`) cover
what a service needs to run safely on Kubernetes and in containers: probes, resource
requests/limits, non-root, read-only root filesystem, a PodDisruptionBudget for replicated
workloads, pinned image tags, no privileged containers. checkov findings that say the same
are merged with golive's through a shared de-duplication key.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from golive.kit.check import CheckContext
from golive.kit.processes import find_tool
from golive.security._iac_rules import ADVICE, compose_findings, dedupe_key, dockerfile_findings
from golive.security._k8s_rules import kubernetes_findings
from golive.security._tools import missing, relative, run_json
from golive.security.base import Finding, Location, RunState, Severity, ToolRun, fingerprint

COMPOSE_NAMES = re.compile(r"^(docker-)?compose(\.[\w.-]+)?\.ya?ml$")

# checkov ids that say the same as one of golive's rules: merged into one finding.
_CHECKOV_CATEGORY = {
    "CKV_DOCKER_3": "container-root",
    "CKV_DOCKER_7": "image-tag",
    "CKV_K8S_8": "k8s-probes",
    "CKV_K8S_9": "k8s-probes",
    "CKV_K8S_10": "k8s-resources",
    "CKV_K8S_11": "k8s-resources",
    "CKV_K8S_12": "k8s-resources",
    "CKV_K8S_13": "k8s-resources",
    "CKV_K8S_14": "image-tag",
    "CKV_K8S_16": "privileged",
    "CKV_K8S_22": "k8s-read-only-rootfs",
    "CKV_K8S_23": "container-root",
}
# Offline checkov carries no severities; these are golive's, the rest count as low.
_CHECKOV_SEVERITY = {
    "CKV_DOCKER_3": Severity.HIGH,
    "CKV_K8S_16": Severity.HIGH,
    "CKV_K8S_23": Severity.HIGH,
    "CKV_K8S_17": Severity.HIGH,
    "CKV_K8S_18": Severity.HIGH,
    "CKV_K8S_19": Severity.HIGH,
    "CKV_K8S_20": Severity.MEDIUM,
    "CKV_K8S_8": Severity.MEDIUM,
    "CKV_K8S_9": Severity.MEDIUM,
    "CKV_K8S_10": Severity.MEDIUM,
    "CKV_K8S_11": Severity.MEDIUM,
    "CKV_K8S_12": Severity.MEDIUM,
    "CKV_K8S_13": Severity.MEDIUM,
    "CKV_K8S_14": Severity.MEDIUM,
    "CKV_K8S_22": Severity.MEDIUM,
    "CKV_DOCKER_7": Severity.MEDIUM,
}


def _walk(root: Path, excludes: tuple[str, ...]) -> Iterator[Path]:
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).parts
        if p.is_file() and not any(part in excludes for part in rel[:-1]):
            yield p


def _is_dockerfile(p: Path) -> bool:
    return p.name == "Dockerfile" or p.name.startswith("Dockerfile.") or p.suffix == ".dockerfile"


def _load_yaml_docs(p: Path) -> list[Any]:
    yaml = YAML(typ="rt")
    text = p.read_text(encoding="utf-8", errors="replace")
    if "{{" in text:  # Helm templates are not YAML until rendered
        return []
    return [d for d in yaml.load_all(io.StringIO(text)) if d is not None]


def _manifests(docs: list[Any], rel: str) -> list[tuple[str, dict[str, Any]]]:
    """The Kubernetes objects among a file's documents (``kind: List`` unpacked)."""
    out: list[tuple[str, dict[str, Any]]] = []
    for doc in docs:
        if isinstance(doc, dict) and "apiVersion" in doc and "kind" in doc:
            if doc.get("kind") == "List":
                out += [(rel, d) for d in doc.get("items") or [] if isinstance(d, dict)]
            else:
                out.append((rel, doc))
    return out


@dataclass
class GoliveIacScanner:
    """golive's own Dockerfile, Kubernetes and compose rules."""

    excludes: tuple[str, ...]
    name: str = "golive"

    async def scan(self, root: Path, ctx: CheckContext) -> ToolRun:
        """Parse the files locally; nothing is executed."""
        findings: list[Finding] = []
        k8s: list[tuple[str, dict[str, Any]]] = []
        skipped: list[str] = []
        for p in _walk(root, self.excludes):
            rel = relative(str(p), root)
            if _is_dockerfile(p):
                findings += dockerfile_findings(p.read_text(encoding="utf-8", errors="replace"), rel)
                continue
            if p.suffix not in (".yml", ".yaml") or ".github" in p.relative_to(root).parts:
                continue
            try:
                docs = _load_yaml_docs(p)
            except YAMLError:
                skipped.append(rel)
                continue
            if COMPOSE_NAMES.match(p.name):
                findings += [f for doc in docs if isinstance(doc, dict) for f in compose_findings(doc, rel)]
            else:
                k8s += _manifests(docs, rel)
        findings += kubernetes_findings(k8s)
        reason = f"not YAML, skipped: {', '.join(skipped)}" if skipped else ""
        return ToolRun(tool=self.name, state=RunState.RAN, findings=tuple(findings), reason=reason)


def _checkov_resource(check_type: str, resource: str) -> str:
    if check_type == "kubernetes":
        parts = resource.split(".")
        if len(parts) >= 3:
            return f"{parts[0]}/{parts[2]}"
    return "" if check_type == "dockerfile" else resource


def _checkov_finding(failed: dict[str, Any], check_type: str, root: Path) -> Finding:
    """One failed checkov check, keyed like golive's rule for the same problem."""
    cid = str(failed.get("check_id"))
    path = relative(str(failed.get("file_path", "")).lstrip("/"), root)
    lines = failed.get("file_line_range") or [0, 0]
    resource = _checkov_resource(check_type, str(failed.get("resource", "")))
    category = _CHECKOV_CATEGORY.get(cid, cid)
    severity = (
        Severity.parse(str(failed["severity"]), Severity.LOW)
        if failed.get("severity")
        else _CHECKOV_SEVERITY.get(cid, Severity.LOW)
    )
    guideline = str(failed.get("guideline") or "")
    return Finding(
        tool="checkov",
        rule_id=cid,
        severity=severity,
        title=str(failed.get("check_name", cid)),
        location=Location(path=path, line=int(lines[0] or 0), resource=resource),
        fingerprint=fingerprint("iac", category, path, resource),
        category="iac",
        advice=ADVICE.get(category, "") or f"See {guideline or 'the checkov policy index'} for {cid}.",
        help_url=guideline,
        dedupe_key=dedupe_key(path, category, resource),
    )


@dataclass
class CheckovScanner:
    """checkov on Dockerfiles and Kubernetes manifests (``--skip-download``: offline)."""

    excludes: tuple[str, ...]
    frameworks: tuple[str, ...] = ("dockerfile", "kubernetes")
    name: str = "checkov"

    def _argv(self, exe: str) -> list[str]:
        argv = [exe, "-d", ".", "--framework", *self.frameworks, "--skip-download"]
        argv += ["-o", "json", "--quiet", "--compact"]
        for ex in self.excludes:
            argv += ["--skip-path", ex]
        return argv

    async def scan(self, root: Path, ctx: CheckContext) -> ToolRun:
        """Run checkov and keep its failed checks."""
        exe = find_tool("checkov")
        if exe is None:
            return ToolRun(tool=self.name, state=RunState.SKIPPED, reason=missing("checkov"))
        env = {"BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
        data, result = await run_json(ctx, self._argv(exe), cwd=root, ok_codes=(0, 1), env=env)
        reports = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
        findings = [
            _checkov_finding(failed, str(rep.get("check_type", "")), root)
            for rep in reports
            for failed in (rep.get("results") or {}).get("failed_checks", []) or []
        ]
        versions = [str((rep.get("summary") or {}).get("checkov_version", "")) for rep in reports]
        return ToolRun(
            tool=self.name,
            state=RunState.RAN,
            findings=tuple(findings),
            command=result.command_line,
            version=next(filter(None, versions), ""),
            information_uri="https://www.checkov.io/",
        )
