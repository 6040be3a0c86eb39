"""``golive init dr``: writes the runbook from the spec, keeps edits unless --force."""

from __future__ import annotations

from pathlib import Path

from syrupy.assertion import SnapshotAssertion
from typer.testing import CliRunner

from golive.cli import app
from tests.fixtures.review import crit, write_spec

DRILL = {
    "type": "dr.drill",
    "database_url": "postgresql+psycopg://app@db.internal:5432/shop",
    "backup_command": 'DATABASE_URL="$SOURCE_DATABASE_URL" ops/backup.sh "$BACKUP_FILE"',
    "stop": ["systemctl", "stop", "shop"],
    "start": "exec shop serve --port $DRILL_PORT",
    "queries": [{"name": "orders", "sql": "SELECT count(*) FROM orders"}],
}
BACKUP = {"type": "dr.backup", "dir": "/var/backups/shop", "schedule": "*/4 * * * *"}


def spec(tmp_path: Path) -> Path:
    return write_spec(
        tmp_path,
        [crit("dr.backup", BACKUP, area="dr"), crit("dr.drill", DRILL, area="dr")],
        objectives={"rto": "15m", "rpo": "5m"},
        service={"name": "shop", "owner": "shop-team"},
    )


def test_init_dr_writes_the_drill_commands(tmp_path: Path) -> None:
    spec(tmp_path)
    runner = CliRunner()
    result = runner.invoke(app, ["init", "dr", str(tmp_path)])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "docs" / "DR_RUNBOOK.md").read_text()
    for expected in (
        "# Disaster recovery runbook: shop",
        "Target: **15m**",
        "Target: **5m**",
        'DATABASE_URL="$SOURCE_DATABASE_URL" ops/backup.sh "$BACKUP_FILE"',
        "systemctl stop shop",
        "exec shop serve --port $DRILL_PORT",
        'pg_restore --jobs="$RESTORE_JOBS"',  # the drill's default restore
        "Schedule: `*/4 * * * *`",
        "`SELECT count(*) FROM orders` returns the same value as before the loss (orders)",
        "On-call engineer of **shop-team**",
    ):
        assert expected in text, expected
    assert "TODO" not in text and "TBD" not in text

    again = runner.invoke(app, ["init", "dr", str(tmp_path)])
    assert again.exit_code == 0 and "up to date" in again.output

    # The spec changed and nobody edited the runbook golive wrote: regenerated without --force.
    write_spec(
        tmp_path,
        [crit("dr.backup", BACKUP, area="dr"), crit("dr.drill", DRILL, area="dr")],
        objectives={"rto": "30m", "rpo": "5m"},
        service={"name": "shop", "owner": "shop-team"},
    )
    changed = runner.invoke(app, ["init", "dr", str(tmp_path)])
    assert changed.exit_code == 0 and "wrote" in changed.output, changed.output
    assert "Target: **30m**" in (tmp_path / "docs" / "DR_RUNBOOK.md").read_text()


def test_init_dr_keeps_an_edited_runbook(tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    spec(tmp_path)
    target = tmp_path / "docs" / "DR_RUNBOOK.md"
    target.parent.mkdir()
    target.write_text("# edited by hand\n")
    runner = CliRunner()
    result = runner.invoke(app, ["init", "dr", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.replace(str(tmp_path), "<tmp>") == snapshot
    assert target.read_text() == "# edited by hand\n"
    assert runner.invoke(app, ["init", "dr", str(tmp_path), "--force"]).exit_code == 0
    assert "systemctl stop shop" in target.read_text()
    bad = runner.invoke(app, ["init", "dr", str(tmp_path), "--env", "prod"])
    assert bad.exit_code == 2 and "unknown environment 'prod'" in bad.output


def test_init_dr_writes_the_in_place_recovery(tmp_path: Path) -> None:
    drill = {
        "type": "dr.drill",
        "recovery": "in_place",
        "backup_command": "ops/backup.sh",
        "stop": "ops/service.sh stop",
        "restore_command": 'DATABASE_URL="$RESTORED_DATABASE_URL" ops/restore.sh "$BACKUP_FILE"',
        "restart": "ops/service.sh start",
    }
    write_spec(
        tmp_path,
        [crit("dr.drill", drill, area="dr")],
        environments={
            "local": {"base_url": "http://127.0.0.1:8100", "database_url": "sqlite:///.golive/stack/shop.db"}
        },
    )
    result = CliRunner().invoke(app, ["init", "dr", str(tmp_path)])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "docs" / "DR_RUNBOOK.md").read_text()
    steps = [
        "ops/service.sh stop",
        "**Move the broken database aside**",
        'DATABASE_URL="$RESTORED_DATABASE_URL" ops/restore.sh "$BACKUP_FILE"',
        "ops/service.sh start",
        "`curl -fsS http://127.0.0.1:8100/readyz` must answer 2xx",
    ]
    positions = [text.index(step) for step in steps]
    assert positions == sorted(positions), "the runbook lists the recovery out of order"
    assert "DRILL_PORT" not in text and "Fail over" not in text
