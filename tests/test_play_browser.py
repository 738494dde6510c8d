"""The playground in a real browser: Debian's chromium driven by Playwright (no browser download).

One test, end to end: ``reglab play --no-browser`` on a free port, the page shows the
exercise's counts, a slider moved with the keyboard retrains the models and rewrites
the URL, and that URL opened in a fresh browser context (a new session) shows the same
results. Missing chromium or Playwright is a failure under CI, a skip elsewhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from browser import CHROMIUM_FLAGS, chromium, unavailable
from play_server import play_server

WAIT_MS = 180_000  # the first page of a fresh installation loads the compiled kernel


def sync_api() -> Any:
    try:
        from playwright import sync_api
    except ImportError:
        unavailable('playwright is not installed (pip install ".[test]")')
    return sync_api


def results_text(page: Any) -> str:
    """The conclusion table's text: the first table on the page."""
    table = page.locator('[data-testid="stTable"]').first
    table.wait_for(timeout=WAIT_MS)
    text: str = table.inner_text()
    return text


def test_the_page_in_a_browser(football_path: Path) -> None:
    api = sync_api()
    binary = chromium()
    with play_server(["--data", str(football_path)]) as (url, _), api.sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=binary, headless=True, args=list(CHROMIUM_FLAGS)
        )
        try:
            page = browser.new_page()
            page.goto(url)
            page.get_by_text("0.915 (183/200)").first.wait_for(timeout=WAIT_MS)
            for count in ("0.93 (186/200)", "0.95 (190/200)"):
                assert count in results_text(page)

            # Model 3's keep_prob (0.86): one step left with the keyboard.
            thumb = page.locator(".st-key-keep_prob_3 input[type='range']")
            thumb.focus()
            thumb.press("ArrowLeft")
            page.get_by_text("dropout, keep_prob = 0.85 (course masks)").first.wait_for(
                timeout=WAIT_MS
            )
            page.wait_for_url("**keep_prob_3=0.85**", timeout=WAIT_MS)
            changed = results_text(page)
            assert "0.86" not in changed
            shared = page.url

            fresh = browser.new_context().new_page()  # a new session, nothing shared
            fresh.goto(shared)
            fresh.get_by_text("dropout, keep_prob = 0.85 (course masks)").first.wait_for(
                timeout=WAIT_MS
            )
            assert results_text(fresh) == changed
            assert "keep_prob_3=0.85" in fresh.url
        finally:
            browser.close()
