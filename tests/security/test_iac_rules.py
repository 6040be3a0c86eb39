"""golive's own Dockerfile, Kubernetes and compose rules (no external tool)."""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML

from golive.security._iac_rules import compose_findings, dockerfile_findings
from golive.security._k8s_rules import kubernetes_findings


def rules(findings: list[Any]) -> set[str]:
    return {f.rule_id for f in findings}


def test_dockerfile_final_stage_decides_the_user() -> None:
    multi = "FROM python:3.11-slim AS build\nUSER 1000\nFROM python:3.11-slim\nCOPY --from=build /a /a\n"
    found = dockerfile_findings(multi, "Dockerfile")
    assert rules(found) == {"golive.docker.root-user"} and found[0].location.line == 3
    ok = "FROM python:3.11-slim AS build\nFROM build\nUSER 10001:10001\n"
    assert dockerfile_findings(ok, "Dockerfile") == []
    assert rules(dockerfile_findings("FROM python\nUSER root\n", "D")) == {
        "golive.docker.root-user",
        "golive.docker.image-tag",
    }
    assert dockerfile_findings("FROM python@sha256:abc\nUSER app\n", "D") == []


def _docs(text: str) -> list[tuple[str, dict[str, Any]]]:
    return [("k.yaml", d) for d in YAML(typ="rt").load_all(io.StringIO(text)) if d]


GOOD = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  template:
    metadata: {labels: {app: web}}
    spec:
      securityContext: {runAsNonRoot: true, runAsUser: 10001}
      containers:
        - name: web
          image: web:1.2.3
          readinessProbe: {httpGet: {path: /readyz, port: 8000}}
          livenessProbe: {httpGet: {path: /healthz, port: 8000}}
          resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {memory: 128Mi}}
          securityContext: {readOnlyRootFilesystem: true}
"""
PDB = """
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec: {minAvailable: 1, selector: {matchLabels: {app: web}}}
"""


def test_kubernetes_good_workload_with_pdb_is_clean() -> None:
    assert kubernetes_findings(_docs(GOOD + PDB)) == []


def test_kubernetes_pdb_required_for_replicas() -> None:
    found = kubernetes_findings(_docs(GOOD))
    assert rules(found) == {"golive.k8s.pdb"}
    wrong = PDB.replace("app: web", "app: other")
    assert rules(kubernetes_findings(_docs(GOOD + wrong))) == {"golive.k8s.pdb"}


def test_kubernetes_each_rule() -> None:
    bad = GOOD.replace("runAsNonRoot: true, runAsUser: 10001", "runAsUser: 0")
    bad = bad.replace("image: web:1.2.3", "image: web").replace(
        "readOnlyRootFilesystem: true", "privileged: true"
    )
    bad = bad.replace("          livenessProbe: {httpGet: {path: /healthz, port: 8000}}\n", "")
    bad = bad.replace(", limits: {memory: 128Mi}", "")
    found = kubernetes_findings(_docs(bad + PDB))
    assert rules(found) == {
        "golive.k8s.non-root",
        "golive.k8s.image-tag",
        "golive.k8s.privileged",
        "golive.k8s.read-only-rootfs",
        "golive.k8s.probes",
        "golive.k8s.resources",
    }
    assert all(f.location.resource == "Deployment/web" and f.location.line == 12 for f in found)
    cron = (
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: j}\nspec:\n  jobTemplate:\n    spec:\n"
        "      template:\n        spec:\n          containers: [{name: j, image: 'j:1'}]\n"
    )
    assert "golive.k8s.probes" not in rules(kubernetes_findings(_docs(cron)))  # jobs need no probes
    assert "golive.k8s.non-root" in rules(kubernetes_findings(_docs(cron)))


def test_compose_rules() -> None:
    doc = YAML(typ="rt").load(
        "services:\n  a: {image: 'x:latest', privileged: true, user: root, network_mode: host}\n"
        "  b: {build: ., image: 'b'}\n  c: {image: 'c:1.0', cap_add: [SYS_ADMIN]}\n"
    )
    assert rules(compose_findings(doc, "compose.yaml")) == {
        "golive.compose.image-tag",
        "golive.compose.privileged",
        "golive.compose.root-user",
        "golive.compose.network-host",
        "golive.compose.capabilities",
    }
