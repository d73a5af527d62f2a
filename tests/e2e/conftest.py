"""Browser fixtures: the app served on a free port, one headless Chromium per run, a page per test.

The browser is Debian's Chromium (``make chromium``); a downloaded Playwright build is never used.
CSRF protection is on here, as in production: the browser submits the real forms with their tokens.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
E2E_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    """Mark every test below tests/e2e with ``e2e`` (``pytest -m "not e2e"`` leaves them out)."""
    for item in items:
        if E2E_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def app_overrides():
    """The browser submits real forms, so CSRF protection stays on as in production."""
    return {"WTF_CSRF_ENABLED": True}


@pytest.fixture
def live_server(app):
    """Serve ``app`` on 127.0.0.1 on a free port in a background thread; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # Requests still in flight when a test ends (a chart image the browser was loading) finish before the test's
    # tables are emptied: server_close() joins every request thread.
    server.daemon_threads = False
    server.block_on_close = True
    base_url = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = base_url
    # A short poll interval lets shutdown() return quickly after each test.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="lotsen-live-server",
                              daemon=True)
    thread.start()
    try:
        yield base_url
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing; install it with `make chromium` (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _open_page(browser, base_url: str, **context_options):
    context = browser.new_context(base_url=base_url, locale="de-DE", timezone_id="Europe/Berlin",
                                  **context_options)
    context.set_default_timeout(10_000)
    return context, context.new_page()


@pytest.fixture
def page(browser, live_server):
    """A desktop page in a fresh context (German, Berlin time); relative URLs go to the live server.

    It depends on ``live_server`` so that the browser closes its connections before the server stops.
    """
    context, new_page = _open_page(browser, live_server)
    yield new_page
    context.close()


@pytest.fixture
def phone_page(browser, live_server):
    """A page on a phone-sized touch screen, as most volunteers use Lotsen."""
    context, new_page = _open_page(browser, live_server, viewport={"width": 390, "height": 844}, is_mobile=True,
                                   has_touch=True, device_scale_factor=3)
    yield new_page
    context.close()
