"""Infrastructure as code: checkov, plus golive's own production-readiness rules.

golive's rules cover what a service needs to run safely on Kubernetes and in containers:
probes, resource requests/limits, non-root, read-only root filesystem, a PodDisruptionBudget
for replicated workloads, pinned image tags, no privileged containers.
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

from golive.checks.base import CheckContext
from golive.security._tools import find_tool, missing, relative, run_json
from golive.security.base import Finding, Location, RunState, Severity, ToolRun, fingerprint

COMPOSE_NAMES = re.compile(r"^(docker-)?compose(\.[\w.-]+)?\.ya?ml$")
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"}
LONG_RUNNING = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod"}

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

_ADVICE = {
    "container-root": "Run as an unprivileged user: add `USER 10001` (after creating the user) in "
    "the Dockerfile, and `securityContext: {runAsNonRoot: true, runAsUser: 10001}` in the pod.",
    "image-tag": "Pin images to a version tag (better: a digest); `latest` changes under you.",
    "k8s-probes": "Add readinessProbe and livenessProbe (e.g. httpGet /readyz and /healthz).",
    "k8s-resources": "Set resources.requests.cpu, resources.requests.memory and resources.limits.memory.",
    "k8s-read-only-rootfs": "Set securityContext.readOnlyRootFilesystem: true; mount an emptyDir "
    "for paths the app writes (e.g. /tmp).",
    "k8s-pdb": "Add a PodDisruptionBudget (minAvailable: 1 or maxUnavailable: 1) selecting the pods.",
    "privileged": "Remove privileged mode; grant only the capabilities the process needs.",
    "network-host": "Use the default bridge network and publish only the ports you need.",
}


def _key(path: str, category: str, resource: str) -> str:
    return f"iac|{path}|{category}|{resource}"


def _finding(
    rule: str, category: str, severity: Severity, title: str, path: str, line: int, resource: str
) -> Finding:
    return Finding(
        tool="golive",
        rule_id=rule,
        severity=severity,
        title=title,
        location=Location(path=path, line=line, resource=resource),
        fingerprint=fingerprint("iac", category, path, resource),
        category="iac",
        advice=_ADVICE.get(category, ""),
        dedupe_key=_key(path, category, resource),
    )


# ---------------------------------------------------------------------------------------
# Dockerfiles


@dataclass(frozen=True)
class _Instruction:
    line: int
    keyword: str
    args: str


def _instructions(text: str) -> list[_Instruction]:
    out: list[_Instruction] = []
    buf = ""
    start = 0
    for no, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not buf and (not stripped or stripped.startswith("#")):
            continue
        if not buf:
            start = no
        if stripped.endswith("\\"):
            buf += stripped[:-1] + " "
            continue
        buf += stripped
        keyword, _, args = buf.partition(" ")
        out.append(_Instruction(start, keyword.upper(), args.strip()))
        buf = ""
    return out


def _image_unpinned(image: str) -> bool:
    if "@sha256:" in image or image == "scratch" or image.startswith("$"):
        return False
    last = image.rsplit("/", 1)[-1]
    return ":" not in last or last.endswith(":latest")


def dockerfile_findings(text: str, path: str) -> list[Finding]:
    """Root user and unpinned base images in a Dockerfile (the final stage decides the user)."""
    findings = []
    stages: list[str] = []
    final_from = 0
    user: tuple[int, str] | None = None
    for ins in _instructions(text):
        if ins.keyword == "FROM":
            parts = [p for p in ins.args.split() if not p.startswith("--")]
            image = parts[0] if parts else ""
            if len(parts) >= 3 and parts[1].lower() == "as":
                stages.append(parts[2])
            if image and image not in stages and _image_unpinned(image):
                findings.append(
                    _finding(
                        "golive.docker.image-tag",
                        "image-tag",
                        Severity.MEDIUM,
                        f"Base image {image} is not pinned to a version",
                        path,
                        ins.line,
                        "",
                    )
                )
            final_from, user = ins.line, None
        elif ins.keyword == "USER":
            user = (ins.line, ins.args.split(":", 1)[0].strip())
    if final_from and (user is None or user[1] in ("root", "0")):
        line = user[0] if user else final_from
        findings.append(
            _finding(
                "golive.docker.root-user",
                "container-root",
                Severity.HIGH,
                "The container runs as root (no USER, or USER root, in the final stage)",
                path,
                line,
                "",
            )
        )
    return findings


# ---------------------------------------------------------------------------------------
# Kubernetes


def _line(node: Any) -> int:
    lc = getattr(node, "lc", None)
    return int(lc.line) + 1 if lc is not None and lc.line is not None else 0


def _pod_spec(doc: dict[str, Any]) -> dict[str, Any] | None:
    kind = doc.get("kind")
    spec = doc.get("spec") or {}
    if kind == "Pod":
        return spec if isinstance(spec, dict) else None
    if kind == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    template = spec.get("template") or {}
    pod = template.get("spec")
    return pod if isinstance(pod, dict) else None


def _template_labels(doc: dict[str, Any]) -> dict[str, str]:
    spec = doc.get("spec") or {}
    if doc.get("kind") == "Pod":
        return dict((doc.get("metadata") or {}).get("labels") or {})
    return dict(((spec.get("template") or {}).get("metadata") or {}).get("labels") or {})


def _truthy(ctx: dict[str, Any] | None, key: str) -> bool | None:
    if not isinstance(ctx, dict) or key not in ctx:
        return None
    return bool(ctx[key])


def _workload_findings(doc: dict[str, Any], path: str) -> list[Finding]:
    kind = str(doc.get("kind"))
    name = str((doc.get("metadata") or {}).get("name", "?"))
    resource = f"{kind}/{name}"
    pod = _pod_spec(doc)
    if pod is None:
        return []
    out = []
    pod_sc = pod.get("securityContext") or {}
    containers = list(pod.get("containers") or [])
    every = containers + list(pod.get("initContainers") or [])
    for c in every:
        cname = str(c.get("name", "?"))
        where = f"{resource} container {cname}"
        line = _line(c)
        sc = c.get("securityContext") or {}
        image = str(c.get("image", ""))
        if image and _image_unpinned(image):
            out.append(
                _finding(
                    "golive.k8s.image-tag",
                    "image-tag",
                    Severity.MEDIUM,
                    f"Image {image} is not pinned to a version",
                    path,
                    line,
                    resource,
                )
            )
        non_root = _truthy(sc, "runAsNonRoot")
        if non_root is None:
            non_root = _truthy(pod_sc, "runAsNonRoot")
        uid = sc.get("runAsUser", pod_sc.get("runAsUser"))
        if uid == 0 or not (non_root or (isinstance(uid, int) and uid > 0)):
            out.append(
                _finding(
                    "golive.k8s.non-root",
                    "container-root",
                    Severity.HIGH,
                    f"{where} may run as root (set runAsNonRoot: true and a non-zero runAsUser)",
                    path,
                    line,
                    resource,
                )
            )
        if sc.get("privileged"):
            out.append(
                _finding(
                    "golive.k8s.privileged",
                    "privileged",
                    Severity.HIGH,
                    f"{where} is privileged",
                    path,
                    line,
                    resource,
                )
            )
        if not sc.get("readOnlyRootFilesystem"):
            out.append(
                _finding(
                    "golive.k8s.read-only-rootfs",
                    "k8s-read-only-rootfs",
                    Severity.MEDIUM,
                    f"{where} has a writable root filesystem",
                    path,
                    line,
                    resource,
                )
            )
        res = c.get("resources") or {}
        requests, limits = res.get("requests") or {}, res.get("limits") or {}
        lacking = [
            n
            for n, ok in (
                ("requests.cpu", "cpu" in requests),
                ("requests.memory", "memory" in requests),
                ("limits.memory", "memory" in limits),
            )
            if not ok
        ]
        if lacking:
            out.append(
                _finding(
                    "golive.k8s.resources",
                    "k8s-resources",
                    Severity.MEDIUM,
                    f"{where} lacks {', '.join(lacking)}",
                    path,
                    line,
                    resource,
                )
            )
    if kind in LONG_RUNNING:
        for c in containers:
            lacking = [p for p in ("readinessProbe", "livenessProbe") if not c.get(p)]
            if lacking:
                out.append(
                    _finding(
                        "golive.k8s.probes",
                        "k8s-probes",
                        Severity.MEDIUM,
                        f"{resource} container {c.get('name', '?')} has no {' or '.join(lacking)}",
                        path,
                        _line(c),
                        resource,
                    )
                )
    return out


def _pdb_covers(pdb: dict[str, Any], labels: dict[str, str]) -> bool:
    selector = ((pdb.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def kubernetes_findings(docs: list[tuple[str, dict[str, Any]]]) -> list[Finding]:
    """golive's rules over every workload; PDBs are looked up across all the manifests."""
    out = []
    pdbs = [d for _, d in docs if d.get("kind") == "PodDisruptionBudget"]
    for path, doc in docs:
        if doc.get("kind") not in WORKLOADS:
            continue
        out += _workload_findings(doc, path)
        replicas = (doc.get("spec") or {}).get("replicas", 1)
        if doc.get("kind") in ("Deployment", "StatefulSet") and isinstance(replicas, int) and replicas > 1:
            labels = _template_labels(doc)
            if not any(_pdb_covers(p, labels) for p in pdbs):
                name = (doc.get("metadata") or {}).get("name", "?")
                resource = f"{doc.get('kind')}/{name}"
                out.append(
                    _finding(
                        "golive.k8s.pdb",
                        "k8s-pdb",
                        Severity.MEDIUM,
                        f"{resource} runs {replicas} replicas without a PodDisruptionBudget",
                        path,
                        _line(doc),
                        resource,
                    )
                )
    return out


# ---------------------------------------------------------------------------------------
# Compose


def compose_findings(doc: dict[str, Any], path: str) -> list[Finding]:
    """Privileged, root, host-network and unpinned services in a compose file."""
    out = []
    for name, svc in (doc.get("services") or {}).items():
        if not isinstance(svc, dict):
            continue
        resource = f"service {name}"
        line = _line(svc)
        image = str(svc.get("image", ""))
        if image and "build" not in svc and _image_unpinned(image):
            out.append(
                _finding(
                    "golive.compose.image-tag",
                    "image-tag",
                    Severity.MEDIUM,
                    f"Image {image} is not pinned to a version",
                    path,
                    line,
                    resource,
                )
            )
        if svc.get("privileged"):
            out.append(
                _finding(
                    "golive.compose.privileged",
                    "privileged",
                    Severity.HIGH,
                    f"Service {name} runs privileged",
                    path,
                    line,
                    resource,
                )
            )
        caps = {str(c).upper() for c in svc.get("cap_add") or []}
        if caps & {"ALL", "SYS_ADMIN", "NET_ADMIN"}:
            out.append(
                _finding(
                    "golive.compose.capabilities",
                    "privileged",
                    Severity.HIGH,
                    f"Service {name} adds {', '.join(sorted(caps))}",
                    path,
                    line,
                    resource,
                )
            )
        if str(svc.get("user", "")).split(":", 1)[0] in ("root", "0"):
            out.append(
                _finding(
                    "golive.compose.root-user",
                    "container-root",
                    Severity.HIGH,
                    f"Service {name} runs as root",
                    path,
                    line,
                    resource,
                )
            )
        if svc.get("network_mode") == "host":
            out.append(
                _finding(
                    "golive.compose.network-host",
                    "network-host",
                    Severity.MEDIUM,
                    f"Service {name} uses the host network",
                    path,
                    line,
                    resource,
                )
            )
    return out


# ---------------------------------------------------------------------------------------
# Scanners


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
                for doc in docs:
                    if isinstance(doc, dict):
                        findings += compose_findings(doc, rel)
                continue
            for doc in docs:
                if isinstance(doc, dict) and "apiVersion" in doc and "kind" in doc:
                    if doc.get("kind") == "List":
                        k8s += [(rel, d) for d in doc.get("items") or [] if isinstance(d, dict)]
                    else:
                        k8s.append((rel, doc))
        findings += kubernetes_findings(k8s)
        reason = f"not YAML, skipped: {', '.join(skipped)}" if skipped else ""
        return ToolRun(tool=self.name, state=RunState.RAN, findings=tuple(findings), reason=reason)


def _checkov_resource(check_type: str, resource: str) -> str:
    if check_type == "kubernetes":
        parts = resource.split(".")
        if len(parts) >= 3:
            return f"{parts[0]}/{parts[2]}"
    return "" if check_type == "dockerfile" else resource


@dataclass
class CheckovScanner:
    """checkov on Dockerfiles and Kubernetes manifests (``--skip-download``: offline)."""

    excludes: tuple[str, ...]
    frameworks: tuple[str, ...] = ("dockerfile", "kubernetes")
    name: str = "checkov"

    async def scan(self, root: Path, ctx: CheckContext) -> ToolRun:
        """Run checkov and keep its failed checks."""
        exe = find_tool("checkov")
        if exe is None:
            return ToolRun(tool=self.name, state=RunState.SKIPPED, reason=missing("checkov"))
        argv = [
            exe,
            "-d",
            ".",
            "--framework",
            *self.frameworks,
            "--skip-download",
            "-o",
            "json",
            "--quiet",
            "--compact",
        ]
        for ex in self.excludes:
            argv += ["--skip-path", ex]
        env = {"BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
        data, result = await run_json(ctx, argv, cwd=root, ok_codes=(0, 1), env=env)
        reports = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
        findings = []
        version = ""
        for rep in reports:
            check_type = str(rep.get("check_type", ""))
            version = version or str((rep.get("summary") or {}).get("checkov_version", ""))
            for f in (rep.get("results") or {}).get("failed_checks", []) or []:
                cid = str(f.get("check_id"))
                path = relative(str(f.get("file_path", "")).lstrip("/"), root)
                lines = f.get("file_line_range") or [0, 0]
                resource = _checkov_resource(check_type, str(f.get("resource", "")))
                category = _CHECKOV_CATEGORY.get(cid, cid)
                severity = (
                    Severity.parse(str(f["severity"]), Severity.LOW)
                    if f.get("severity")
                    else _CHECKOV_SEVERITY.get(cid, Severity.LOW)
                )
                findings.append(
                    Finding(
                        tool=self.name,
                        rule_id=cid,
                        severity=severity,
                        title=str(f.get("check_name", cid)),
                        location=Location(path=path, line=int(lines[0] or 0), resource=resource),
                        fingerprint=fingerprint("iac", category, path, resource),
                        category="iac",
                        advice=_ADVICE.get(category, "")
                        or f"See {f.get('guideline') or 'the checkov policy index'} for {cid}.",
                        help_url=str(f.get("guideline") or ""),
                        dedupe_key=_key(path, category, resource),
                    )
                )
        return ToolRun(
            tool=self.name,
            state=RunState.RAN,
            findings=tuple(findings),
            command=result.command_line,
            version=version,
            information_uri="https://www.checkov.io/",
        )
