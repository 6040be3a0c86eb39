"""The self-contained HTML report, including a run in real headless Chromium."""

from __future__ import annotations

import dataclasses
import re

import pytest

from golive.reporters.html import HtmlReporter, render_html
from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS
from tests.fixtures.reporters.reviews import KINDS, SCRIPT_PAYLOAD, make_review


def _hostile_review():
    """A NO-GO review whose texts all try to inject markup."""
    review = make_review("nogo")
    first = dataclasses.replace(
        review.results[1],
        title=f"title {SCRIPT_PAYLOAD}",
        summary=f"summary {SCRIPT_PAYLOAD}",
        area='mon"itoring',
        reproducer=f"echo '{SCRIPT_PAYLOAD}'",
    )
    return make_review(
        "nogo",
        results=(first, *review.results[2:]),
        service=f"svc{SCRIPT_PAYLOAD}",
        warnings=(f"warn {SCRIPT_PAYLOAD}",),
    )


def test_evidence_markup_is_escaped():
    page = render_html(_hostile_review())
    # exactly one <script>: the report's own filter code
    assert len(re.findall(r"<script", page, re.I)) == 1
    assert "alert('pwned')" not in page.split("<script>", 1)[1].split("</script>", 1)[0]
    escaped = "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;"
    assert page.count(escaped) >= 6  # title, summary, reproducer, excerpt, warning, service
    assert 'data-area="mon&#34;itoring"' in page


@pytest.mark.parametrize("kind", [*KINDS, "empty"])
def test_self_contained(kind):
    page = render_html(make_review(kind))
    assert page.startswith("<!doctype html>")
    # nothing is fetched: no external src/href, no @import/url() in CSS, CSP forbids it anyway
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page, re.I)
    assert "@import" not in page and "url(" not in page
    assert "default-src 'none'" in page
    assert "<svg" in page


def test_content():
    page = render_html(make_review("nogo"))
    assert 'class="badge nogo" id="decision"' in page
    assert page.count('class="crit"') == 9
    for level in ("High", "Medium", "Low"):
        assert f'class="risk-{level}"' in page
    assert '<span class="pill expired">expired</span>' in page
    assert "p95 latency" in page and "182.5 ms" in page and "&lt;= 150 ms" in page
    assert 'data-filter-status="no-data"' in page and 'data-filter-status="waived"' in page
    # each tier card carries its threshold marker
    assert page.count('class="marker" style="left: ') == 3
    go = render_html(make_review("go"))
    assert 'class="badge go" id="decision"' in go and ">GO</div>" in go


@pytest.mark.parametrize(("kind", "banner"), [("partial", "partial"), ("interrupted", "interrupted")])
def test_banners(kind, banner):
    page = render_html(make_review(kind))
    assert f'id="{banner}-banner"' in page
    assert 'id="partial-banner"' not in render_html(make_review("go"))


def test_reporter_attributes():
    assert (HtmlReporter.name, HtmlReporter.extension) == ("html", "html")


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium")
def test_in_headless_chromium(tmp_path, pytestconfig):
    from playwright.sync_api import sync_playwright

    review = make_review("nogo")
    report = tmp_path / "readiness-report.html"
    report.write_text(render_html(review), encoding="utf-8")
    expected_fail = sum(1 for r in review.results if r.status.value == "fail" and not r.waived)
    artifacts = pytestconfig.rootpath / "test-artifacts"
    artifacts.mkdir(exist_ok=True)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            problems: list[str] = []
            requests: list[str] = []
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(report.as_uri())

            decision = page.locator("#decision")
            assert decision.is_visible()
            assert decision.inner_text().strip() == "NO-GO"
            rows = page.locator("tbody.crit:visible")
            assert rows.count() == len(review.results)

            page.click('[data-filter-status="fail"]')
            assert rows.count() == expected_fail
            assert page.locator("#shown-count").inner_text() == str(expected_fail)
            assert all(s == "fail" for s in rows.evaluate_all("els => els.map(e => e.dataset.state)"))

            page.select_option("#filter-tier", "should")
            assert rows.count() == 1  # cicd.pipeline; the waived p95 is not "fail"

            page.click('[data-filter-status="all"]')
            page.select_option("#filter-tier", "all")
            assert rows.count() == len(review.results)

            # evidence expands, and the <script> payload is shown as text, never run
            metrics = page.locator('tbody.crit[data-id="monitoring.metrics"]')
            evidence = metrics.locator("tr.crit-evidence")
            assert not evidence.is_visible()
            metrics.locator("button.toggle").click()
            assert evidence.is_visible()
            assert SCRIPT_PAYLOAD in evidence.locator("pre.excerpt").inner_text()
            page.screenshot(path=str(artifacts / "html-report.png"), full_page=True)

            assert problems == []
            assert requests == [report.as_uri()]  # nothing but the file itself
        finally:
            browser.close()


def test_svg_chart_artifacts_are_inlined_as_inert_images(tmp_path):
    chart = tmp_path / "latency.svg"
    chart.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="5" height="5"/></svg>'
    )
    big = tmp_path / "huge.svg"
    big.write_bytes(b"<svg>" + b" " * (600 * 1024) + b"</svg>")
    review = make_review("go")
    first = review.results[0]
    evidence = dataclasses.replace(
        first.evidence, artifacts=(str(chart), str(big), str(tmp_path / "gone.svg"))
    )
    review = dataclasses.replace(
        review, results=(dataclasses.replace(first, evidence=evidence),) + review.results[1:]
    )
    html = render_html(review)
    assert html.count('src="data:image/svg+xml;base64,') == 1
    assert "<figcaption>latency.svg</figcaption>" in html
    assert "huge.svg" in html  # still listed as an artifact, not inlined
