"""In the browser, on a 360 px phone whose browser asks for German: a volunteer who reads Arabic chooses Arabic at
the top of the sign-in page, registers, keeps the profile and answers an offer, every page right to left and in
Arabic; every mail to them is in Arabic; digits typed in Arabic script count."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from flask_babel import gettext
from playwright.sync_api import Page, expect
from sqlalchemy import select

from lotsen.assignments import offering
from lotsen.auth import services as accounts
from lotsen.auth.models import Role, User
from lotsen.i18n import force_locale
from lotsen.offices.models import Municipality
from lotsen.volunteers.models import VolunteerProfile
from tests.builders import add_language, add_window, make_request
from tests.conftest import mail_body
from tests.e2e.phone import assert_no_sideways_scrolling

BERLIN = ZoneInfo("Europe/Berlin")
PASSWORD = "Sonnenblumen über dem Main 42"


@pytest.fixture
def arabic(app):
    """A message as the Arabic catalogue has it (the test fails if it is not translated)."""

    def text(message: str, **values) -> str:
        with app.test_request_context(), force_locale("ar"):
            translated = gettext(message, **values)
        with app.test_request_context(), force_locale("en"):
            assert translated != gettext(message, **values), f"not translated: {message}"
        return translated

    return text


@pytest.fixture
def narrow_phone(browser, live_server):
    """The smallest common phone: 360 px wide, touch; its browser asks for German."""
    context = browser.new_context(base_url=live_server, locale="de-DE", timezone_id="Europe/Berlin",
                                  viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def _right_to_left(page: Page) -> None:
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    assert page.evaluate("getComputedStyle(document.querySelector('main')).direction") == "rtl"
    assert_no_sideways_scrolling(page)


def test_a_volunteer_does_everything_in_arabic(narrow_phone: Page, arabic, app, live_server, session, make_office,
                                               make_agency, make_user, act, mails):
    page, t = narrow_phone, arabic
    office = make_office(name="Integrationsbüro Kreis Offenbach")
    session.add(Municipality(office_id=office.id, name="Dietzenbach"))
    agency = make_agency(offices=[office], name="Jobcenter Kreis Offenbach")
    coordinator = make_user(Role.COORDINATOR, office=office, locale="de")
    session.commit()

    # The sign-in page is German (the phone asks for German); the language choice is at the top.
    page.goto("/login")
    page.get_by_label("Anzeigesprache").select_option("ar")
    expect(page.get_by_role("option", name="العربية")).to_have_attribute("lang", "ar")
    page.get_by_role("button", name="Wechseln").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Sign in"))
    _right_to_left(page)

    # Registration, in Arabic; the account's language is Arabic without choosing it again.
    page.get_by_role("link", name=t("Register for a pool")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Register as a volunteer"))
    expect(page.get_by_label(t("Language"), exact=True)).to_have_value("ar")
    page.get_by_label(t("Name"), exact=True).fill("أمينة حداد")
    page.get_by_label(t("Email address")).fill("amina@example.org")
    page.get_by_label(t("Password"), exact=True).fill(PASSWORD)
    page.get_by_label(t("Repeat the password")).fill("something else entirely 1")
    page.get_by_label(t("I agree that the office stores my details to arrange assignments.")).check()
    page.get_by_role("button", name=t("Register")).click()
    expect(page).to_have_title(re.compile("^" + re.escape(t("Error:"))))  # the title says so
    assert page.evaluate("document.activeElement.id") == "error-summary"  # and focus is on the errors
    expect(page.get_by_label(t("Name"), exact=True)).to_have_value("أمينة حداد")  # nothing lost
    page.get_by_label(t("Password"), exact=True).fill(PASSWORD)
    page.get_by_label(t("Repeat the password")).fill(PASSWORD)
    page.get_by_role("button", name=t("Register")).click()
    expect(page.locator("main")).to_contain_text(t("Thank you for registering"))
    _right_to_left(page)
    session.expire_all()
    amina = session.scalar(select(User).where(User.email == "amina@example.org"))
    assert amina.locale == "ar"

    # The office vets her; she signs in and keeps her profile, typing digits in Arabic script.
    with app.app_context():
        accounts.vet_volunteer(session, coordinator, amina)
    session.commit()
    page.goto("/login")
    page.get_by_label(t("Email address")).fill("amina@example.org")
    page.get_by_label(t("Password"), exact=True).fill(PASSWORD)
    page.get_by_role("button", name=t("Sign in")).click()
    _right_to_left(page)
    page.get_by_role("link", name=t("Complete my profile")).click()
    page.get_by_role("link", name=re.compile(re.escape(t("About me")))).click()
    page.get_by_label(t("Lay interpreter")).check()
    page.get_by_label(t("On site")).check()
    page.get_by_label(t("My German")).select_option("fluent")
    page.get_by_label(t("Mobile phone")).fill("٠١٥١ ٢٣٤٥٦٧٨")
    _right_to_left(page)
    page.get_by_role("button", name=t("Save and continue")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Languages"))
    page.goto("/profile/place")
    page.get_by_label(t("Home postcode")).fill("٦٣١٢٨")
    page.get_by_label(t("Town or district")).fill("Dietzenbach")
    page.get_by_label(t("How far I travel (km)")).fill("15")  # a number field: the phone types its digits
    page.get_by_role("button", name=t("Save and continue")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("When I can"))
    _right_to_left(page)
    session.expire_all()
    profile = session.scalar(select(VolunteerProfile).where(VolunteerProfile.user_id == amina.id))
    assert (profile.phone, profile.postcode, profile.travel_radius_km) == ("0151 2345678", "63128", 15)

    # An offer: the mail is in Arabic, and its link opens the answer page in Arabic on a German phone.
    today = dt.datetime.now(BERLIN).date()
    add_window(session, amina, weekday=0, starts="07:00", ends="14:00")
    add_language(session, amina, "ar")
    profile.declaration_signed_on = profile.certificate_checked_on = today - dt.timedelta(days=10)  # at the office
    session.commit()
    monday = today + dt.timedelta(days=((7 - today.weekday()) % 7 or 7) + 7)
    filed = make_request(session, office, agency, starts=dt.datetime.combine(monday, dt.time(9), BERLIN))
    act(offering.make_offers, session, coordinator, filed.id, [amina.id])
    session.commit()
    page.context.clear_cookies()  # signed out: the link alone
    delivered = [m for m in mails() if m["To"] == "amina@example.org"]
    assert len(delivered) >= 3  # received, vetted, the offer
    for message in delivered:
        assert re.search("[\u0600-\u06ff]", str(message["Subject"]) + mail_body(message)), message["Subject"]
    link = re.findall(rf"{re.escape(live_server)}(/answer/\S+)", mail_body(delivered[-1]))[-1]
    page.goto(link)
    _right_to_left(page)
    page.get_by_role("button", name=t("Yes, I will take it")).click()
    expect(page.get_by_text(t("Thank you! The office will confirm shortly."))).to_be_visible()
    _right_to_left(page)
