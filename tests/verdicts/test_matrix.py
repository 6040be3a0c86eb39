"""The verdict matrix: storefront with one realistic defect must be NO-GO naming the right criterion,
and the healthy copy of the same selection must be GO.

Think like an attacker of golive's verdicts: each case is a cheap way a broken service could
try to slip through. ``--only`` keeps each review short; static checks run without the stack.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.verdicts._harness import REPO, Defect, copy_storefront, replace_in, review

OSV_DB = str(REPO / "tests" / "fixtures" / "security" / "osv")


def _version_moved(root: Path) -> None:
    # The team moved /version under /meta; the runbook still verifies /version.
    replace_in(root / "src/storefront/api/ops.py", '@router.get("/version"', '@router.get("/meta/version"')


def _slow_liveness(root: Path) -> None:
    replace_in(
        root / "src/storefront/api/ops.py",
        '    return {"status": "ok"}',
        "    import time\n\n    time.sleep(0.8)  # a synchronous call crept into the probe\n"
        '    return {"status": "ok"}',
    )


def _sql_injection(root: Path) -> None:
    path = root / "src/storefront/services/reports.py"
    path.write_text(
        '"""Ad-hoc sales report."""\n\nfrom sqlalchemy import text\n\n\n'
        "def sales_for(session, region: str):\n"
        '    """Sales of one region."""\n'
        "    return session.execute(text(f\"SELECT * FROM orders WHERE region = '{region}'\")).all()\n"
    )


def _vulnerable_pin(root: Path) -> None:
    replace_in(root / "deploy/requirements.lock", "alembic==", "pyyaml==5.3.1\nalembic==")


def _page_black_hole(root: Path) -> None:
    # Critical alerts go to a receiver that notifies nobody.
    replace_in(
        root / "monitoring/alertmanager.yml",
        '        - severity="critical"\n      receiver: page',
        '        - severity="critical"\n      receiver: blackhole',
    )
    replace_in(root / "monitoring/alertmanager.yml", "receivers:\n", "receivers:\n  - name: blackhole\n")


def _admin_route_lost_auth(root: Path) -> None:
    # A refactor dropped the admin dependency; FastAPI drops the route's security from the
    # OpenAPI document with it, so the document no longer says it needs auth.
    replace_in(
        root / "src/storefront/api/ops.py",
        "def get_faults(ctx: Ctx, admin: AdminUser) -> FaultsOut:",
        "def get_faults(ctx: Ctx) -> FaultsOut:",
    )


def _leaked_partner_key(root: Path) -> None:
    path = root / "src/storefront/services/payments.py"
    path.write_text(path.read_text() + '\npartner_api_key = "9f2c4e7a1b3d5f6081a2c3e4f5a6b7c8d9e0f1a2"\n')


def _gate_not_enforced(root: Path) -> None:
    replace_in(
        root / ".github/workflows/ci.yml",
        "python -m pytest e2e -m critical --junitxml=reports/e2e.xml",
        'python -m pytest e2e -m critical --junitxml=reports/e2e.xml || echo "e2e failed"',
    )


def _scrape_wrong_port(root: Path) -> None:
    replace_in(root / "monitoring/prometheus.yml", "          - 127.0.0.1:8000", "          - 127.0.0.1:8080")


def _alert_on_a_metric_nobody_exposes(root: Path) -> None:
    # The rules and their unit tests agree with each other, not with the service.
    for name in ("storefront.rules.yml", "storefront.rules.test.yml"):
        path = root / "monitoring/rules" / name
        assert "http_requests_total" in path.read_text()
        path.write_text(path.read_text().replace("http_requests_total", "http_requests_count"))


def _backup_loses_rows(root: Path) -> None:
    # "Only the catalogue matters": someone trimmed the backup to keep it small.
    replace_in(
        root / "ops/backup.sh",
        "with dst:\n    src.backup(dst)\n",
        'with dst:\n    src.backup(dst)\n    dst.execute("DELETE FROM users")\n',
    )


def _migration_cannot_go_down(root: Path) -> None:
    (root / "src/storefront/migrations/versions/0002_gift_note.py").write_text(
        '''"""gift note on orders

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the column."""
    with op.batch_alter_table("orders") as batch_op:
        batch_op.add_column(sa.Column("gift_note", sa.String(200), nullable=True))


def downgrade() -> None:
    """Nothing to undo (it was thought)."""
'''
    )


def _dashboard_on_a_renamed_metric(root: Path) -> None:
    path = root / "monitoring/dashboards/storefront-red.json"
    assert "http_requests_total" in path.read_text()
    path.write_text(path.read_text().replace("http_requests_total", "http_requests_count"))


def _root_container(root: Path) -> None:
    replace_in(root / "deploy/Dockerfile", "USER 10001:10001\n", "")


def _workflow_injection(root: Path) -> None:
    replace_in(
        root / ".github/workflows/ci.yml",
        '        run: python -m pip install -e ".[dev]"',
        '        run: python -m pip install -e ".[dev]" && echo "${{ github.event.pull_request.title }}"',
    )


def _no_promtool(root: Path) -> None:
    # A machine where promtool is not installed: every tool but promtool stays reachable.
    bin_dir = root.parent / "bin-without-promtool"
    bin_dir.mkdir()
    for directory in os.environ["PATH"].split(os.pathsep):
        for tool in Path(directory).glob("*") if Path(directory).is_dir() else ():
            link = bin_dir / tool.name
            if tool.name != "promtool" and not link.exists():
                link.symlink_to(tool)


DEFECTS = [
    Defect(
        name="runbook step no longer works",
        only=("runbook.tested",),
        culprit="runbook.tested",
        mutate=_version_moved,
        up=True,
    ),
    Defect(
        name="slow liveness endpoint",
        only=("svc.liveness",),
        culprit="svc.liveness",
        mutate=_slow_liveness,
        up=True,
    ),
    Defect(name="SQL built from input", only=("sec.sast",), culprit="sec.sast", mutate=_sql_injection),
    Defect(
        name="vulnerable dependency pinned",
        only=("sec.dependencies",),
        culprit="sec.dependencies",
        mutate=_vulnerable_pin,
        env={"OSV_DB": OSV_DB},
    ),
    Defect(
        name="critical alerts routed nowhere",
        only=("mon.alert-routing",),
        culprit="mon.alert-routing",
        mutate=_page_black_hole,
    ),
    Defect(name="container runs as root", only=("sec.iac",), culprit="sec.iac", mutate=_root_container),
    Defect(
        name="workflow script injection",
        only=("sec.workflows",),
        culprit="sec.workflows",
        mutate=_workflow_injection,
    ),
    Defect(
        name="admin route lost its auth",
        only=("sec.probe",),
        culprit="sec.probe",
        mutate=_admin_route_lost_auth,
        up=True,
    ),
    Defect(
        name="partner key committed", only=("sec.secrets",), culprit="sec.secrets", mutate=_leaked_partner_key
    ),
    Defect(
        name="E2E gate reported, not enforced",
        only=("cicd.pipeline",),
        culprit="cicd.pipeline",
        mutate=_gate_not_enforced,
    ),
    Defect(
        name="scrape target on the wrong port",
        only=("mon.prometheus.config",),
        culprit="mon.prometheus.config",
        mutate=_scrape_wrong_port,
    ),
    Defect(
        name="alert on a metric nobody exposes",
        only=("mon.alert-rules",),
        culprit="mon.alert-rules",
        mutate=_alert_on_a_metric_nobody_exposes,
        up=True,
    ),
    Defect(
        name="backup loses a table's rows",
        only=("dr.drill",),
        culprit="dr.drill",
        mutate=_backup_loses_rows,
        up=True,
    ),
    Defect(
        name="migration cannot go down",
        only=("db.migrations",),
        culprit="db.migrations",
        mutate=_migration_cannot_go_down,
    ),
    Defect(
        name="dashboard panels on a renamed metric",
        only=("mon.dashboards",),
        culprit="mon.dashboards",
        mutate=_dashboard_on_a_renamed_metric,
        up=True,
    ),
    Defect(
        name="promtool missing",
        only=("mon.alert-rules",),
        culprit="mon.alert-rules",
        mutate=_no_promtool,
        up=True,
        expect="error",
    ),
]


def _env(defect: Defect, copy: Path) -> dict[str, str]:
    env = dict(defect.env)
    if defect.mutate is _no_promtool:
        env["PATH"] = str(copy.parent / "bin-without-promtool")
    return env


@pytest.mark.slow
@pytest.mark.parametrize("defect", DEFECTS, ids=[d.name for d in DEFECTS])
def test_defect_is_no_go_naming_the_criterion(defect: Defect, tmp_path: Path) -> None:
    copy = copy_storefront(tmp_path)
    defect.mutate(copy)
    verdict = review(copy, defect.only, up=defect.up, env=_env(defect, copy))
    assert verdict.decision == "NO-GO", verdict.output
    assert verdict.statuses[defect.culprit] == defect.expect, verdict.summaries
    if defect.mutate is _no_promtool:
        assert "promtool" in verdict.summaries[defect.culprit], verdict.summaries
    # What the culprit needs still passes: the NO-GO is the defect's, not the set-up's.
    assert all(s == "pass" for c, s in verdict.statuses.items() if c != defect.culprit), verdict.summaries


@pytest.mark.slow
def test_the_healthy_copy_is_go_on_every_culprit_at_once(tmp_path: Path) -> None:
    """One review of every criterion the cases name: the NO-GOs above come from the defects."""
    copy = copy_storefront(tmp_path)
    culprits = tuple(dict.fromkeys(c for d in DEFECTS for c in d.only))
    env = {k: v for d in DEFECTS for k, v in d.env.items()}
    verdict = review(copy, culprits, up=True, env=env)
    assert verdict.decision == "GO", verdict.summaries
    assert set(culprits) <= set(verdict.statuses)
