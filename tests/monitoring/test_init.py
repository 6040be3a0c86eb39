"""`golive init monitoring`: files from the spec and /metrics, never clobbering user edits."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from golive.cli import app
from golive.kit.files import MANIFEST, Action, GeneratedFiles
from golive.monitoring.cli import GENERATOR
from tests.monitoring.conftest import FIXTURES

SPEC = """
service: {name: shop}
environments:
  local:
    base_url: http://127.0.0.1:${SHOP_PORT:-8100}
objectives: {availability: 99.5, latency_p95_ms: 250, latency_p99_ms: 900, error_rate: 2}
"""


@pytest.fixture
def spec_dir(tmp_path: Path) -> Path:
    (tmp_path / "golive.yaml").write_text(SPEC)
    return tmp_path


def init(spec_dir: Path, *args: str) -> subprocess.CompletedProcess[str] | object:
    return CliRunner().invoke(
        app,
        [
            "init",
            "monitoring",
            str(spec_dir),
            "--metrics-file",
            str(FIXTURES / "storefront-metrics.txt"),
            *args,
        ],
    )


def test_writes_all_files_from_spec_and_metrics(spec_dir: Path) -> None:
    result = init(spec_dir)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    out = spec_dir / "monitoring"
    names = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert names == [
        ".golive-init.json",
        "alertmanager.yml",
        "dashboards/shop-business.json",
        "dashboards/shop-golive-readiness.json",
        "dashboards/shop-red.json",
        "dashboards/shop-slo.json",
        "dashboards/shop-use.json",
        "prometheus.yml",
        "rules/shop.rules.test.yml",
        "rules/shop.rules.yml",
        "runbook.md",
    ]
    prom = (out / "prometheus.yml").read_text()
    assert "- 127.0.0.1:8100" in prom  # ${SHOP_PORT:-8100} resolved
    rules = (out / "rules" / "shop.rules.yml").read_text()
    assert "(14.4 * 0.005)" in rules  # 99.5% availability -> budget 0.005
    assert "> 0.25" in rules and "> 0.9" in rules  # p95 and p99 objectives in seconds
    assert 'job:slo_errors_per_request:ratio_rate5m{job="shop"} > 0.02' in rules
    assert "storefront_outbox_lag_seconds" in rules  # lag alert where the metric exists


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool missing")
def test_generated_files_pass_promtool_and_amtool(spec_dir: Path) -> None:
    init(spec_dir, "--no-verify")
    out = spec_dir / "monitoring"
    for argv in (
        ["promtool", "check", "config", "prometheus.yml"],
        ["promtool", "test", "rules", "rules/shop.rules.test.yml"],
        ["amtool", "check-config", "alertmanager.yml"],
    ):
        done = subprocess.run(argv, cwd=out, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr


def test_rerun_keeps_user_changes_and_shows_diff(spec_dir: Path) -> None:
    init(spec_dir, "--no-verify")
    am = spec_dir / "monitoring" / "alertmanager.yml"
    edited = am.read_text().replace("repeat_interval: 4h", "repeat_interval: 3h")
    am.write_text(edited)
    result = init(spec_dir, "--no-verify")
    output = result.output  # type: ignore[attr-defined]
    assert result.exit_code == 0, output  # type: ignore[attr-defined]
    assert am.read_text() == edited
    assert "alertmanager.yml was changed since golive wrote it" in output
    assert "-  repeat_interval: 3h" in output and "+  repeat_interval: 4h" in output
    assert "kept (yours)" in output
    assert "unchanged" in output

    forced = init(spec_dir, "--force", "--no-verify")
    assert forced.exit_code == 0  # type: ignore[attr-defined]
    assert "repeat_interval: 4h" in am.read_text()


def test_unchanged_generated_file_is_updated(tmp_path: Path) -> None:
    files = GeneratedFiles(root=tmp_path, generator=GENERATOR)
    first = files.plan({"a.txt": "one\n"})
    files.apply(first)
    second = files.plan({"a.txt": "two\n"})
    assert [p.action for p in second] == [Action.UPDATE]
    files.apply(second)
    assert (tmp_path / "a.txt").read_text() == "two\n"
    (tmp_path / "a.txt").write_text("mine\n")
    third = files.plan({"a.txt": "three\n"})
    assert [p.action for p in third] == [Action.CONFLICT]
    assert files.apply(third) == []
    assert (tmp_path / "a.txt").read_text() == "mine\n"


def test_manifest_records_what_init_wrote(spec_dir: Path) -> None:
    """The same manifest as before the toolkit: its name, generator and one digest per file."""
    init(spec_dir, "--no-verify")
    out = spec_dir / "monitoring"
    manifest = json.loads((out / MANIFEST).read_text())
    assert MANIFEST == ".golive-init.json"
    assert manifest["generator"] == "golive init monitoring"
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and p.name != MANIFEST)
    assert sorted(manifest["files"]) == written


def test_unreachable_metrics_is_a_clear_error(spec_dir: Path) -> None:
    result = CliRunner().invoke(
        app, ["init", "monitoring", str(spec_dir), "--metrics-url", "http://127.0.0.1:9/metrics"]
    )
    assert result.exit_code == 3
    assert "cannot read http://127.0.0.1:9/metrics" in result.output
    assert "--metrics-file" in result.output


def test_spec_var_referencing_a_process_variable_resolves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """init resolves `${VAR}` like a review does: a spec var may reference a process variable."""
    (tmp_path / "golive.yaml").write_text(
        SPEC.replace(
            "base_url: http://127.0.0.1:${SHOP_PORT:-8100}",
            'base_url: http://127.0.0.1:${SHOP_PORT}\n    vars: {SHOP_PORT: "${REAL_SHOP_PORT}"}',
        )
    )
    monkeypatch.setenv("REAL_SHOP_PORT", "8300")
    result = init(tmp_path, "--no-verify")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "- 127.0.0.1:8300" in (tmp_path / "monitoring" / "prometheus.yml").read_text()


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool missing")
def test_an_objective_the_histogram_cannot_measure_gets_no_alert_that_could_never_fire(
    tmp_path: Path,
) -> None:
    # A p99 objective at the histogram's largest finite bucket: histogram_quantile tops out
    # there, so the alert (and its promtool test) could never fire.
    buckets = [
        line for line in (FIXTURES / "storefront-metrics.txt").read_text().splitlines() if "_bucket{" in line
    ]
    finite = {float(b.split('le="')[1].split('"')[0]) for b in buckets if 'le="+Inf"' not in b}
    (tmp_path / "golive.yaml").write_text(
        SPEC.replace("latency_p99_ms: 900", f"latency_p99_ms: {max(finite) * 1000:g}")
    )
    result = init(tmp_path)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "no p99 latency alert" in result.output  # type: ignore[attr-defined]
    rules = (tmp_path / "monitoring" / "rules" / "shop.rules.yml").read_text()
    assert "LatencyP99High" not in rules and "LatencyP95High" in rules


def test_objectives_the_spec_leaves_out_are_said_to_be_assumed(tmp_path: Path) -> None:
    (tmp_path / "golive.yaml").write_text(SPEC.replace("objectives: {availability: 99.5, ", "objectives: {"))
    result = init(tmp_path)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "declares no objectives.availability (assumed 99.9%)" in " ".join(result.output.split())  # type: ignore[attr-defined]
