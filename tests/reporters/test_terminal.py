"""The terminal scorecard."""

from __future__ import annotations

import dataclasses
import io

import pytest
from rich.console import Console

from golive.reporters.terminal import TerminalReporter, print_scorecard, render_terminal
from tests.fixtures.reporters.reviews import KINDS, make_review


@pytest.mark.parametrize("kind", KINDS)
def test_snapshot(kind, txt_snapshot):
    assert render_terminal(make_review(kind)) == txt_snapshot


def test_decision_line_is_last_and_big():
    lines = render_terminal(make_review("nogo")).rstrip("\n").splitlines()
    assert "✘ NO-GO" in lines[-2] and "readiness 33.3%" in lines[-2]
    assert lines[-1].startswith("╰") and lines[-3].startswith("╭")
    assert "✔ GO" in render_terminal(make_review("go"))


def test_blocking_and_failing_lists():
    text = render_terminal(make_review("go"))
    assert "Blocking criteria" not in text
    assert "Other criteria not passed" in text and "docs.oncall" in text
    text = render_terminal(make_review("nogo"))
    blocking = text[text.index("Blocking criteria") :]
    for cid in make_review("nogo").scorecard.blocking:
        assert cid in blocking
    assert "Expired waivers (not applied): cicd.pipeline" in text


def test_plain_text_has_no_escape_codes():
    text = render_terminal(make_review("nogo"))
    assert "\x1b" not in text  # neither colours nor the ANSI in the evidence


def test_print_scorecard_colours_the_decision():
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, color_system="standard", width=100)
    print_scorecard(make_review("nogo"), console)
    out = buf.getvalue()
    assert "\x1b[1;37;41m ✘ NO-GO \x1b[0m" in out
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, color_system="standard", width=100)
    print_scorecard(make_review("go"), console)
    assert "\x1b[1;37;42m ✔ GO \x1b[0m" in buf.getvalue()


def test_narrow_terminal_still_renders():
    text = TerminalReporter(width=60).render(make_review("nogo"))
    assert max(len(line) for line in text.splitlines()) <= 60
    assert "NO-GO" in text


def test_markup_and_shortcodes_in_spec_and_service_text_are_shown_as_written():
    review = make_review("nogo")
    first = dataclasses.replace(
        review.results[1], title="t [bold]x[/]", area="area [/] :100:", summary="[red]s[/] :100:"
    )
    review = make_review("nogo", results=(first, *review.results[2:]), service="svc[/]")
    buf = io.StringIO()
    # a console with markup and emoji on: the scorecard must not depend on the caller's console
    print_scorecard(review, Console(file=buf, width=200, color_system=None))
    out = buf.getvalue()
    assert "area [/] :100:" in out and "t [bold]x[/]: [red]s[/] :100:" in out
    assert "svc[/] (staging): readiness" in out
    assert "\N{HUNDRED POINTS SYMBOL}" not in out
