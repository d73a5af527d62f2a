"""In the browser: each role signs in through the German login form, sees its start page and signs out."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from lotsen.auth.models import Role
from tests.conftest import PASSWORD
from tests.e2e.phone import assert_no_sideways_scrolling

# The German catalogue's words (lotsen/translations/de/LC_MESSAGES/messages.po).
EMAIL_LABEL = "E-Mail-Adresse"
PASSWORD_LABEL = "Passwort"
SIGN_IN = "Anmelden"
SIGN_OUT = "Abmelden"
SIGNED_OUT = "Sie sind abgemeldet."
GENERIC_FAILURE = "E-Mail-Adresse oder Passwort ist nicht richtig, oder das Konto ist nicht aktiv."


def _watch_console(page: Page) -> list[str]:
    """Collect the browser's console errors (a blocked inline script or style shows up here)."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def _expect_login_page(page: Page) -> None:
    expect(page).to_have_url(re.compile(r"/login(\?.*)?$"))
    expect(page.get_by_role("heading", level=1, name=SIGN_IN, exact=True)).to_be_visible()
    expect(page.get_by_label(EMAIL_LABEL, exact=True)).to_be_visible()


def _sign_in(page: Page, email: str, password: str) -> None:
    page.get_by_label(EMAIL_LABEL, exact=True).fill(email)
    page.get_by_label(PASSWORD_LABEL, exact=True).fill(password)
    page.get_by_role("button", name=SIGN_IN, exact=True).click()


def _expect_volunteer_start(page: Page, user) -> None:
    expect(page.get_by_role("heading", level=1)).to_contain_text(user.name)
    for section in ("Meine Anfragen", "Meine Einsätze"):
        region = page.get_by_role("region", name=section, exact=True)
        expect(region).to_be_visible()
        expect(region.get_by_role("heading", level=2, name=section, exact=True)).to_be_visible()


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.CASEWORKER, Role.COORDINATOR, Role.ADMIN], ids=lambda r: r.value)
def test_each_role_signs_in_sees_its_start_page_and_signs_out(request, make_user, make_agency, role):
    if role is Role.CASEWORKER:
        user = make_user(role, locale="de", agency=make_agency(name="Jobcenter Kassel"))
    else:
        names = {"name": "Amina Yılmaz"} if role is Role.VOLUNTEER else {}
        user = make_user(role, locale="de", **names)
    # Volunteers mostly use Lotsen on their phones.
    page: Page = request.getfixturevalue("phone_page" if role is Role.VOLUNTEER else "page")
    console_errors = _watch_console(page)

    page.goto("/")
    _expect_login_page(page)
    _sign_in(page, user.email, PASSWORD)

    expect(page).to_have_url(re.compile(r"/start$"))
    if role is Role.VOLUNTEER:
        _expect_volunteer_start(page, user)
        assert_no_sideways_scrolling(page)
    elif role is Role.CASEWORKER:
        expect(page.get_by_role("heading", level=1)).to_have_text("Einsatzanfragen von Jobcenter Kassel")
    elif role is Role.COORDINATOR:
        expect(page.get_by_role("heading", level=1)).to_have_text("Übersicht")
    else:
        expect(page.get_by_role("heading", level=1)).to_have_text("Verwaltung")
    expect(page.locator("html")).to_have_attribute("lang", "de")

    page.get_by_role("button", name=SIGN_OUT, exact=True).click()
    _expect_login_page(page)
    expect(page.get_by_role("status").filter(has_text=SIGNED_OUT)).to_be_visible()
    page.goto("/start")
    _expect_login_page(page)  # the session really ended
    assert console_errors == []


def test_wrong_password_shows_the_generic_error_and_keeps_the_email(page: Page, make_user):
    user = make_user(Role.VOLUNTEER, locale="de", email="amina@example.org")
    console_errors = _watch_console(page)
    page.goto("/login")
    _sign_in(page, user.email, "not the password")

    _expect_login_page(page)
    expect(page.get_by_role("alert")).to_contain_text(GENERIC_FAILURE)
    expect(page.get_by_label(EMAIL_LABEL, exact=True)).to_have_value("amina@example.org")
    expect(page.get_by_label(PASSWORD_LABEL, exact=True)).to_have_value("")
    # The Content-Security-Policy forbids inline script: every script must come from a file.
    assert page.locator("script:not([src])").count() == 0
    assert console_errors == []


def test_signing_in_works_with_the_keyboard_alone(page: Page, make_user):
    user = make_user(Role.COORDINATOR, locale="de")
    page.goto("/")
    _expect_login_page(page)

    page.keyboard.press("Tab")
    skip_link = page.locator("a.skip-link")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_have_text("Zum Inhalt springen")
    expect(skip_link).to_be_in_viewport()  # it slides into view when focused

    page.keyboard.press("Enter")  # skip the header: the next Tab lands in the form
    expect(page.locator("main#main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label(EMAIL_LABEL, exact=True)).to_be_focused()
    page.keyboard.type(user.email)
    page.keyboard.press("Tab")
    expect(page.get_by_label(PASSWORD_LABEL, exact=True)).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    # The browser keeps the #main fragment of the skip link across the redirect.
    expect(page).to_have_url(re.compile(r"/start(#main)?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Übersicht")
