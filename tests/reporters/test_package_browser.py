"""The readiness package's HTML in real headless Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

from golive.history.store import open_store
from golive.reporters.package import load_package, write_package
from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS
from tests.reporters.test_package import _history

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium")
def test_package_html_in_headless_chromium(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with open_store(f"sqlite:///{tmp_path / 'h.db'}", root=tmp_path) as store:
        _history(store)
        package = load_package(store, service="demo", environment="staging")
    [html] = write_package(package, tmp_path, ["html"])
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            requests: list[str] = []
            errors: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(html.as_uri())
            assert page.locator("#decision").inner_text() == "NO-GO"
            assert page.title().startswith("NO-GO · Production readiness package: demo")
            for section in ("#report", "#risks", "#tests", "#launch", "#signoff"):
                assert page.locator(section).is_visible(), section
            assert page.locator(".risk-table[data-level=High] tbody tr").count() == 2
            override = page.locator("tr.signoff.is-override")
            assert override.count() == 1
            assert "override" in override.inner_text()
            assert "Load fix ships behind a feature flag" in page.locator(".override-note").inner_text()
            assert page.locator("#signoff-status").inner_text() == "Blocked: NO-GO from Bob (Operations)"
            # captured text is shown as text, never as markup
            assert page.locator("#signoffs b").count() == 0
            # the reporters' stylesheet applies (cards are styled), with no fetch at all
            assert page.locator("#report").evaluate("e => getComputedStyle(e).borderRadius") != "0px"
            assert requests == [html.as_uri()], requests
            assert errors == []
            page.screenshot(path=str(ARTIFACTS / "runbook-readiness-package.png"), full_page=True)
            # print layout: one section per page
            page.emulate_media(media="print")
            assert page.locator("#risks").evaluate("e => getComputedStyle(e).breakAfter") == "page"
        finally:
            browser.close()
