"""Text from a spec or a checked service is shown as written, and the output place is checked first.

Real ``golive`` processes: a service named ``svc[/]``, a check whose output holds rich markup,
an emoji shortcode and a Markdown image, and an output directory whose name is markup.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.cli.test_review_cli import golive
from tests.fixtures.reporters.hostile import STRUCTURE, elements, render

REPO = Path(__file__).resolve().parents[2]
IMAGE = "![x](http://evil.example/pixel.png)"
OUTPUT = f"[bold red]x[/] golive.yaml:100:24 {IMAGE} <img src=http://evil.example/a.png>"


def _spec(tmp: Path, criteria: list[dict[str, object]], service: str = "demo") -> Path:
    doc = {
        "service": {"name": service},
        "environments": {"local": {"base_url": "http://127.0.0.1:9"}},
        "criteria": criteria,
    }
    with (tmp / "golive.yaml").open("w") as fh:
        YAML().dump(doc, fh)
    return tmp


def _touch(cid: str, marker: Path) -> dict[str, object]:
    command = {"type": "command", "command": ["touch", str(marker)]}
    return {"id": cid, "title": cid, "area": "docs", "tier": "must", "check": command}


def test_markup_in_the_spec_and_the_output_is_shown_as_written(tmp_path: Path) -> None:
    check = {
        "type": "command",
        "command": ["echo", OUTPUT],
        # A regex that does not match (the summary quotes it): service text in the summary too.
        "expect_output": "[bold red]x[/] :100: " + IMAGE,
    }
    title = "Title [bold]b[/] :100:"
    _spec(tmp_path, [{"id": "a", "title": title, "area": "docs", "tier": "must", "check": check}], "svc[/]")
    out = tmp_path / "out[/]"
    proc = golive("review", str(tmp_path), "-o", str(out))
    assert proc.returncode == 1, proc.stdout + proc.stderr  # NO-GO, not an internal error
    assert "Traceback" not in proc.stderr and proc.stderr == ""
    # the progress line, the scorecard and the paths, each as written
    assert "Reviewing svc[/] (local)" in proc.stdout
    summary = f"output does not match /[bold red]x[/] :100: {IMAGE}/"
    assert re.search(r"^\s+fail a \d+\.\d\ds  " + re.escape(summary), proc.stdout, re.M)
    assert "svc[/] (local): readiness 0.0%" in proc.stdout and title in proc.stdout
    assert "\N{HUNDRED POINTS SYMBOL}" not in proc.stdout
    assert f"report: {out}/readiness-report.md" in proc.stdout
    assert f"package: {out}/readiness-package.md" in proc.stdout
    # every report written, the review in history
    names = {p.name for p in out.iterdir()}
    assert {"readiness-report.md", "readiness-report.json", "readiness-package.md"} <= names
    history = golive("history", str(tmp_path))
    assert history.returncode == 0 and "NO-GO" in history.stdout
    # no live image or HTML in the Markdown documents, yet the service's words are there
    for name in ("readiness-report.md", "readiness-package.md"):
        text = (out / name).read_text()
        assert elements(render(text)) <= STRUCTURE, name
        assert IMAGE in text


@pytest.mark.parametrize("where", ["file", "file/below"])
def test_an_output_in_a_files_place_is_refused_before_any_check_runs(tmp_path: Path, where: str) -> None:
    marker = tmp_path / "check-ran"
    _spec(tmp_path, [_touch("a", marker)])
    (tmp_path / "file").write_text("not a directory\n")
    proc = golive("review", str(tmp_path), "-o", str(tmp_path / where))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "not a directory" in proc.stderr and "Traceback" not in proc.stderr
    assert not marker.exists()  # nothing ran, so no result was lost
    assert not (tmp_path / ".golive" / "history.db").exists()


def test_a_directory_where_a_report_goes_is_refused_before_any_check_runs(tmp_path: Path) -> None:
    marker = tmp_path / "check-ran"
    _spec(tmp_path, [_touch("a", marker)])
    (tmp_path / "out" / "readiness-report.json").mkdir(parents=True)
    proc = golive("review", str(tmp_path), "-o", str(tmp_path / "out"), "--no-history")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "readiness-report.json is a directory where a report file goes" in proc.stderr
    assert not marker.exists()


def test_report_to_a_file_is_bad_input(tmp_path: Path) -> None:
    _spec(tmp_path, [_touch("a", tmp_path / "ran")])
    assert golive("review", str(tmp_path), "-f", "json").returncode == 0
    (tmp_path / "file").write_text("")
    proc = golive("report", str(tmp_path), "-o", str(tmp_path / "file"))
    assert proc.returncode == 2 and "not a directory" in proc.stderr, proc.stderr


def test_a_line_and_column_is_not_an_emoji(tmp_path: Path) -> None:
    # the 100th line holds a spec mistake: its position reads golive.yaml:100:...
    spec = "service: {name: demo}\ncriteria: []\n" + "#\n" * 97 + "bogus: 1\n"
    (tmp_path / "golive.yaml").write_text(spec)
    proc = golive("validate", str(tmp_path))
    assert proc.returncode == 2, proc.stderr
    assert "golive.yaml:100:" in proc.stderr and "\N{HUNDRED POINTS SYMBOL}" not in proc.stderr


def test_every_console_comes_from_the_one_factory() -> None:
    """Consoles made elsewhere would turn ``:100:`` into an emoji again (the terminal reporter
    renders to a string with its own console, emoji off)."""
    allowed = {"cli/_common.py", "reporters/terminal.py"}
    src = REPO / "src" / "golive"
    offenders = [
        str(path.relative_to(src))
        for path in sorted(src.rglob("*.py"))
        if str(path.relative_to(src)) not in allowed and re.search(r"\bConsole\(", path.read_text())
    ]
    assert offenders == []
