"""In the browser, on a phone-sized screen: a caseworker files a request, finds it in the list and cancels it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel.dates import format_date
from playwright.sync_api import Page, expect
from sqlalchemy import select

from lotsen.auth.models import Role
from lotsen.offices.models import Municipality
from lotsen.requests.lifecycle import RequestStatus
from lotsen.requests.models import HelpRequest, RequestKind
from lotsen.public_holidays import HolidayCalendar
from lotsen.requests.timing import add_working_days
from lotsen.volunteers.models import Mode, Topic
from tests.conftest import PASSWORD
from tests.e2e.phone import assert_no_sideways_scrolling
from tests.e2e.request_form import fill_request

BERLIN = ZoneInfo("Europe/Berlin")


def _stored(session) -> list[HelpRequest]:
    session.rollback()  # a fresh transaction: on SQLite an open one would still see its old snapshot
    return list(session.scalars(select(HelpRequest).order_by(HelpRequest.id)))


def test_a_caseworker_files_and_cancels_a_request_on_a_phone(phone_page: Page, make_office, make_agency,
                                                             make_user, session):
    page = phone_page
    office = make_office(name="Integrationsbüro Kreis Offenbach")
    dietzenbach = Municipality(office_id=office.id, name="Dietzenbach")
    session.add(dietzenbach)
    session.commit()
    agency = make_agency(offices=[office], name="Jobcenter Kreis Offenbach")
    user = make_user(Role.CASEWORKER, agency=agency, locale="en", name="Jonas Weber")
    today = dt.datetime.now(BERLIN).date()
    day = add_working_days(today, 10, HolidayCalendar())

    page.goto("/login")  # German until signed in: the phone's browser asks for German
    page.get_by_label("E-Mail-Adresse").fill(user.email)
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", level=1, name="Requests of Jobcenter Kreis Offenbach")).to_be_visible()
    assert_no_sideways_scrolling(page)
    page.get_by_role("link", name="New request").click()
    expect(page.get_by_role("heading", level=1, name="New request")).to_be_visible()
    assert_no_sideways_scrolling(page)

    # Tomorrow lies inside the lead time: explained, the input kept, nothing saved
    fill_request(page, today + dt.timedelta(days=1))
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("alert")).to_contain_text("mark the request as urgent")
    what = page.get_by_role("group", name="What", exact=True)
    expect(what.get_by_label("Your reference (case number)")).to_have_value("AZ-4711")
    expect(what.get_by_label("Contact person on the day")).to_have_value("Frau Keller")
    expect(what.get_by_label("Contact phone on the day")).to_have_value("06074 123456")
    assert_no_sideways_scrolling(page)
    assert _stored(session) == []

    # Ten working days ahead is fine
    fill_request(page, day)
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_text("Your request has been sent to the coordinating office.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Request no. 1")
    expect(page.get_by_text("Open", exact=True)).to_be_visible()
    starts_at = dt.datetime.combine(day, dt.time(10), tzinfo=BERLIN)
    # British English: the day before the month, the time without seconds or zone name
    expect(page.locator("dl.details")).to_contain_text(f"{format_date(starts_at, 'full', locale='en_GB')}, 10:00")
    expect(page.get_by_role("region", name="History")).to_contain_text("Jonas Weber: Request filed")
    assert_no_sideways_scrolling(page)

    # The list shows it with the reference
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Requests").click()
    expect(page.get_by_role("heading", level=1, name="Requests")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="AZ-4711")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Open")
    assert_no_sideways_scrolling(page)

    # Cancelled with a reason
    row.get_by_role("link").click()
    page.get_by_role("link", name="Cancel request").click()
    expect(page.get_by_role("heading", level=1, name="Cancel request no. 1")).to_be_visible()
    assert_no_sideways_scrolling(page)
    page.get_by_label("Reason").fill("The appointment was moved by the practice.")
    page.get_by_role("button", name="Cancel request").click()
    expect(page.get_by_text("The request has been cancelled.")).to_be_visible()
    expect(page.get_by_text("Cancelled", exact=True)).to_be_visible()
    expect(page.get_by_role("region", name="History")).to_contain_text("The appointment was moved by the practice.")
    assert_no_sideways_scrolling(page)

    [stored] = _stored(session)
    assert stored.agency_id == agency.id and stored.office_id == office.id
    assert stored.starts_at.utcoffset() == dt.timedelta(0)  # stored in UTC …
    assert stored.starts_at == starts_at.astimezone(dt.timezone.utc)  # … for 10:00 in Berlin
    assert stored.duration_minutes == 90
    assert (stored.kind, stored.language, stored.mode, stored.topic) == (RequestKind.INTERPRETER, "ar", Mode.ON_SITE,
                                                                         Topic.HEALTH)
    assert (stored.postcode, stored.town, stored.municipality_id) == ("63128", "Dietzenbach", dietzenbach.id)
    assert (stored.client_reference, stored.contact_name, stored.contact_phone) == ("AZ-4711", "Frau Keller",
                                                                                    "06074 123456")
    assert not stored.is_urgent
    assert stored.status is RequestStatus.CANCELLED
    assert stored.cancel_reason == "The appointment was moved by the practice."
