"""In the browser, the whole path: a caseworker files, the coordinator asks two volunteers, both accept from the
links in their mails on their own phones, the quicker one gets it, the coordinator confirms, the caseworker sees who.
"""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from lotsen.assignments.models import Assignment, AssignmentStatus, Offer, OfferStatus
from lotsen.auth.models import Role
from lotsen.requests.lifecycle import RequestStatus
from lotsen.requests.models import HelpRequest
from lotsen.assignments import answers, confirming, offering
from tests.builders import add_language, add_window, make_request, ready
from tests.conftest import PASSWORD, mail_body
from tests.e2e.request_form import fill_request

BERLIN = ZoneInfo("Europe/Berlin")


def monday_after_next() -> dt.date:
    """Well beyond the office's lead time, and inside the volunteers' Monday windows."""
    today = dt.datetime.now(BERLIN).date()
    return today + dt.timedelta(days=((7 - today.weekday()) % 7 or 7) + 7)


@pytest.fixture
def open_phone(browser, live_server):
    """A phone of someone not signed in, whose browser asks for English; closed before the server stops."""
    contexts = []

    def open_one() -> Page:
        context = browser.new_context(base_url=live_server, locale="en-GB", timezone_id="Europe/Berlin",
                                      viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_one
    for context in contexts:
        context.close()


@pytest.fixture
def second_page(browser, live_server):
    """A second desktop browser (German, as ``page``) for a second member of staff."""
    context = browser.new_context(base_url=live_server, locale="de-DE", timezone_id="Europe/Berlin")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def _sign_in(page: Page, email: str) -> None:
    page.goto("/login")  # German until signed in; the users themselves chose English
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def _file_request(page: Page, day: dt.date) -> None:
    page.get_by_role("link", name="New request").first.click()
    fill_request(page, day, start="09:00", reference="AZ-0815")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_text("Your request has been sent to the coordinating office.")).to_be_visible()


def _fresh(session) -> None:
    """See what the server committed: end the test's read transaction and forget loaded rows."""
    session.rollback()
    session.expire_all()


def _answer_link(messages, base_url: str, to: str) -> str:
    """The link in the newest offer mail to ``to``."""
    links = [found for m in messages if m["To"] == to
             for found in re.findall(rf"{re.escape(base_url)}(/answer/\S+)", mail_body(m))]
    return links[-1]


@pytest.fixture
def offenbach(session, make_office, make_agency, make_user) -> SimpleNamespace:
    """An office with an agency, its caseworker, a coordinator, and two Arabic volunteers free on Monday mornings."""
    office = make_office(name="Integrationsbüro Kreis Offenbach")
    agency = make_agency(offices=[office], name="Jobcenter Kreis Offenbach")
    people = SimpleNamespace(
        office=office, agency=agency, caseworker=make_user(Role.CASEWORKER, agency=agency, name="Jonas Weber"),
        coordinator=make_user(Role.COORDINATOR, office=office, name="Carla Coordinator"),
        amina=make_user(Role.VOLUNTEER, office=office, name="Amina Aziz", profile=ready(phone="0170 1111111")),
        bilal=make_user(Role.VOLUNTEER, office=office, name="Bilal Bakr", profile=ready(
            postcode="63110", latitude=50.0263, longitude=8.8859, phone="0170 2222222")))
    for volunteer in (people.amina, people.bilal):
        add_language(session, volunteer, "ar")
        add_window(session, volunteer, weekday=0, starts="07:00", ends="14:00")
    session.commit()
    return people


def test_two_accept_the_quicker_is_confirmed_and_the_caseworker_sees_who(
        page: Page, second_page: Page, open_phone, live_server, session, offenbach, mails):
    caseworker, coordinator, amina, bilal = offenbach.caseworker, offenbach.coordinator, offenbach.amina, offenbach.bilal

    # The caseworker files a request for the Monday after next, 09:00
    caseworker_page = page
    _sign_in(caseworker_page, caseworker.email)
    _file_request(caseworker_page, monday_after_next())
    request_path = re.search(r"/requests/\d+$", caseworker_page.url).group(0)
    expect(caseworker_page.get_by_text("Open", exact=True)).to_be_visible()
    _fresh(session)
    [filed] = session.scalars(select(HelpRequest)).all()
    assert request_path == f"/requests/{filed.id}"

    # The coordinator finds it on the dashboard and asks both volunteers at once
    coordinator_page = second_page
    _sign_in(coordinator_page, coordinator.email)
    coordinator_page.goto("/coordination/")
    coordinator_page.locator(f'a[href="{request_path}"]').first.click()
    expect(coordinator_page).to_have_url(re.compile(rf"{request_path}$"))
    coordinator_page.get_by_role("link", name="Find volunteers").click()
    expect(coordinator_page).to_have_url(re.compile(rf"{request_path}/candidates$"))
    ranked = coordinator_page.get_by_role("table", name="Ranked candidates")
    for volunteer in (amina, bilal):
        ranked.locator(f'input[name=volunteer_ids][value="{volunteer.id}"]').check()
    coordinator_page.locator("#offer-form").get_by_role("button", name="Send the offer").click()
    expect(coordinator_page).to_have_url(re.compile(rf"{request_path}$"))
    expect(coordinator_page.get_by_text("They have been sent the offer.")).to_be_visible()
    offers_table = coordinator_page.get_by_role("table", name="Offers for this request")
    expect(offers_table.get_by_role("row").filter(has_text="Waiting for an answer")).to_have_count(2)
    _fresh(session)
    assert session.get(HelpRequest, filed.id).status is RequestStatus.OFFERED

    # Each opens the link in the mail on their own phone; both pages are loaded before either answers
    amina_phone, bilal_phone = open_phone(), open_phone()
    for phone, volunteer in ((amina_phone, amina), (bilal_phone, bilal)):
        phone.goto(_answer_link(mails(), live_server, volunteer.email))
        expect(phone.get_by_text("Frau Keller")).to_be_visible()
    accept_bilal = bilal_phone.get_by_role("button", name="Yes, I will take it")
    accept_amina = amina_phone.get_by_role("button", name="Yes, I will take it")
    expect(accept_bilal).to_be_enabled()
    expect(accept_amina).to_be_enabled()

    # Bilal, ranked second, taps first and wins; Amina's tap a moment later finds it taken
    accept_bilal.click()
    accept_amina.click()
    expect(bilal_phone.get_by_text("Thank you! The office will confirm shortly.")).to_be_visible()
    expect(amina_phone.get_by_text("Another volunteer was quicker")).to_be_visible()
    expect(amina_phone.get_by_role("button", name="Yes, I will take it")).to_have_count(0)
    _fresh(session)
    offers = {o.volunteer_id: o for o in session.scalars(select(Offer).where(Offer.request_id == filed.id))}
    assert {v: o.status for v, o in offers.items()} == {bilal.id: OfferStatus.ACCEPTED, amina.id: OfferStatus.TAKEN}
    assert session.get(HelpRequest, filed.id).status is RequestStatus.ACCEPTED
    assert session.scalars(select(Assignment)).all() == []

    # Until the office confirms, the caseworker learns nobody's name
    caseworker_page.reload()
    expect(caseworker_page.get_by_text("Accepted, awaiting confirmation", exact=True)).to_be_visible()
    expect(caseworker_page.get_by_role("region", name="Confirmed volunteer")).to_have_count(0)
    expect(caseworker_page.locator("main")).not_to_contain_text("Bilal")

    # The coordinator confirms Bilal on the request's page
    coordinator_page.reload()
    bilal_row = offers_table.get_by_role("row").filter(has_text="Bilal Bakr")
    expect(bilal_row).to_contain_text("Accepted")
    expect(offers_table.get_by_role("row").filter(has_text="Amina Aziz")).to_contain_text("Taken by someone else")
    bilal_row.get_by_role("button", name="Confirm", exact=True).click()
    expect(coordinator_page.get_by_text("Confirmed. The volunteer and the agency have been told.")).to_be_visible()
    expect(coordinator_page.locator(".badge").get_by_text("Confirmed", exact=True)).to_be_visible()
    expect(offers_table.get_by_role("row").filter(has_text="Bilal Bakr")).to_contain_text("Confirmed")
    _fresh(session)
    assert session.get(HelpRequest, filed.id).status is RequestStatus.CONFIRMED
    [assignment] = session.scalars(select(Assignment).where(Assignment.request_id == filed.id)).all()
    assert (assignment.volunteer_id, assignment.status) == (bilal.id, AssignmentStatus.CONFIRMED)

    # The caseworker sees the confirmation: the first name and phone only
    caseworker_page.reload()
    expect(caseworker_page.locator(".badge").get_by_text("Confirmed", exact=True)).to_be_visible()
    confirmed = caseworker_page.get_by_role("region", name="Confirmed volunteer")
    expect(confirmed).to_contain_text("Bilal, 0170 2222222")
    expect(confirmed).not_to_contain_text("Bakr")
    expect(caseworker_page.locator("main")).not_to_contain_text("Amina")
    assert any(m["To"] == caseworker.email and "Bilal, phone 0170 2222222" in mail_body(m) for m in mails())



def test_a_volunteer_steps_back_on_the_phone_and_the_office_refills_with_who_was_too_late(
        page: Page, second_page: Page, phone_page: Page, open_phone, live_server, act, session, offenbach, mails):
    office, agency, caseworker, coordinator = offenbach.office, offenbach.agency, offenbach.caseworker, \
        offenbach.coordinator
    amina, bilal = offenbach.amina, offenbach.bilal
    starts = dt.datetime.combine(monday_after_next(), dt.time(9), BERLIN).astimezone(dt.timezone.utc)
    filed = make_request(session, office, agency, starts=starts, inform_user_id=caseworker.id)
    # Asked both; Bilal was quicker and is confirmed, Amina answered too late.
    offers = act(offering.make_offers, session, coordinator, filed.id, [amina.id, bilal.id])
    act(answers.accept, session, bilal, offers[1].id)
    assert act(answers.accept, session, amina, offers[0].id).outcome == "taken"
    act(confirming.confirm, session, coordinator, offers[1].id)
    session.commit()

    # Bilal cannot come after all: on his phone, from the start page to the assignment and "I cannot come"
    bilal_phone = phone_page
    _sign_in(bilal_phone, bilal.email)
    bilal_phone.goto("/start")
    bilal_phone.get_by_role("link", name="Details and calendar entry").click()
    expect(bilal_phone.locator("main")).to_contain_text("63128")
    bilal_phone.get_by_role("link", name="I cannot come").click()
    bilal_phone.get_by_label("Why can you not come?").fill("Mein Kind ist krank.")
    bilal_phone.get_by_role("button", name="Step back").click()
    expect(bilal_phone.get_by_text("You have stepped back.")).to_be_visible()
    _fresh(session)
    assert session.get(HelpRequest, filed.id).status is RequestStatus.OPEN

    # The coordinator asks again: Amina, who was too late in the first round, can be ticked now
    coordinator_page = second_page
    _sign_in(coordinator_page, coordinator.email)
    coordinator_page.goto(f"/requests/{filed.id}")
    offers_table = coordinator_page.get_by_role("table", name="Offers for this request")
    expect(offers_table.get_by_role("row").filter(has_text="Bilal Bakr")).to_contain_text("Stepped back")
    coordinator_page.get_by_role("link", name="Find volunteers").click()
    ranked = coordinator_page.get_by_role("table", name="Ranked candidates")
    expect(ranked.get_by_role("row").filter(has_text="Bilal Bakr")).to_contain_text("stepped back from this date")
    ranked.locator(f'input[name=volunteer_ids][value="{amina.id}"]').check()
    coordinator_page.locator("#offer-form").get_by_role("button", name="Send the offer").click()
    expect(coordinator_page.get_by_text("They have been sent the offer.")).to_be_visible()

    # Amina accepts from her mail, the coordinator confirms, the caseworker sees her first name
    amina_phone = open_phone()
    amina_phone.goto(_answer_link(mails(), live_server, amina.email))
    amina_phone.get_by_role("button", name="Yes, I will take it").click()
    expect(amina_phone.get_by_text("Thank you! The office will confirm shortly.")).to_be_visible()
    coordinator_page.reload()
    offers_table.get_by_role("row").filter(has_text="Amina Aziz").filter(
        has_text="Accepted").get_by_role("button", name="Confirm", exact=True).click()
    expect(coordinator_page.get_by_text("Confirmed. The volunteer and the agency have been told.")).to_be_visible()
    _fresh(session)
    live = session.scalar(select(Assignment).where(Assignment.request_id == filed.id,
                                                   Assignment.status == AssignmentStatus.CONFIRMED))
    assert live.volunteer_id == amina.id and session.get(HelpRequest, filed.id).round == 2

    _sign_in(page, caseworker.email)
    page.goto(f"/requests/{filed.id}")
    expect(page.get_by_role("region", name="Confirmed volunteer")).to_contain_text("Amina, 0170 1111111")
