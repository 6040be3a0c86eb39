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
from golive.security.base import (
    Coverage,
    Finding,
    Location,
    Missed,
    RunState,
    Severity,
    ToolRun,
    fingerprint,
)

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


def _is_dockerfile(p: Path) -> bool:
    return p.name == "Dockerfile" or p.name.startswith("Dockerfile.") or p.suffix == ".dockerfile"


def is_iac_candidate(rel: str) -> bool:
    """A file golive's IaC rules read: a Dockerfile, or YAML outside ``.github``."""
    path = Path(rel)
    if _is_dockerfile(path):
        return True
    return path.suffix in (".yml", ".yaml") and ".github" not in path.parts


class HelmTemplate(Exception):
    """A YAML file that is a template (``{{ ... }}``): not YAML until rendered."""


def _load_yaml_docs(p: Path) -> list[Any]:
    yaml = YAML(typ="rt")
    text = p.read_text(encoding="utf-8", errors="replace")
    if "{{" in text:
        raise HelmTemplate()
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


_HELM = "a template ({{ ... }}): render it (helm template) and scan the output"


@dataclass
class GoliveIacScanner:
    """golive's own Dockerfile, Kubernetes and compose rules over the files golive listed."""

    files: tuple[str, ...]
    name: str = "golive"

    async def scan(self, root: Path, ctx: CheckContext) -> ToolRun:
        """Parse the files locally; nothing is executed. A file it cannot read is reported."""
        findings: list[Finding] = []
        k8s: list[tuple[str, dict[str, Any]]] = []
        missed: list[Missed] = []
        for rel in self.files:
            p = root / rel
            if _is_dockerfile(p):
                findings += dockerfile_findings(p.read_text(encoding="utf-8", errors="replace"), rel)
                continue
            try:
                docs = _load_yaml_docs(p)
            except HelmTemplate:
                missed.append(Missed(item=rel, reason=_HELM))
                continue
            except YAMLError as exc:
                problem = str(getattr(exc, "problem", "") or "") or type(exc).__name__
                missed.append(Missed(item=rel, reason=f"not valid YAML: {problem}"))
                continue
            if COMPOSE_NAMES.match(p.name):
                findings += [f for doc in docs if isinstance(doc, dict) for f in compose_findings(doc, rel)]
            else:
                k8s += _manifests(docs, rel)
        findings += kubernetes_findings(k8s)
        asked = len(self.files)
        coverage = Coverage(unit="files", asked=asked, scanned=asked - len(missed), missed=tuple(missed))
        return ToolRun(tool=self.name, state=RunState.RAN, findings=tuple(findings), coverage=(coverage,))


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


def _checkov_reads(path: Path) -> bool:
    """A file checkov's frameworks here take: a Dockerfile, or YAML that declares Kubernetes kinds."""
    if _is_dockerfile(path):
        return True
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return True  # unreadable: counted, so that checkov's silence about it is not coverage
    return "apiVersion" in text and re.search(r"^\s*kind:", text, re.M) is not None


@dataclass
class CheckovScanner:
    """checkov on Dockerfiles and Kubernetes manifests (``--skip-download``: offline)."""

    excludes: tuple[str, ...]
    frameworks: tuple[str, ...] = ("dockerfile", "kubernetes")
    name: str = "checkov"

    #: The files golive asked about (Dockerfiles and YAML); checkov's parse errors are missed.
    files: tuple[str, ...] = ()

    def _argv(self, exe: str) -> list[str]:
        argv = [exe, "-d", ".", "--framework", *self.frameworks, "--skip-download"]
        argv += ["-o", "json", "--compact"]
        for ex in self.excludes:
            argv += ["--skip-path", ex]
        return argv

    async def scan(self, root: Path, ctx: CheckContext) -> ToolRun:
        """Run checkov and keep its failed checks; the files it could not parse are reported."""
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
        errors = sorted(
            {
                relative(str(path).lstrip("/"), root)
                for rep in reports
                for path in (rep.get("results") or {}).get("parsing_errors", []) or []
            }
        )
        missed = tuple(Missed(item=e, reason="checkov could not parse it") for e in errors)
        asked = len({f for f in self.files if _checkov_reads(root / f)} | set(errors))
        versions = [str((rep.get("summary") or {}).get("checkov_version", "")) for rep in reports]
        return ToolRun(
            tool=self.name,
            state=RunState.RAN,
            findings=tuple(findings),
            coverage=(Coverage(unit="files", asked=asked, scanned=asked - len(missed), missed=missed),),
            command=result.command_line,
            version=next(filter(None, versions), ""),
            information_uri="https://www.checkov.io/",
        )
