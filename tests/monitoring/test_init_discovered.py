"""``golive init monitoring`` scrapes the discovered port and metrics path (monitoring/_init.py).

The scrape target's port is the one the service declares, so ``prometheus.config``'s port
check passes on the generated file for the right reason; base_url's port (where a review
reaches the service) no longer decides it.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from golive.discover.facts import Fact, Source
from golive.monitoring._generate import generate
from golive.monitoring._init import settings_for
from golive.monitoring._inventory import parse_exposition
from golive.monitoring.checks import PrometheusConfigCheck
from golive.results import Status
from golive.spec.models import Environment, Spec
from tests.fixtures.service_facts import known_facts
from tests.fixtures.services import make_repo
from tests.monitoring.conftest import run_check, write_files

EXPOSITION = """\
# TYPE http_requests_total counter
http_requests_total{method="GET",route="/stock/:sku",status="200"} 10
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{route="/stock/:sku",le="0.1"} 9
http_request_duration_seconds_bucket{route="/stock/:sku",le="+Inf"} 10
http_request_duration_seconds_sum{route="/stock/:sku"} 0.5
http_request_duration_seconds_count{route="/stock/:sku"} 10
"""


def _spec(name: str) -> Spec:
    return Spec.model_validate({"service": {"name": name}, "environments": {"staging": {}}})


def _job(prometheus_yml: str) -> dict[str, object]:
    doc = YAML(typ="safe", pure=True).load(prometheus_yml)
    job: dict[str, object] = doc["scrape_configs"][0]
    return job


def test_target_port_and_metrics_path_are_the_discovered_ones(tmp_path: Path) -> None:
    facts = known_facts("node_express", tmp_path)
    base = Environment(base_url="http://127.0.0.1:9")
    settings = settings_for(_spec("inventory-api"), base, facts=facts)
    assert settings.target == "127.0.0.1:3000"  # the host a review reaches, the port the service declares
    moved = replace(facts, metrics_path=Fact(value="/internal/metrics", source=Source(path="src/app.js")))
    job = _job(
        generate(settings_for(_spec("inventory-api"), base, facts=moved), parse_exposition(EXPOSITION)).files[
            "prometheus.yml"
        ]
    )
    assert job["metrics_path"] == "/internal/metrics"
    # No base_url (a spec that only reads files): the service's name stands for its host.
    assert settings_for(_spec("inventory-api"), Environment(), facts=facts).target == "inventory-api:3000"


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool missing")
def test_prometheus_config_port_check_passes_on_the_generated_config(tmp_path: Path) -> None:
    root = make_repo("node_express", tmp_path)
    facts = known_facts("node_express", root)
    settings = settings_for(_spec("inventory-api"), Environment(base_url="http://127.0.0.1:9"), facts=facts)
    files = generate(settings, parse_exposition(EXPOSITION)).files
    write_files(root / "monitoring-golive", dict(files))
    job = str(_job(files["prometheus.yml"])["job_name"])
    out = run_check(
        PrometheusConfigCheck,
        {"config": "monitoring-golive/prometheus.yml", "jobs": [job], "service_jobs": [job]},
        workdir=root,
    )
    assert out.status is Status.PASS, out.summary
    assert "1 target(s) of inventory-api use a declared port (3000: Dockerfile: EXPOSE 3000" in out.summary
