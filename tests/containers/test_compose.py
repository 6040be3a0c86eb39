"""compose.config on fixture compose files: offline, docker-compose only (no daemon)."""

from __future__ import annotations

import shutil

import pytest

from golive.containers._compose_rules import image_pinned, published_address
from golive.containers.compose import ComposeConfigCheck
from golive.results import Status
from tests.fixtures.containers import COMPOSE
from tests.security.conftest import run_check

pytestmark = pytest.mark.skipif(
    shutil.which("docker-compose") is None, reason="docker-compose is not installed"
)


def test_a_compliant_file_passes_and_names_the_one_shot_job() -> None:
    outcome = run_check(ComposeConfigCheck, {"file": "good.yaml"}, COMPOSE)
    assert outcome.status is Status.PASS, outcome.summary
    assert "seed: one-shot job" in outcome.summary


def test_every_miss_is_located_and_named() -> None:
    outcome = run_check(ComposeConfigCheck, {"file": "bad.yaml", "env": {"CACHE_IMAGE": "redis:7"}}, COMPOSE)
    assert outcome.status is Status.FAIL
    lines = outcome.evidence.excerpt.splitlines()
    assert "bad.yaml:3:3: service web: no healthcheck" in lines
    assert any(
        line.startswith("bad.yaml:4:5: service web: image nginx:latest is not pinned") for line in lines
    )
    assert any("port 8080:80 is published on every interface" in line for line in lines)
    assert any("port 0.0.0.0:8443:443 is published on 0.0.0.0" in line for line in lines)
    assert not any("9000" in line for line in lines)
    assert any("service cache: healthcheck disabled but restart is not" in line for line in lines)
    assert any("service cache: image redis:7 is not pinned" in line for line in lines)


def test_a_file_docker_compose_refuses_fails_with_located_errors() -> None:
    outcome = run_check(ComposeConfigCheck, {"file": "invalid.yaml"}, COMPOSE)
    assert outcome.status is Status.FAIL
    assert (
        "invalid.yaml:6:5: Unsupported config option for services.web: 'colour'" in outcome.evidence.excerpt
    )
    assert "invalid.yaml:5:5: services.web.ports contains an invalid type" in outcome.evidence.excerpt


def test_a_yaml_error_is_located_where_the_parser_stopped() -> None:
    outcome = run_check(ComposeConfigCheck, {"file": "broken.yaml"}, COMPOSE)
    assert outcome.status is Status.FAIL
    assert outcome.summary.startswith("docker-compose config refused the file: broken.yaml:4:12:")


def test_a_missing_file_is_no_data() -> None:
    outcome = run_check(ComposeConfigCheck, {"file": "absent.yaml"}, COMPOSE)
    assert outcome.status is Status.NO_DATA


@pytest.mark.parametrize(
    ("image", "pinned"),
    [
        ("nginx@sha256:" + "a" * 64, True),
        ("sha256:" + "b" * 64, True),
        ("storefront:0.1.0-bf3a002be8dfd5f2", True),
        ("golive-staging/postgres:baae253f79452914", True),
        ("registry.example.com/app:baae253f79452914", False),
        ("nginx:latest", False),
        ("nginx", False),
        ("postgres:16.4", False),
    ],
)
def test_pinned_images(image: str, pinned: bool) -> None:
    assert image_pinned(image) is pinned


def test_published_addresses() -> None:
    assert published_address("127.0.0.1:80:80/tcp") == ("127.0.0.1", "127.0.0.1:80:80")
    assert published_address("[::1]:80:80") == ("::1", "[::1]:80:80")
    assert published_address({"published": 8080, "target": 80}) == ("", "8080:80")
    assert published_address({"target": 80}) is None
