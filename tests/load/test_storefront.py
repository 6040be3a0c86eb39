"""storefront's load scenario (examples/storefront/load) on SQLite, and db.queries on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from golive.load.checks import DbQueriesCheck, LoadTestCheck
from golive.results import Status
from tests.fixtures.load import postgres as pg
from tests.fixtures.servers import STOREFRONT, Server, storefront
from tests.load.conftest import RunCheck, measurement

pytestmark = pytest.mark.slow

# OWASP's argon2id minimum (19 MiB, t=2, p=1). storefront's default (64 MiB, t=3, p=4) keeps
# both cores busy for ~0.5 s per login on this 2-core machine and pushes browse p95 past 300 ms
# at ~6 req/s: a finding the load test reports, not something the test should hide by default.
ARGON2_OWASP = {"ARGON2_MEMORY_COST_KIB": "19456", "ARGON2_TIME_COST": "2", "ARGON2_PARALLELISM": "1"}
# As in storefront's spec: the load comes from one address; the per-account login limit stays.
REVIEW_ENV = {**ARGON2_OWASP, "RATE_LIMIT_IP": "6000/minute"}

SCENARIO = {"locustfile": "load/locustfile.py", "users": 5, "ramp_up": "2s", "duration": "6s"}


def _spec_check(criterion_id: str) -> dict[str, Any]:
    """The params of one of storefront's own criteria, exactly as its golive.yaml gives them."""
    spec = YAML(typ="safe").load((STOREFRONT / "golive.yaml").read_text())
    check = next(c["check"] for c in spec["criteria"] if c["id"] == criterion_id)
    return {k: v for k, v in check.items() if k != "type"}


def _seed(database_url: str, env: Mapping[str, str] = ()) -> None:  # type: ignore[assignment]
    full = {**os.environ, "DATABASE_URL": database_url, "AUTO_MIGRATE": "true", **dict(env)}
    subprocess.run(
        [sys.executable, "-m", "storefront", "seed", "--products", "50"],
        cwd=STOREFRONT,
        env=full,
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def seeded_storefront(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("sf")
    url = f"sqlite:///{tmp / 'storefront.db'}"
    _seed(url)
    with storefront(tmp, database_url=url, env=REVIEW_ENV) as server:
        yield server


def test_storefront_perf_load_judges_every_threshold_on_enough_samples(
    run_check: RunCheck, seeded_storefront: Server
) -> None:
    """storefront's own perf.load criterion: every thresholded request judged, and met."""
    outcome = run_check(
        LoadTestCheck,
        _spec_check("perf.load"),
        base_url=seeded_storefront.url,
        workdir_override=STOREFRONT,
        timeout=150,
    )
    assert outcome.status is Status.PASS, outcome.summary + "\n" + outcome.evidence.excerpt
    text = outcome.evidence.excerpt
    assert "not judged" not in text
    for name in ("browse: list", "browse: product", "login", "order", "pay", "register"):
        assert name in text
    assert measurement(outcome, "p95[pay]") < 500
    assert measurement(outcome, "error_rate") < 1


@pytest.mark.postgres
def test_storefront_db_queries_on_postgres(run_check: RunCheck, tmp_path: Path) -> None:
    if not pg.available():
        pytest.skip("needs initdb and root")
    with pg.cluster() as url:
        sa_url = url.replace("postgresql://", "postgresql+psycopg://")
        _seed(sa_url)
        with storefront(tmp_path, database_url=sa_url, env=ARGON2_OWASP) as server:
            outcome = run_check(
                DbQueriesCheck,
                {
                    **SCENARIO,
                    "duration": "4s",
                    "create_extension": True,
                    "large_table_rows": 1000,
                },
                base_url=server.url,
                database_url=sa_url,
                workdir_override=STOREFRONT,
            )
    assert outcome.status in (Status.PASS, Status.FAIL), outcome.summary
    assert measurement(outcome, "statements") > 5
    assert "products" in outcome.evidence.excerpt and "top by total time" in outcome.evidence.excerpt
