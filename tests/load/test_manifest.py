"""The documented Kubernetes manifest for Locust workers on other machines is valid."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest
from ruamel.yaml import YAML

MANIFEST = Path(__file__).resolve().parents[2] / "docs" / "load" / "kubernetes-workers.yaml"


@pytest.mark.parametrize("k8s_version", ["1.25", "1.32"])
def test_worker_manifest_is_valid_kubernetes(k8s_version: str) -> None:
    docs = [d for d in YAML(typ="safe").load_all(MANIFEST.read_text()) if d]
    assert docs, "the manifest is empty"
    for doc in docs:
        kubernetes_validate.validate(doc, k8s_version, strict=True)
