"""The ``runbook`` check: sections, placeholders, steps, destructive rule, cross-references."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from golive.kit import guards
from golive.results import Outcome, Status
from golive.runbook.checks import RunbookParams
from tests.runbook.conftest import FIXTURES, RUNBOOK, StubService, edit, line_of, run_check

SPEC = "service: {name: demo}\nenvironments:\n  staging: {base_url: 'http://127.0.0.1:9'}\n"
"""The smallest valid spec; tests append the sections they cross-check."""


def _write_spec(workspace: Path, extra: str = "") -> None:
    (workspace / "golive.yaml").write_text(SPEC + extra)


def test_complete_runbook_passes_and_runs_every_step(workspace: Path, stub: StubService) -> None:
    out = run_check(workspace, {"deploy_files": ["deploy.sh"]}, base_url=stub.url)
    assert out.status is Status.PASS, out.evidence.excerpt
    assert "4/4 verify steps passed against staging" in out.summary
    values = {m.name: m.value for m in out.measurements}
    assert values["verify_steps_passed"] == 4
    assert values["sections_present"] == 11
    assert "destructive_steps_refused" not in values
    assert (workspace / "destroyed").exists()  # staging is no production: destructive steps run
    assert values["dependencies_cross_checked"] == 1  # database, from /readyz
    assert values["deploy_commands_cross_checked"] == 2
    log = Path(out.evidence.artifacts[1]).read_text()
    assert "PASSED" in log and "env=staging" in log


def test_missing_section_fails(workspace: Path, stub: StubService) -> None:
    edit(workspace / RUNBOOK, "## Incident response", "## Notes")
    out = run_check(workspace, base_url=stub.url)
    assert out.status is Status.FAIL
    assert "missing section 'incident response'" in out.summary


def test_empty_section_fails(workspace: Path, stub: StubService) -> None:
    edit(
        workspace / RUNBOOK,
        "Acknowledge, mitigate (roll back first), communicate, resolve, review.",
        "<!-- later -->",
    )
    out = run_check(workspace, base_url=stub.url)
    assert out.status is Status.FAIL
    assert "section 'Incident response' (incident response) is empty" in out.summary


@pytest.mark.parametrize("contact", ["TBD", "TODO(team)", "oncall@example.com", "+1 555-0100"])
def test_placeholder_contact_fails_with_its_line(workspace: Path, stub: StubService, contact: str) -> None:
    runbook = workspace / RUNBOOK
    edit(runbook, "+44 20 7946 0991, #demo-oncall", contact)
    line = line_of(runbook, "| On-call |")
    out = run_check(workspace, base_url=stub.url)
    assert out.status is Status.FAIL
    assert f"{RUNBOOK}:{line} in 'Escalation and emergency contacts'" in out.summary


def test_placeholder_words_in_inline_code_or_code_blocks_are_not_blanks(
    workspace: Path, stub: StubService
) -> None:
    edit(workspace / RUNBOOK, "fix the dependency named there.", "then clear any `TODO` note.")
    out = run_check(workspace, base_url=stub.url)
    assert out.status is Status.PASS, out.summary


def test_failing_step_reports_its_markdown_line_block_and_output(workspace: Path, stub: StubService) -> None:
    runbook = workspace / RUNBOOK
    edit(runbook, 'test -d "${SPEC_DIR}"', 'echo "checking ${SPEC_DIR}"\nls /no/such/dir')
    fence = line_of(runbook, '{verify name="spec dir"}')
    out = run_check(workspace, base_url=stub.url)
    assert out.status is Status.FAIL
    assert out.summary.startswith(
        f"verify step at {RUNBOOK}:{fence} (spec dir) failed: exit code 2, expected 0"
    )
    excerpt = out.evidence.excerpt
    assert f"Failing step at {RUNBOOK}:{fence} (section 'Health checks')" in excerpt
    assert f"{fence + 2} | ls /no/such/dir" in excerpt  # the block, with Markdown line numbers
    assert "No such file or directory" in excerpt  # the output
    assert "not-run" in excerpt  # later steps stop after the failure
    assert "ls /no/such/dir" in out.reproducer and f"SPEC_DIR={workspace}" in out.reproducer


def test_step_output_checks_expect_and_expected_block(workspace: Path, stub: StubService) -> None:
    runbook = workspace / RUNBOOK
    edit(runbook, '```text {expected}\n"status"', '```text {expected}\n"status": "broken"')
    expected_line = line_of(runbook, "{expected}")
    out = run_check(workspace, base_url=stub.url)
    assert out.status is Status.FAIL
    assert "lacks the expected line" in out.summary
    assert f"expected block at line {expected_line}" in out.summary


def test_step_timeout_kills_and_fails(workspace: Path, stub: StubService) -> None:
    edit(workspace / RUNBOOK, 'test -d "${SPEC_DIR}"', "sleep 30")
    edit(workspace / RUNBOOK, '{verify name="spec dir"}', '{verify name="spec dir" timeout=0.5}')
    out = run_check(workspace, base_url=stub.url)
    assert out.status is Status.FAIL
    assert "did not finish within 0.5s" in out.summary


def test_unset_variable_fails_before_running(workspace: Path, stub: StubService) -> None:
    edit(workspace / RUNBOOK, 'test -d "${SPEC_DIR}"', 'curl -fsS "${ADMIN_URL}/x"')
    out = run_check(workspace, base_url=stub.url)
    assert out.status is Status.FAIL
    assert "variable(s) not set: ADMIN_URL" in out.summary


def test_environment_vars_reach_the_steps(workspace: Path, stub: StubService) -> None:
    edit(workspace / RUNBOOK, 'test -d "${SPEC_DIR}"', 'test "${TEAM}" = shop')
    out = run_check(workspace, base_url=stub.url, env_vars={"TEAM": "shop"})
    assert out.status is Status.PASS, out.summary


def test_a_var_referencing_a_process_variable_reaches_the_step_resolved(
    workspace: Path, stub: StubService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOLIVE_TEST_TEAM", "shop")
    edit(workspace / RUNBOOK, 'test -d "${SPEC_DIR}"', 'test "${TEAM}" = shop-team')
    out = run_check(workspace, base_url=stub.url, env_vars={"TEAM": "${GOLIVE_TEST_TEAM}-team"})
    assert out.status is Status.PASS, out.summary
    # A var whose reference is unset is not set for the steps: the step using it says so.
    monkeypatch.delenv("GOLIVE_TEST_TEAM")
    out = run_check(workspace, base_url=stub.url, env_vars={"TEAM": "${GOLIVE_TEST_TEAM}-team"})
    assert out.status is Status.FAIL
    assert "variable(s) not set: TEAM" in out.summary


def _production_run(
    workspace: Path,
    stub: StubService,
    env_name: str,
    params: dict[str, Any] | None = None,
    **kw: Any,
) -> Outcome:
    """Run the fixture runbook against an environment other than staging."""
    edit(workspace / RUNBOOK, 'expect="^env=staging$"', f'expect="^env={env_name}$"')
    return run_check(workspace, params, base_url=stub.url, env_name=env_name, **kw)


@pytest.mark.parametrize(
    ("env_name", "kw", "missing"),
    [
        (
            "production",
            {"allow_destructive": True},
            "missing: `allow_destructive: true` on environment 'production'",
        ),
        ("production", {"env_allows_destructive": True}, "missing: the --allow-destructive flag"),
        ("eu-main", {"production": True}, "`allow_destructive: true` on environment 'eu-main' and the"),
    ],
)
def test_destructive_step_refused_in_production_without_the_opt_in_and_the_flag(
    workspace: Path, stub: StubService, env_name: str, kw: dict[str, object], missing: str
) -> None:
    out = _production_run(workspace, stub, env_name, **kw)
    assert out.status is Status.PASS, out.summary
    assert not (workspace / "destroyed").exists()
    line = line_of(workspace / RUNBOOK, "{destructive")
    # The one policy's message, as deploy.drill words it too.
    with pytest.raises(guards.GuardError) as refused:
        guards.require_destructive(
            environment=env_name,
            production=True,
            environment_allows=bool(kw.get("env_allows_destructive")),
            flag_given=bool(kw.get("allow_destructive")),
            what=f"destructive step {RUNBOOK}:{line} (reset data)",
        )
    excerpt = " ".join(out.evidence.excerpt.split())
    assert f"1 destructive step(s) not run: {refused.value}" in excerpt
    assert missing in excerpt


def test_destructive_step_runs_in_production_with_the_opt_in_and_the_flag(
    workspace: Path, stub: StubService
) -> None:
    out = _production_run(workspace, stub, "production", allow_destructive=True, env_allows_destructive=True)
    assert out.status is Status.PASS, out.summary
    assert (workspace / "destroyed").exists()
    assert "4/4 verify steps" in out.summary


def test_environment_marked_not_production_runs_destructive_steps(workspace: Path, stub: StubService) -> None:
    out = _production_run(workspace, stub, "prod", production=False)
    assert out.status is Status.PASS, out.summary
    assert (workspace / "destroyed").exists()


def test_require_destructive_turns_a_refusal_into_a_failure(workspace: Path, stub: StubService) -> None:
    out = _production_run(workspace, stub, "production", {"require_destructive": True})
    assert out.status is Status.FAIL
    assert out.summary.startswith("1 destructive step(s) not run: refusing destructive step")


def _alerts(workspace: Path, anchor: str) -> None:
    text = (FIXTURES / "alerts.yml").read_text().replace("#higherrorrate", f"#{anchor}")
    (workspace / "alerts.yml").write_text(text)


def test_alert_anchors_found(workspace: Path, stub: StubService) -> None:
    _alerts(workspace, "higherrorrate")
    out = run_check(workspace, {"alert_rules": ["*.yml"]}, base_url=stub.url)
    assert out.status is Status.PASS, out.summary
    assert "cross-checked 2 alert anchors" in out.summary


def test_broken_alert_anchor_fails(workspace: Path, stub: StubService) -> None:
    _alerts(workspace, "high-error-rate")
    out = run_check(workspace, {"alert_rules": ["alerts.yml"]}, base_url=stub.url)
    assert out.status is Status.FAIL
    assert (
        f"alert HighErrorRate (alerts.yml): runbook_url anchor #high-error-rate does not exist "
        f"in {RUNBOOK}" in out.summary
    )


def test_alert_rules_found_through_the_spec_monitoring_criteria(workspace: Path, stub: StubService) -> None:
    _alerts(workspace, "gone")
    _write_spec(
        workspace,
        "criteria:\n  - id: mon.rules\n    title: Rules\n    area: monitoring\n    tier: must\n"
        "    check: {type: prometheus.rules, files: [alerts.yml]}\n",
    )
    out = run_check(workspace, base_url=stub.url)
    assert out.status is Status.FAIL
    assert "runbook_url anchor #gone does not exist" in out.summary


def test_explicit_html_anchor_counts(workspace: Path, stub: StubService) -> None:
    _alerts(workspace, "high-error-rate")
    edit(workspace / RUNBOOK, "### HighErrorRate\n", '### HighErrorRate\n<a id="high-error-rate"></a>\n')
    out = run_check(workspace, {"alert_rules": ["alerts.yml"]}, base_url=stub.url)
    assert out.status is Status.PASS, out.summary


def test_dependency_from_readyz_without_section_fails(workspace: Path, stub: StubService) -> None:
    stub.checks = {"database": True, "redis": True}
    out = run_check(workspace, base_url=stub.url)
    assert out.status is Status.FAIL
    assert (
        "dependency 'redis' (from /readyz) has no section with its health check and restart "
        "procedure" in out.summary
    )


def test_dependency_from_params_and_database_url(workspace: Path, stub: StubService) -> None:
    out = run_check(
        workspace,
        {"dependencies": ["payments"], "readyz_path": None},
        base_url=stub.url,
        database_url="postgresql://u:secret@db/x",
    )
    assert out.status is Status.FAIL
    assert "dependency 'payments' (from golive.yaml params)" in out.summary
    assert "secret" not in out.summary + out.evidence.excerpt
    assert {m.name: m.value for m in out.measurements}["dependencies_cross_checked"] == 2


def test_dependency_section_without_restart_procedure_fails(workspace: Path, stub: StubService) -> None:
    edit(workspace / RUNBOOK, "Restart: `systemctl restart postgresql` on the db host.", "")
    line = line_of(workspace / RUNBOOK, "### Database")
    out = run_check(workspace, base_url=stub.url)
    assert out.status is Status.FAIL
    assert f"{RUNBOOK}:{line}: dependency section 'Database' lacks a restart procedure" in out.summary


def test_dependencies_from_compose(workspace: Path, stub: StubService) -> None:
    (workspace / "compose.yaml").write_text(
        "services:\n  app:\n    depends_on: [postgres, kafka]\n  postgres: {}\n  kafka: {}\n"
    )
    out = run_check(workspace, base_url=stub.url)
    assert out.status is Status.FAIL
    # postgres is the database's alias; kafka counts as the event transport
    assert "dependency 'events' (from compose depends_on)" in out.summary
    assert "database" not in out.summary


def test_deploy_command_not_in_the_deploy_configuration_fails(workspace: Path, stub: StubService) -> None:
    edit(workspace / RUNBOOK, "./deploy.sh --rollback", "kubectl rollout undo deploy/demo")
    line = line_of(workspace / RUNBOOK, "kubectl rollout undo") - 1
    out = run_check(workspace, {"deploy_files": ["deploy.sh"]}, base_url=stub.url)
    assert out.status is Status.FAIL
    assert (
        f"{RUNBOOK}:{line}: rollback command 'kubectl rollout undo deploy/demo' is not used by "
        "the deploy configuration" in out.summary
    )


def test_deploy_commands_from_the_spec_deploy_section(workspace: Path, stub: StubService) -> None:
    _write_spec(
        workspace,
        "deploy:\n  driver:\n    type: command\n    deploy: ./deploy.sh --version ${VERSION}\n"
        "    rollback: [./deploy.sh, --rollback]\n",
    )
    out = run_check(workspace, base_url=stub.url)
    assert out.status is Status.PASS, out.summary
    assert "2 commands" in out.summary


def test_no_deploy_configuration_is_a_note_not_a_failure(workspace: Path, stub: StubService) -> None:
    out = run_check(workspace, base_url=stub.url)
    assert out.status is Status.PASS
    assert "deploy/rollback commands not cross-checked" in out.evidence.excerpt


def test_missing_runbook_fails(tmp_path: Path) -> None:
    out = run_check(tmp_path)
    assert out.status is Status.FAIL
    assert "golive init runbook" in out.summary


def test_runbook_without_verify_steps_is_not_tested(workspace: Path, stub: StubService) -> None:
    text = (workspace / RUNBOOK).read_text().replace("{verify", "{x").replace("```text {expected}", "```text")
    text = text.replace("{x", "").replace('{destructive name="reset data"}', "")
    (workspace / RUNBOOK).write_text(text)
    out = run_check(workspace, base_url=stub.url)
    assert out.status is Status.FAIL
    assert "not tested" in out.summary


def test_bad_block_attribute_is_reported(workspace: Path, stub: StubService) -> None:
    edit(workspace / RUNBOOK, '{verify name="liveness" timeout=10}', "{verify timout=10}")
    line = line_of(workspace / RUNBOOK, "{verify timout=10}")
    out = run_check(workspace, base_url=stub.url)
    assert out.status is Status.FAIL
    assert f"{RUNBOOK}: line {line}: unknown block option 'timout'" in out.summary


def test_write_back_of_last_verified(workspace: Path, stub: StubService) -> None:
    from datetime import date

    out = run_check(workspace, {"write_verified": True}, base_url=stub.url)
    assert out.status is Status.PASS
    text = (workspace / RUNBOOK).read_text()
    assert f"_Last verified: {date.today().isoformat()} by golive against staging" in text
    assert "never" not in text.split("\n")[2]
    assert text.count("Last verified") == 1


def test_no_write_back_when_a_step_fails(workspace: Path, stub: StubService) -> None:
    edit(workspace / RUNBOOK, 'test -d "${SPEC_DIR}"', "false")
    before = (workspace / RUNBOOK).read_text()
    run_check(workspace, {"write_verified": True}, base_url=stub.url)
    assert (workspace / RUNBOOK).read_text() == before


def test_params_reject_unknown_fields_and_bad_patterns() -> None:
    with pytest.raises(ValidationError):
        RunbookParams(pth="x")  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        RunbookParams(placeholders=["("])


def test_custom_sections(workspace: Path, stub: StubService) -> None:
    out = run_check(workspace, {"sections": ["deployment", "Capacity planning"]}, base_url=stub.url)
    assert out.status is Status.FAIL
    assert "missing section 'Capacity planning'" in out.summary


def test_runbook_check_is_registered() -> None:
    from golive.checks.registry import CheckRegistry
    from golive.runbook import FAMILY
    from golive.runbook.checks import RunbookCheck

    assert FAMILY.checks == {"runbook": "golive.runbook.checks:RunbookCheck"}
    assert CheckRegistry.default().get("runbook") is RunbookCheck


def test_fixture_files_are_untouched() -> None:
    # The workspace copies; a test writing into the fixtures would make others pass wrongly.
    assert "never" in (FIXTURES / "complete.md").read_text()
    assert shutil.which("curl"), "the verify steps use curl"


def test_deploy_commands_from_the_deploy_families_deploy_yaml(workspace: Path, stub: StubService) -> None:
    _write_spec(workspace)
    (workspace / "deploy.yaml").write_text(
        "deploy:\n  strategy: rolling\n  driver:\n    type: command\n"
        "    deploy: ./deploy.sh --version ${VERSION}\n    rollback: [./deploy.sh, --rollback]\n"
    )
    out = run_check(workspace, base_url=stub.url)
    assert out.status is Status.PASS, out.summary
    edit(workspace / RUNBOOK, "./deploy.sh --version", "./ship.sh --version")
    out = run_check(workspace, base_url=stub.url)
    assert out.status is Status.FAIL
    assert "deployment command './ship.sh --version \"${VERSION}\"' is not used" in out.summary
    assert "deploy.yaml deploy:" in out.summary


def test_alert_anchor_in_a_local_alert_playbook_is_checked_there(workspace: Path, stub: StubService) -> None:
    (workspace / "monitoring" / "rules").mkdir(parents=True)
    rules = (
        (FIXTURES / "alerts.yml")
        .read_text()
        .replace(
            "https://git.internal/demo/blob/main/docs/PRODUCTION_RUNBOOK.md#higherrorrate",
            "runbook.md#higherrorrate",
        )
    )
    (workspace / "monitoring" / "rules" / "demo.rules.yml").write_text(rules)
    (workspace / "monitoring" / "runbook.md").write_text("# Alerts\n\n## HighErrorRate\n\nx\n")
    params = {"alert_rules": ["monitoring/rules/*.yml"]}
    assert run_check(workspace, params, base_url=stub.url).status is Status.PASS
    (workspace / "monitoring" / "runbook.md").write_text("# Alerts\n\n## Other\n\nx\n")
    out = run_check(workspace, params, base_url=stub.url)
    assert out.status is Status.FAIL
    assert "runbook_url anchor #higherrorrate does not exist in monitoring/runbook.md" in out.summary


def test_alert_playbook_elsewhere_is_only_noted(workspace: Path, stub: StubService) -> None:
    rules = (
        (FIXTURES / "alerts.yml")
        .read_text()
        .replace(
            "https://git.internal/demo/blob/main/docs/PRODUCTION_RUNBOOK.md#higherrorrate",
            "https://wiki.internal/playbooks/alerts.md#higherrorrate",
        )
    )
    (workspace / "alerts.yml").write_text(rules)
    out = run_check(workspace, {"alert_rules": ["alerts.yml"]}, base_url=stub.url)
    assert out.status is Status.PASS
    assert "runbook_url points at another document" in out.evidence.excerpt
