"""golive's own Kubernetes rules: what a workload needs to run safely in production.

Probes, resource requests/limits, non-root, read-only root filesystem, no privileged
containers, pinned images, and a PodDisruptionBudget for replicated workloads.
"""

from __future__ import annotations

from typing import Any

from golive.security._iac_rules import Place, finding, image_unpinned, yaml_line
from golive.security.base import Finding, Severity

WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"}
LONG_RUNNING = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod"}


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


def _resource(doc: dict[str, Any]) -> str:
    return f"{doc.get('kind')}/{(doc.get('metadata') or {}).get('name', '?')}"


def _truthy(context: dict[str, Any] | None, key: str) -> bool | None:
    if not isinstance(context, dict) or key not in context:
        return None
    return bool(context[key])


def _may_run_as_root(sc: dict[str, Any], pod_sc: dict[str, Any]) -> bool:
    """The container's securityContext wins over the pod's; a positive uid counts as non-root."""
    non_root = _truthy(sc, "runAsNonRoot")
    if non_root is None:
        non_root = _truthy(pod_sc, "runAsNonRoot")
    uid = sc.get("runAsUser", pod_sc.get("runAsUser"))
    return uid == 0 or not (non_root or (isinstance(uid, int) and uid > 0))


def _lacking_resources(container: dict[str, Any]) -> list[str]:
    res = container.get("resources") or {}
    requests, limits = res.get("requests") or {}, res.get("limits") or {}
    present = {
        "requests.cpu": "cpu" in requests,
        "requests.memory": "memory" in requests,
        "limits.memory": "memory" in limits,
    }
    return [name for name, ok in present.items() if not ok]


def _container_findings(container: dict[str, Any], pod_sc: dict[str, Any], place: Place) -> list[Finding]:
    """The per-container rules (init containers included)."""
    where = f"{place.resource} container {container.get('name', '?')}"
    sc = container.get("securityContext") or {}
    image = str(container.get("image", ""))
    out = []
    if image and image_unpinned(image):
        out.append(
            finding(
                "golive.k8s.image-tag",
                "image-tag",
                Severity.MEDIUM,
                f"Image {image} is not pinned to a version",
                place,
            )
        )
    if _may_run_as_root(sc, pod_sc):
        out.append(
            finding(
                "golive.k8s.non-root",
                "container-root",
                Severity.HIGH,
                f"{where} may run as root (set runAsNonRoot: true and a non-zero runAsUser)",
                place,
            )
        )
    if sc.get("privileged"):
        out.append(
            finding("golive.k8s.privileged", "privileged", Severity.HIGH, f"{where} is privileged", place)
        )
    if not sc.get("readOnlyRootFilesystem"):
        out.append(
            finding(
                "golive.k8s.read-only-rootfs",
                "k8s-read-only-rootfs",
                Severity.MEDIUM,
                f"{where} has a writable root filesystem",
                place,
            )
        )
    lacking = _lacking_resources(container)
    if lacking:
        out.append(
            finding(
                "golive.k8s.resources",
                "k8s-resources",
                Severity.MEDIUM,
                f"{where} lacks {', '.join(lacking)}",
                place,
            )
        )
    return out


def _probe_findings(container: dict[str, Any], place: Place) -> list[Finding]:
    """Long-running containers need readiness and liveness probes (init containers do not)."""
    lacking = [p for p in ("readinessProbe", "livenessProbe") if not container.get(p)]
    if not lacking:
        return []
    return [
        finding(
            "golive.k8s.probes",
            "k8s-probes",
            Severity.MEDIUM,
            f"{place.resource} container {container.get('name', '?')} has no {' or '.join(lacking)}",
            place,
        )
    ]


def _workload_findings(doc: dict[str, Any], path: str) -> list[Finding]:
    pod = _pod_spec(doc)
    if pod is None:
        return []
    resource = _resource(doc)
    pod_sc = pod.get("securityContext") or {}
    containers = list(pod.get("containers") or [])
    out = []
    for c in containers + list(pod.get("initContainers") or []):
        out += _container_findings(c, pod_sc, Place(path=path, line=yaml_line(c), resource=resource))
    if doc.get("kind") in LONG_RUNNING:
        for c in containers:
            out += _probe_findings(c, Place(path=path, line=yaml_line(c), resource=resource))
    return out


def _pdb_covers(pdb: dict[str, Any], labels: dict[str, str]) -> bool:
    selector = ((pdb.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _pdb_findings(doc: dict[str, Any], path: str, pdbs: list[dict[str, Any]]) -> list[Finding]:
    """A replicated Deployment/StatefulSet needs a PodDisruptionBudget selecting its pods."""
    replicas = (doc.get("spec") or {}).get("replicas", 1)
    if doc.get("kind") not in ("Deployment", "StatefulSet") or not isinstance(replicas, int) or replicas <= 1:
        return []
    labels = _template_labels(doc)
    if any(_pdb_covers(p, labels) for p in pdbs):
        return []
    resource = _resource(doc)
    return [
        finding(
            "golive.k8s.pdb",
            "k8s-pdb",
            Severity.MEDIUM,
            f"{resource} runs {replicas} replicas without a PodDisruptionBudget",
            Place(path=path, line=yaml_line(doc), resource=resource),
        )
    ]


def kubernetes_findings(docs: list[tuple[str, dict[str, Any]]]) -> list[Finding]:
    """golive's rules over every workload; PDBs are looked up across all the manifests."""
    pdbs = [d for _, d in docs if d.get("kind") == "PodDisruptionBudget"]
    out = []
    for path, doc in docs:
        if doc.get("kind") in WORKLOADS:
            out += _workload_findings(doc, path)
            out += _pdb_findings(doc, path, pdbs)
    return out
