"""Tests for ``golive history`` and ``golive diff`` (src/golive/cli/_history.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from syrupy.assertion import SnapshotAssertion
from typer.testing import CliRunner, Result

from golive.cli._history import diff_cmd, history_cmd, sparkline
from golive.history import open_store
from golive.results import CheckResult, Review, Status, Tier
from golive.scoring import score
from golive.spec.models import Tiers

T0 = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
SPEC = """\
version: 1
service:
  name: checkout
environments:
  staging: {base_url: "http://127.0.0.1:8000"}
  prod: {base_url: "http://127.0.0.1:8001"}
default_environment: staging
"""


def _result(cid: str, status: Status = Status.PASS, tier: Tier = Tier.MUST) -> CheckResult:
    return CheckResult(
        criterion_id=cid,
        title=f"Title of {cid}",
        area="monitoring",
        tier=tier,
        check_type="command",
        status=status,
        summary="",
    )


def _review(
    results: list[CheckResult],
    day: int,
    *,
    service: str = "checkout",
    environment: str = "staging",
    partial: bool = False,
    interrupted: bool = False,
) -> Review:
    started = T0 + timedelta(days=day)
    return Review(
        service=service,
        environment=environment,
        spec_path="golive.yaml",
        started_at=started,
        finished_at=started + timedelta(seconds=30),
        results=tuple(results),
        scorecard=score(results, Tiers()),
        partial=partial,
        interrupted=interrupted,
    )


P, F = Status.PASS, Status.FAIL
HISTORY = [
    _review([_result("a", F), _result("b", F), _result("c", F, Tier.SHOULD)], 0),
    _review([_result("a"), _result("b", F), _result("c", F, Tier.SHOULD)], 1),
    _review([_result("a"), _result("b")], 2, partial=True),
    _review([_result("a"), _result("b"), _result("c", tier=Tier.SHOULD)], 3),
    _review(
        [
            _result("a", Status.ERROR),
            _result("b"),
            _result("c", tier=Tier.SHOULD),
            _result("d", Status.NO_DATA, Tier.NICE),
        ],
        4,
    ),
    _review([_result("a")], 5, interrupted=True),
    _review([_result("a")], 2, environment="prod"),
]


@pytest.fixture
def app() -> typer.Typer:
    """A Typer app with only the history commands."""
    cli = typer.Typer()
    cli.command("history")(history_cmd)
    cli.command("diff")(diff_cmd)
    return cli


@pytest.fixture
def run(app: typer.Typer, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Invoke the CLI with a fixed terminal width; output has tmp_path replaced by <tmp>."""
    monkeypatch.setenv("COLUMNS", "110")

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(app, list(args))

    return invoke


def _norm(text: str, tmp_path: Path) -> str:
    return text.replace(str(tmp_path), "<tmp>")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A spec directory whose default store holds HISTORY."""
    root = tmp_path / "svc"
    root.mkdir()
    (root / "golive.yaml").write_text(SPEC)
    with open_store(None, root=root) as db:
        for review in HISTORY:
            db.save_review(review)
    return root


def test_sparkline() -> None:
    assert sparkline([0, 50, 100]) == "▁▅█"
    assert sparkline([]) == ""
    assert sparkline([-5, 120]) == "▁█"


def test_history_table(run, project: Path, snapshot: SnapshotAssertion) -> None:
    result = run("history", str(project))
    assert result.exit_code == 0, result.output
    assert result.stdout == snapshot
    lines = result.stdout.splitlines()
    # Newest last; the partial and interrupted reviews are flagged.
    dates = [line.split("│")[2].strip() for line in lines if line.startswith("│")]
    assert dates == sorted(dates) and len(dates) == 7
    assert any("partial" in line for line in lines)
    assert any("interrupted" in line for line in lines)
    # The trend covers only complete reviews: 0%, 33%, 100%, 50%.
    assert "checkout/staging  ▁▃█▅" in result.stdout
    assert "checkout/prod  █" in result.stdout


def test_history_env_filter_and_limit(run, project: Path) -> None:
    result = run("history", str(project / "golive.yaml"), "--env", "staging", "--limit", "2")
    assert result.exit_code == 0, result.output
    assert "prod" not in result.stdout
    rows = [line for line in result.stdout.splitlines() if line.startswith("│")]
    assert [r.split("│")[1].strip() for r in rows] == ["5", "6"]


def test_history_without_reviews_creates_nothing(run, tmp_path: Path) -> None:
    (tmp_path / "golive.yaml").write_text(SPEC)
    result = run("history", str(tmp_path))
    assert result.exit_code == 0
    assert result.stdout == "no reviews recorded for checkout\n"
    assert not (tmp_path / ".golive").exists()


def test_history_with_explicit_store_and_service(run, project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    url = f"sqlite:///{project / '.golive' / 'history.db'}"
    result = run("history", str(elsewhere), "--store", url, "--service", "checkout")
    assert result.exit_code == 0, result.output
    assert result.stdout.count("checkout/") == 2
    other = run("history", str(elsewhere), "--store", url, "--service", "billing")
    assert other.stdout == "no reviews recorded for billing\n"


def test_history_deploys(run, project: Path, snapshot: SnapshotAssertion) -> None:
    empty = run("history", str(project), "--deploys", "--limit", "1")
    assert empty.exit_code == 0, empty.output
    assert empty.stdout.endswith("\nno deploys recorded\n")
    with open_store(None, root=project) as db:
        db.add_deploy(
            service="checkout",
            environment="staging",
            version="1.4.2",
            strategy="canary",
            started_at=T0,
            finished_at=T0 + timedelta(seconds=95),
            outcome="succeeded",
            actor="ci",
        )
    result = run("history", str(project), "--deploys", "--limit", "1")
    assert result.exit_code == 0, result.output
    assert result.stdout == snapshot


def test_diff(run, project: Path, snapshot: SnapshotAssertion) -> None:
    result = run("diff", str(project))
    assert result.exit_code == 0, result.output
    assert result.stdout == snapshot
    # The previous complete review is day 3 (the partial day 2 and interrupted day 5 are skipped).
    assert "review #4 (2024-05-04 09:30) → #5 (2024-05-05 09:30)" in result.stdout
    assert "readiness  100% → 50% (-50.0 points)" in result.stdout
    table = result.stdout[result.stdout.index("Changes") :]
    assert table.index("regressed") < table.index("added")


def test_diff_other_environment_has_one_review(run, project: Path) -> None:
    result = run("diff", str(project), "--env", "prod")
    assert result.exit_code == 0
    assert "checkout/prod: nothing to compare yet: 1 complete review(s) recorded" in result.stdout


def test_diff_without_store(run, tmp_path: Path) -> None:
    (tmp_path / "golive.yaml").write_text(SPEC)
    result = run("diff", str(tmp_path))
    assert result.exit_code == 0
    assert result.stdout == "no reviews recorded for checkout\n"


def test_diff_without_spec_needs_an_environment_choice(
    run, project: Path, tmp_path: Path, snapshot: SnapshotAssertion
) -> None:
    url = f"sqlite:///{project / '.golive' / 'history.db'}"
    result = run("diff", str(tmp_path), "--store", url)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == snapshot
    chosen = run("diff", str(tmp_path), "--store", url, "--env", "staging")
    assert chosen.exit_code == 0
    assert "checkout/staging: review #4" in chosen.stdout


@pytest.mark.parametrize("command", ["history", "diff"])
def test_missing_path_is_bad_input(run, tmp_path: Path, command: str, snapshot: SnapshotAssertion) -> None:
    result = run(command, str(tmp_path / "missing"))
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert _norm(result.stderr, tmp_path) == snapshot


def test_unreachable_store_is_bad_input_with_password_hidden(
    run, tmp_path: Path, snapshot: SnapshotAssertion
) -> None:
    url = "postgresql://golive:hunter2@127.0.0.1:1/history"
    result = run("history", str(tmp_path), "--store", url)
    assert result.exit_code == 2
    assert "hunter2" not in result.output
    assert "Traceback" not in result.output
    assert result.stderr == snapshot


def test_unreadable_spec_is_bad_input(run, tmp_path: Path) -> None:
    (tmp_path / "golive.yaml").write_text("service: [unclosed\n")
    result = run("history", str(tmp_path))
    assert result.exit_code == 2
    # The parser's own wording differs between ruamel's C and pure-Python scanners.
    message = _norm(result.stderr, tmp_path)
    # The spec is validated like every command's: the same file:line:col problem list.
    assert message.startswith("<tmp>/golive.yaml:2:1: YAML syntax error: ")
    assert "']'" in message and "Traceback" not in message


def test_deploys_need_a_service(run, tmp_path: Path) -> None:
    result = run("history", str(tmp_path), "--deploys")
    assert result.exit_code == 2
    assert "--deploys needs a service" in result.stderr


def test_main_cli_has_the_commands(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from golive.cli import app as main_app

    monkeypatch.setenv("COLUMNS", "110")
    result = CliRunner().invoke(main_app, ["diff", str(project)])
    assert result.exit_code == 0, result.output
    assert "regressed" in result.stdout
