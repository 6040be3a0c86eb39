"""The critical path: which chain of checks set a review's wall time."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from golive.reporters._critical import critical_path
from golive.reporters.html import render_html
from golive.reporters.terminal import render_terminal
from golive.results import CheckResult, Review
from tests.fixtures.reporters.reviews import STARTED, make_review


def _timed(criterion_id: str, started: float, duration: float, waited: float = 0.0) -> CheckResult:
    return CheckResult(
        criterion_id=criterion_id,
        title=criterion_id,
        area="a",
        tier=make_review("go").results[0].tier,
        check_type="file",
        status=make_review("go").results[0].status,
        summary="ok",
        duration_s=duration,
        started_s=started,
        waited_s=waited,
    )


def _review(*results: CheckResult, wall: float) -> Review:
    base = make_review("go")
    return dataclasses.replace(base, results=results, finished_at=STARTED + timedelta(seconds=wall))


# A timeline like the storefront's: a scanner ready at once; a load test that waited for the
# gate until the drill (ready at once) finished; a capacity search after the load test (needs).
TIMELINE = (
    _timed("sec.sast", 0.0, 20.0),
    _timed("mon.drill", 0.1, 60.0),
    _timed("perf.load", 60.2, 90.0, waited=60.1),
    _timed("perf.capacity", 150.3, 50.0),
    _timed("docs.readme", 0.05, 0.2),
)


def test_the_chain_follows_gate_waits_and_needs_back_to_the_start() -> None:
    path = critical_path(_review(*TIMELINE, wall=201.0))
    assert [(s.criterion_id, s.cause) for s in path.steps] == [
        ("mon.drill", "start"),
        ("perf.load", "gate"),
        ("perf.capacity", "needs"),
    ]
    assert round(path.path_s, 1) == 200.0
    assert round(path.busy_s, 1) == 220.2
    assert round(path.overlap, 2) == round(220.2 / 201.0, 2)


def test_a_review_without_timings_has_no_path_and_reports_show_none() -> None:
    review = make_review("go")  # results recorded before timings existed: started_s 0
    assert critical_path(dataclasses.replace(review, results=())).steps == ()
    assert "Critical path" not in render_terminal(dataclasses.replace(review, results=()))
    assert 'id="critical-path"' not in render_html(dataclasses.replace(review, results=()))


def test_terminal_and_html_show_the_path_with_its_causes() -> None:
    review = _review(*TIMELINE, wall=201.0)
    text = render_terminal(review, width=160)
    assert "Critical path: 3 min 20 s of 3 min 21 s wall time" in text
    assert text.index("mon.drill") < text.index("perf.load") < text.index("perf.capacity")
    assert "waited for the gate" in text and "after its needs" in text
    html = render_html(review)
    assert 'id="critical-path"' in html
    assert "<code>perf.capacity</code>" in html and "1.1x overlap" in html
