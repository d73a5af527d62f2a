"""In the browser, on a phone: every page a volunteer or a visitor sees, in each enabled language (at 360 px), and
the main pages of the other roles in German (at 320 px), have no critical or serious axe-core violation (WCAG 2.1
A and AA), do not scroll sideways, and read right to left in Arabic and Persian."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests import pages
from tests.conftest import PASSWORD

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
RIGHT_TO_LEFT = {"ar", "fa"}
CHECK = """async () => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
  return result.violations.filter(v => v.impact === 'critical' || v.impact === 'serious')
    .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
}"""


@pytest.fixture
def world(session, act, make_office, make_agency, make_user):
    return pages.build(session, act, make_office, make_agency, make_user)


@pytest.fixture
def audit_page(browser, live_server):
    """A 360 px phone; the page's own Content-Security-Policy is bypassed only to let axe-core in."""
    context = browser.new_context(base_url=live_server, locale="de-DE", timezone_id="Europe/Berlin",
                                  viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                                  bypass_csp=True)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def _audit(page: Page, url: str, locale: str, found: list[str]) -> None:
    page.goto(url)
    page.wait_for_load_state("load")
    where = f"{locale} {url}"
    if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
        found.append(f"{where}: scrolls sideways at {page.viewport_size['width']} px")
    direction = "rtl" if locale in RIGHT_TO_LEFT else "ltr"
    if page.evaluate("getComputedStyle(document.body).direction") != direction or \
            page.get_attribute("html", "dir") != direction:
        found.append(f"{where}: not {direction}")
    page.add_script_tag(path=str(AXE))
    found += [f"{where}: {violation}" for violation in page.evaluate(CHECK)]


def _sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def _sign_out(page: Page) -> None:
    page.context.clear_cookies()


def test_every_audited_page_passes_axe_fits_a_phone_and_reads_in_its_direction(
        audit_page: Page, app, session, world, database_url):
    if database_url.startswith("postgresql"):
        pytest.skip("the pages are the same on both databases: audited once, on SQLite")
    assert AXE.exists(), "run `make axe` (npm ci) first"
    page, found = audit_page, []
    for locale in app.config["LANGUAGES"]:
        page.goto("/login")
        page.locator("#lang-switch-locale").select_option(locale)
        page.locator(".lang-switch button").click()
        for url in pages.visitor_pages():
            _audit(page, url, locale, found)
        world.volunteer.locale = locale
        session.commit()
        _sign_in(page, world.volunteer.email)
        for url in pages.volunteer_pages(world):
            _audit(page, url, locale, found)
        _sign_out(page)
    page.set_viewport_size({"width": 320, "height": 640})  # staff pages: the narrowest phones too
    for role, urls in pages.staff_pages(world).items():
        _sign_in(page, getattr(world, role).email)
        for url in urls:
            _audit(page, url, "de", found)
        _sign_out(page)
    assert found == [], "\n".join(found)
