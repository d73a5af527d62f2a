"""What every page on a phone must do: fit the screen's width."""

from __future__ import annotations

from playwright.sync_api import Page


def assert_no_sideways_scrolling(page: Page) -> None:
    """The page, once loaded, is no wider than the screen.

    Callers first wait for what the new page shows (a heading, a message), so the check reads the page the
    click led to; the wait here covers the last moments of loading, when the document is not there yet.
    """
    page.wait_for_load_state("load")
    page.wait_for_function("() => document.readyState === 'complete' && document.documentElement !== null")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url
