"""container.image and container.runtime against real images and containers (marker ``staging``).

The storefront image and the staging stack come from scripts/images.sh and
tests/fixtures/staging.py; the failing image and container are made here from the base image
and always removed.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from golive.containers.image import ImageCheck
from golive.containers.runtime import RuntimeCheck
from golive.results import Status
from tests.fixtures.containers import BAD_IMAGE, OSV_DEBIAN
from tests.fixtures.staging import DOCKER_ENV, leftovers, staging_stack
from tests.security.conftest import OSV_DIR, PLANTED_SECRET, run_check

pytestmark = [pytest.mark.staging, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
DOCKER = {"docker_host": DOCKER_ENV["DOCKER_HOST"]}


def _docker(*args: str) -> str:
    env = {**os.environ, **DOCKER_ENV}
    return subprocess.run(
        ["/usr/bin/docker", *args], env=env, capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture(scope="module")
def images() -> dict[str, str]:
    """KEY=image lines of scripts/images.sh (built when their inputs changed)."""
    out = subprocess.run(
        ["bash", str(ROOT / "scripts" / "images.sh")], capture_output=True, text=True, check=True, timeout=900
    ).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


@pytest.fixture
def bad_image(images: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """An image built from the base with a deleted key, an apt cache, root and no healthcheck."""
    context = tmp_path / "context"
    shutil.copytree(BAD_IMAGE, context)
    (context / "credentials.env").write_text(f"AWS_ACCESS_KEY_ID={PLANTED_SECRET}\n")
    tag = f"golive-test-bad:{secrets.token_hex(4)}"
    _docker(
        "build",
        "-q",
        "--network",
        "none",
        "--build-arg",
        f"BASE_IMAGE={images['BASE_IMAGE']}",
        "-t",
        tag,
        str(context),
    )
    try:
        yield tag
    finally:
        _docker("rmi", "-f", tag)


def test_the_storefront_image_passes(images: dict[str, str], tmp_path: Path) -> None:
    params = {"image": images["STOREFRONT_IMAGE"], "osv_db": str(OSV_DIR), **DOCKER}
    outcome = run_check(ImageCheck, params, tmp_path)
    assert outcome.status is Status.PASS, outcome.evidence.excerpt
    measured = {m.name: m.value for m in outcome.measurements}
    assert measured["layers"] >= 2 and measured["files_scanned_for_secrets"] > 0
    assert measured["packages_dpkg"] > 50 and measured["packages_python"] > 10
    assert (tmp_path / ".artifacts" / "sbom.cdx.json").is_file()


def test_a_bad_image_fails_naming_each_problem(bad_image: str, tmp_path: Path) -> None:
    params = {"image": bad_image, "osv_db": str(OSV_DEBIAN), "max_size_mb": 100, **DOCKER}
    outcome = run_check(ImageCheck, params, tmp_path)
    assert outcome.status is Status.FAIL
    text = outcome.evidence.excerpt
    assert "runs as root (USER not set)" in text
    assert "has no HEALTHCHECK" in text
    assert "apt archives in layer" in text and "tool_1.0_all.deb" in text
    assert "AWS Access Key in /opt/app/credentials.env; deleted or replaced by a later layer" in text
    assert "GOLIVE-TEST-DEB-0001" in text and "bash" in text
    assert "over its budget of 100 MB" in text
    assert PLANTED_SECRET not in text
    sarif = (tmp_path / ".artifacts" / "findings.sarif").read_text()
    assert "GOLIVE-TEST-DEB-0001" in sarif and "container.root-user" in sarif


def test_runtime_names_each_missing_property(images: dict[str, str], tmp_path: Path) -> None:
    project = f"golive-test-{secrets.token_hex(4)}"
    label = f"com.docker.compose.project={project}"
    name = f"{project}_loose_1"
    _docker(
        "run",
        "-d",
        "--name",
        name,
        "--network",
        "none",
        "--label",
        label,
        images["BASE_IMAGE"],
        "sleep",
        "300",
    )
    try:
        outcome = run_check(RuntimeCheck, {"project": project, **DOCKER}, tmp_path)
    finally:
        _docker("rm", "-f", name)
    assert outcome.status is Status.FAIL
    for miss in (
        "root filesystem is writable",
        "no memory limit",
        "no CPU limit",
        "restart policy is no",
        "no healthcheck",
    ):
        assert f"{name}: {miss}" in outcome.evidence.excerpt
    assert leftovers(project) == []


def test_runtime_passes_on_the_staging_stack(tmp_path: Path) -> None:
    with staging_stack() as stack:
        outcome = run_check(RuntimeCheck, {"project": stack.project, **DOCKER}, tmp_path)
    assert outcome.status is Status.PASS, outcome.evidence.excerpt
    assert "one-shot job(s) done" in outcome.summary and "migrate" in outcome.summary
    assert leftovers(stack.project) == []
