"""The report in a real browser: Debian's Chromium, headless, driven by Playwright, with every request
beyond the page itself blocked and counted. The page must load with no request attempted, no console
error, its sections in place, and no sideways scrolling at a laptop's and a phone's width.

Skipped when Chromium (/usr/bin/chromium, `apt-get install chromium`) or Playwright is missing, unless
CUSTOMER_SENTIMENT_REQUIRE_BROWSER=1 (as `.ci/run` sets it), which makes the skip a failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .conftest import HOSTILE, SECTION_IDS

LAPTOP, PHONE = {"width": 1280, "height": 800}, {"width": 390, "height": 844}


@dataclass
class Visit:
    """A page opened with every request but its own file blocked, and what it tried and reported."""

    page: object
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


def visit(browser, path: Path, viewport: dict) -> Visit:
    context = browser.new_context(viewport=viewport, java_script_enabled=True)
    page = context.new_page()
    seen = Visit(page)
    url = path.resolve().as_uri()

    def route(request_route):
        if request_route.request.url == url:
            request_route.continue_()
        else:
            seen.requests.append(request_route.request.url)
            request_route.abort()

    page.route("**/*", route)
    page.on("console", lambda message: message.type == "error" and seen.errors.append(message.text))
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    page.on("dialog", lambda dialog: (seen.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(url, wait_until="load")
    return seen


def overflow(page) -> int:
    """How many pixels the page is wider than the window (sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_the_report_loads_offline_with_every_section(browser, sample_summary, sample_page, tmp_path, viewport):
    report = tmp_path / "report.html"
    report.write_text(sample_page, encoding="utf-8")
    seen = visit(browser, report, viewport)
    try:
        assert seen.requests == [] and seen.errors == []
        for section in SECTION_IDS:
            assert seen.page.locator(f"section#{section} > h2").is_visible(), section
        charts = seen.page.locator("figure.chart svg")
        assert charts.count() == 2 + len(sample_summary["most_negative"]) + 1
        assert min(charts.nth(i).bounding_box()["width"] for i in range(charts.count())) > 200
        assert overflow(seen.page) <= 0
        screenshot = seen.page.screenshot(path=tmp_path / "report.png")
        assert screenshot[:8] == b"\x89PNG\r\n\x1a\n" and (tmp_path / "report.png").stat().st_size > 10_000
    finally:
        seen.page.context.close()


def test_hostile_text_shows_as_text_and_runs_nothing(browser, hostile_page, tmp_path):
    report = tmp_path / "hostile.html"
    report.write_text(hostile_page, encoding="utf-8")
    seen = visit(browser, report, PHONE)
    try:
        assert seen.requests == [] and seen.errors == [] and seen.dialogs == []
        assert seen.page.locator("script, img, iframe").count() == 0
        heading = seen.page.locator("#products article h3").first.inner_text()
        assert heading.startswith(HOSTILE[:60])                     # shown literally, up to the control characters
        assert overflow(seen.page) <= 0
    finally:
        seen.page.context.close()


def test_the_harness_sees_a_fetch_and_the_policy_blocks_it(browser, sample_page, tmp_path):
    """The checks above can fail: a page that loads an image is caught by the route (no policy) or by
    the Content-Security-Policy, which the browser reports as a console error (with the report's policy)."""
    fetching = '<img src="https://example.com/pixel.png" alt="">'
    plain = tmp_path / "plain.html"
    plain.write_text(f"<!DOCTYPE html><html><body>{fetching}</body></html>", encoding="utf-8")
    seen = visit(browser, plain, LAPTOP)
    assert seen.requests == ["https://example.com/pixel.png"]
    seen.page.context.close()

    with_policy = tmp_path / "with-policy.html"
    with_policy.write_text(sample_page.replace("</main>", fetching + "</main>"), encoding="utf-8")
    seen = visit(browser, with_policy, LAPTOP)
    assert seen.requests == [] and any("Content Security Policy" in error for error in seen.errors)
    seen.page.context.close()
