"""Deploys in the history: the report of each attempt, and the versions known to be good."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from golive.deploy.base import DeployOutcome, Release
from golive.deploy.report import DeployReport, GateResult
from golive.history.base import HistoryStore
from golive.kit.masking import Masker


@dataclass(kw_only=True)
class Attempt:
    """What one deploy (or manual rollback) is about, filled in as it goes."""

    release: Release
    strategy: str
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    plan: tuple[str, ...] = ()
    previous: Release | None = None
    gates: tuple[GateResult, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Recorder:
    """Builds deploy reports and records them in the history store."""

    service: str
    environment: str
    driver: str
    actor: str
    store: HistoryStore
    log: Sequence[str]
    """The run's log so far (the deployer appends to it); every report carries a copy."""
    enabled: bool = True
    """False: reports are built but never stored."""
    masker: Masker = field(default_factory=Masker)
    """Masks the deploy's secrets in every report; the releases stay whole, rollback reuses them."""

    def report(
        self,
        attempt: Attempt,
        outcome: DeployOutcome,
        reason: str,
        *,
        analyses: tuple[Any, ...] = (),
        ttd: float | None = None,
        ttr: float | None = None,
        verified: bool | None = None,
        record: bool = True,
    ) -> DeployReport:
        """The report of ``attempt``, stored (unless ``record`` is False) with its id."""
        report = DeployReport(
            service=self.service,
            environment=self.environment,
            release=attempt.release,
            strategy=attempt.strategy,
            driver=self.driver,
            actor=self.actor,
            started_at=attempt.started,
            finished_at=datetime.now(UTC),
            outcome=outcome,
            reason=reason,
            previous=attempt.previous,
            gates=attempt.gates,
            analyses=analyses,
            plan=attempt.plan,
            log=tuple(self.log),
            time_to_detect_s=ttd,
            time_to_rollback_s=ttr,
            rollback_verified=verified,
        )
        report = replace(self.masker.mask_tree(report), release=report.release, previous=report.previous)
        if not (record and self.enabled):
            return report
        deploy_id = self.store.add_deploy(
            service=report.service,
            environment=report.environment,
            version=report.release.version,
            strategy=report.strategy,
            started_at=report.started_at,
            finished_at=report.finished_at,
            outcome=outcome.value,
            actor=self.actor,
            report_json=report.to_json(),
        )
        return replace(report, deploy_id=deploy_id)

    def previous_good(self, current: str | None) -> Release | None:
        """The newest successfully deployed version other than ``current``."""
        for rec in self.store.deploys(self.service, self.environment):
            if rec.outcome != DeployOutcome.SUCCEEDED.value or rec.version == current:
                continue
            return Release(version=rec.version, vars=_vars_of(rec.report_json))
        return None

    def vars_for(self, version: str) -> dict[str, str]:
        """The settings ``version`` last deployed successfully with (none if never)."""
        for rec in self.store.deploys(self.service, self.environment):
            if rec.version == version and rec.outcome == DeployOutcome.SUCCEEDED.value:
                return _vars_of(rec.report_json)
        return {}


def _vars_of(report_json: str) -> dict[str, str]:
    try:
        data = json.loads(report_json)
        raw = data.get("release", {}).get("vars", {})
        return {str(k): str(v) for k, v in raw.items()}
    except (ValueError, AttributeError):
        return {}
