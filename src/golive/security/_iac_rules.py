"""golive's own container rules: Dockerfiles and compose files, and what every IaC rule shares.

Each rule function parses nothing itself: it gets the text or the loaded YAML document and
returns its findings. The Kubernetes rules are in :mod:`golive.security._k8s_rules`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from golive.security.base import Finding, Location, Severity, fingerprint

ADVICE = {
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
"""Remediation per category, shared by golive's rules and the checkov ids mapped onto them."""


def dedupe_key(path: str, category: str, resource: str) -> str:
    """Findings with this key are one problem, whichever IaC scanner reported them."""
    return f"iac|{path}|{category}|{resource}"


@dataclass(frozen=True, kw_only=True)
class Place:
    """Where a rule looks: a file, a line in it, and the resource (``Deployment/web``...)."""

    path: str
    line: int
    resource: str = ""


def finding(rule: str, category: str, severity: Severity, title: str, place: Place) -> Finding:
    """One finding of golive's own IaC rules."""
    return Finding(
        tool="golive",
        rule_id=rule,
        severity=severity,
        title=title,
        location=Location(path=place.path, line=place.line, resource=place.resource),
        fingerprint=fingerprint("iac", category, place.path, place.resource),
        category="iac",
        advice=ADVICE.get(category, ""),
        dedupe_key=dedupe_key(place.path, category, place.resource),
    )


def image_unpinned(image: str) -> bool:
    """True when an image reference has no version tag (or ``latest``) and no digest."""
    if "@sha256:" in image or image == "scratch" or image.startswith("$"):
        return False
    last = image.rsplit("/", 1)[-1]
    return ":" not in last or last.endswith(":latest")


def yaml_line(node: Any) -> int:
    """The 1-based line a round-trip YAML node starts on, or 0."""
    lc = getattr(node, "lc", None)
    return int(lc.line) + 1 if lc is not None and lc.line is not None else 0


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
            if image and image not in stages and image_unpinned(image):
                findings.append(
                    finding(
                        "golive.docker.image-tag",
                        "image-tag",
                        Severity.MEDIUM,
                        f"Base image {image} is not pinned to a version",
                        Place(path=path, line=ins.line),
                    )
                )
            final_from, user = ins.line, None
        elif ins.keyword == "USER":
            user = (ins.line, ins.args.split(":", 1)[0].strip())
    if final_from and (user is None or user[1] in ("root", "0")):
        findings.append(
            finding(
                "golive.docker.root-user",
                "container-root",
                Severity.HIGH,
                "The container runs as root (no USER, or USER root, in the final stage)",
                Place(path=path, line=user[0] if user else final_from),
            )
        )
    return findings


# ---------------------------------------------------------------------------------------
# Compose

_POWERFUL_CAPS = {"ALL", "SYS_ADMIN", "NET_ADMIN"}


def _service_findings(name: str, svc: dict[str, Any], place: Place) -> list[Finding]:
    out = []
    image = str(svc.get("image", ""))
    if image and "build" not in svc and image_unpinned(image):
        out.append(
            finding(
                "golive.compose.image-tag",
                "image-tag",
                Severity.MEDIUM,
                f"Image {image} is not pinned to a version",
                place,
            )
        )
    if svc.get("privileged"):
        out.append(
            finding(
                "golive.compose.privileged",
                "privileged",
                Severity.HIGH,
                f"Service {name} runs privileged",
                place,
            )
        )
    caps = {str(c).upper() for c in svc.get("cap_add") or []}
    if caps & _POWERFUL_CAPS:
        out.append(
            finding(
                "golive.compose.capabilities",
                "privileged",
                Severity.HIGH,
                f"Service {name} adds {', '.join(sorted(caps))}",
                place,
            )
        )
    if str(svc.get("user", "")).split(":", 1)[0] in ("root", "0"):
        out.append(
            finding(
                "golive.compose.root-user",
                "container-root",
                Severity.HIGH,
                f"Service {name} runs as root",
                place,
            )
        )
    if svc.get("network_mode") == "host":
        out.append(
            finding(
                "golive.compose.network-host",
                "network-host",
                Severity.MEDIUM,
                f"Service {name} uses the host network",
                place,
            )
        )
    return out


def compose_findings(doc: dict[str, Any], path: str) -> list[Finding]:
    """Privileged, root, host-network and unpinned services in a compose file."""
    out = []
    for name, svc in (doc.get("services") or {}).items():
        if isinstance(svc, dict):
            place = Place(path=path, line=yaml_line(svc), resource=f"service {name}")
            out += _service_findings(name, svc, place)
    return out
