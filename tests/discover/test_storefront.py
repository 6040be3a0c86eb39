"""Discovery on golive's own example service, as a sanity check of a larger real layout."""

from __future__ import annotations

from pathlib import Path

from golive.discover import Language, discover

STOREFRONT = Path(__file__).resolve().parents[2] / "examples" / "storefront"


def test_storefront_is_discovered() -> None:
    facts = discover(STOREFRONT)
    assert facts.name.value == "storefront"
    assert [f.value for f in facts.languages] == [Language.PYTHON]
    assert facts.framework("fastapi") is not None
    assert facts.start_command is not None and facts.start_command.source.path == "deploy/Dockerfile"
    assert facts.port is not None and facts.port.value == 8000
    assert (
        facts.health_path and facts.health_path.value,
        facts.readiness_path and facts.readiness_path.value,
    ) == (
        "/healthz",
        "/readyz",
    )
    assert facts.metrics_path is not None and facts.metrics_path.value == "/metrics"
    assert facts.database is not None and facts.database.value.kind == "postgresql"
    assert {b.value for b in facts.brokers} >= {"redis", "nats"}
    assert facts.tests.framework is not None and facts.tests.framework.value == "pytest"
    assert facts.tests.e2e_command is not None and "e2e" in facts.tests.e2e_command.value
    assert facts.alert_rules and facts.runbooks and facts.kubernetes_manifests


def test_deploy_and_rollback_come_from_their_own_ci_jobs() -> None:
    facts = discover(STOREFRONT)
    assert facts.deploy_command is not None and "--rollback" not in facts.deploy_command.value
    assert facts.rollback_command is not None
    assert facts.rollback_command.value == './ops/deploy.sh "$DEPLOY_ENV" --rollback'
    assert facts.rollback_command.source.path == ".github/workflows/cd.yml"
