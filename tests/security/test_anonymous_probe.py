"""security.probe tries every operation without credentials, whatever the OpenAPI document says.

The fixture service, ledger (tests/fixtures/security/ledger), authenticates with an API key
header; its planted defects remove one route's auth dependency, which FastAPI then also drops
from the document. Before issue #14 the probe only tried the operations the document marked
as secured, so both defects passed.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from golive.results import Outcome, Status
from golive.security.checks import ProbeCheck
from golive.security.render import from_json
from tests.fixtures.servers import Server, free_port, server_process
from tests.security.conftest import LEDGER, run_check

KEY = "ledger-test-key-" + "k" * 24
RECORD = Path(".golive/security-probe/test.sec.test.declared-auth.json")


@contextlib.contextmanager
def ledger(tmp: Path, defects: str = "") -> Iterator[Server]:
    """ledger on a free loopback port, with ``defects`` planted."""
    port = free_port()
    env = {**os.environ, "LEDGER_API_KEY": KEY, "LEDGER_DEFECTS": defects}
    argv = [sys.executable, "-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", str(port)]
    log = tmp / f"ledger-{port}.log"
    with server_process(
        [*argv, "--log-level", "warning"], port=port, log=log, health_path="/health", cwd=LEDGER, env=env
    ) as s:
        yield s


def _count(server: Server) -> dict[str, int]:
    return dict(httpx.get(server.url + "/_count").json())


def _probe(server: Server, workdir: Path, **params: Any) -> Outcome:
    params = {"probes": ["auth"], "max_requests": 100, **params}
    env_name = params.pop("environment_name", "test")
    return run_check(
        ProbeCheck,
        params,
        workdir,
        base_url=server.url,
        artifacts=workdir / ".artifacts",
        environment_name=env_name,
    )


def _found(outcome: Outcome) -> dict[tuple[str, str], Any]:
    path = next(a for a in outcome.evidence.artifacts if a.endswith("findings.json"))
    report = from_json(json.loads(Path(path).read_text()))
    return {(f.rule_id, httpx.URL(f.location.url).path): f for f in report.findings}


def _measure(outcome: Outcome, name: str) -> float:
    return next(m.value for m in outcome.measurements if m.name == name)


def test_healthy_ledger_passes_and_its_declared_security_is_recorded(tmp_path: Path) -> None:
    with ledger(tmp_path) as server:
        before = _count(server)
        outcome = _probe(server, tmp_path)
        after = _count(server)
    assert outcome.status is Status.PASS, outcome.evidence.excerpt
    assert _measure(outcome, "operations") == 6
    assert _measure(outcome, "operations_probed_anonymously") == 6
    assert _measure(outcome, "operations_refused_anonymously") == 5  # all but /health
    assert before == after  # every anonymous request was refused: nothing ran
    record = json.loads((tmp_path / RECORD).read_text())
    assert record["operations"]["POST /exports"] == ["APIKeyHeader"]
    assert record["operations"]["GET /health"] == []


def test_route_that_lost_its_auth_fails_on_first_review_and_as_a_change(tmp_path: Path) -> None:
    with ledger(tmp_path) as healthy:
        assert _probe(healthy, tmp_path).status is Status.PASS  # records the declared map
    with ledger(tmp_path, "exports-auth") as broken:
        outcome = _probe(broken, tmp_path)
        again = _probe(broken, tmp_path)
        fresh = _probe(broken, tmp_path / "fresh")
    assert outcome.status is Status.FAIL
    found = _found(outcome)
    success = found[("golive.probe.auth.anonymous-success", "/exports")]
    assert success.severity.value == "high" and "202" in success.evidence
    removed = found[("golive.probe.auth.declared-security-removed", "/exports")]
    assert removed.severity.value == "high" and "APIKeyHeader" in removed.title
    # A failed review does not record the new map: the change keeps being reported.
    assert ("golive.probe.auth.declared-security-removed", "/exports") in _found(again)
    assert json.loads((tmp_path / RECORD).read_text())["operations"]["POST /exports"] == ["APIKeyHeader"]
    # Without any previous record the anonymous success alone fails the review.
    assert fresh.status is Status.FAIL
    assert set(_found(fresh)) == {("golive.probe.auth.anonymous-success", "/exports")}


def test_mutating_route_with_a_body_is_probed_without_changing_data(tmp_path: Path) -> None:
    with ledger(tmp_path, "entries-auth") as broken:
        before = _count(broken)
        open_ = _probe(broken, tmp_path / "a")
        declared = _probe(broken, tmp_path / "b", public_operations=["GET /health"])
        after = _count(broken)
    assert before == after  # the invalid body was rejected (422): no entry was created
    assert "POST /entries -> 422" in open_.evidence.excerpt  # reported as let through
    assert declared.status is Status.FAIL
    finding = _found(declared)[("golive.probe.auth.undeclared-public", "/entries")]
    assert finding.severity.value == "high"


def test_production_does_not_send_no_input_mutations(tmp_path: Path) -> None:
    with ledger(tmp_path, "exports-auth") as broken:
        before = _count(broken)
        outcome = _probe(broken, tmp_path, environment_name="production")
        after = _count(broken)
    assert before == after
    assert _measure(outcome, "operations_not_sent") == 1
    assert "not sent" in outcome.evidence.excerpt and "POST /exports" in outcome.evidence.excerpt
