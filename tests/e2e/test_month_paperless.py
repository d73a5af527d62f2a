"""In the browser, the month without paper: the volunteer records the assignment on a phone, the agency confirms
from the link in its mail, the coordinator draws up and approves the month and downloads the SEPA file."""

from __future__ import annotations

import datetime as dt
import os
import re
from decimal import Decimal

import pytest
import sepaxml
import xmlschema
from playwright.sync_api import Page, expect

from lotsen.billing.models import PayoutDetails, Programme, RateVersion
from lotsen.billing.rules import Rule, Travel
from lotsen.reminders.worker import tick
from tests.builders import confirmed, make_request
from tests.conftest import mail_body
from tests.e2e.phone import assert_no_sideways_scrolling
from tests.e2e.test_offer_path import _sign_in, offenbach, open_phone  # noqa: F401

UTC = dt.timezone.utc
DAY = dt.datetime(2027, 3, 15, 8, 0, tzinfo=UTC)  # a Monday, 09:00 in Berlin
SCHEMA = os.path.join(os.path.dirname(sepaxml.__file__), "schemas", "pain.001.001.03.xsd")

pytestmark = pytest.mark.now(dt.datetime(2027, 3, 1, 9, 0, tzinfo=UTC))


def test_from_the_phone_to_the_sepa_file(page: Page, phone_page: Page, open_phone, app, act, clock,  # noqa: F811
                                         session, offenbach, mails, tmp_path):
    people = offenbach
    people.office.settings = {**people.office.settings, "payer_name": "Kreiskasse Offenbach",
                              "payer_iban": "DE02120300000000202051"}
    programme = Programme(office_id=people.office.id, name="Eigenes Budget", kinds=["interpreter"])
    programme.rates.append(RateVersion(valid_from=dt.date(2000, 1, 1), rule_data=Rule(
        per_hour=Decimal("15.00"), step_minutes=30, travel=Travel.KM, per_km=Decimal("0.30")).to_json()))
    session.add_all([programme, PayoutDetails(volunteer_id=people.amina.id, account_holder="Amina Aziz",
                                              iban="DE89370400440532013000")])
    for user in (people.amina, people.coordinator):
        user.locale = "en"
    session.commit()
    request = make_request(session, people.office, people.agency, starts=DAY)
    request.created_by_id = people.caseworker.id
    session.commit()
    confirmed(act, session, people.coordinator, request, people.amina)
    clock.set(DAY + dt.timedelta(hours=3))

    # The volunteer records it on her phone, from her start page.
    _sign_in(phone_page, people.amina.email)
    phone_page.get_by_role("region", name="Please record").get_by_role("link").click()
    expect(phone_page.get_by_role("heading", level=1, name="Record the assignment")).to_be_visible()
    assert_no_sideways_scrolling(phone_page)
    phone_page.get_by_label("It took place").check()
    phone_page.get_by_label("Ended at").fill("10:50")
    phone_page.get_by_label("Kilometres travelled, there and back").fill("12")
    phone_page.get_by_role("button", name="Save and send to the agency").click()
    expect(phone_page.get_by_text("The agency is asked to confirm it.")).to_be_visible()
    expect(phone_page.get_by_text("Time: 2 h at €15.00 per hour = €30.00")).to_be_visible()
    assert_no_sideways_scrolling(phone_page)

    # The agency confirms from the link in its mail, without an account.
    [link] = [found for m in mails() if m["To"] == people.caseworker.email
              for found in re.findall(r"http://\S+(/confirm/\S+)", mail_body(m))]
    agency_phone = open_phone()
    agency_phone.goto(link)
    expect(agency_phone.get_by_text("Amina", exact=True)).to_be_visible()
    agency_phone.get_by_role("button", name="Confirm: it took place like this").click()
    expect(agency_phone.get_by_text("Thank you: the record is confirmed.")).to_be_visible()

    # The coordinator closes the month in April.
    clock.set(dt.datetime(2027, 4, 2, 8, 0, tzinfo=UTC))
    _sign_in(page, people.coordinator.email)
    page.goto("/month?month=2027-03")
    page.get_by_role("button", name="Draw up the statements from the confirmed records").click()
    expect(page.get_by_role("heading", level=1, name="Drawing up the statements")).to_be_visible()
    tick(app)  # the worker
    page.reload()
    expect(page.get_by_text("1 statement drawn up.")).to_be_visible()
    page.get_by_role("link", name="To the month").click()
    row = page.get_by_role("row").filter(has_text="Amina Aziz")
    expect(row).to_contain_text("€33.60")
    expect(row).to_contain_text("DE89 •••• 3000")
    page.get_by_role("button", name=re.compile("Approve the ticked statements")).click()
    expect(page.get_by_text("1 statement approved.")).to_be_visible()
    page.get_by_label("Execution date").fill("2027-04-06")
    page.get_by_role("button", name="Create the SEPA file for the approved statements").click()
    expect(page.get_by_text("The SEPA file for 1 payment is ready to download.")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="SEPA file (pain.001)").click()
    saved = tmp_path / "sepa.xml"
    download.value.save_as(saved)
    xml = saved.read_text(encoding="utf-8")
    xmlschema.XMLSchema(SCHEMA).validate(xml)
    assert "<CtrlSum>33.60</CtrlSum>" in xml and "DE89370400440532013000" in xml
