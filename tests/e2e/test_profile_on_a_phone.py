"""In the browser, on a phone-sized screen: a volunteer completes the profile step by step."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import Page, expect
from sqlalchemy import select

from lotsen.auth.models import Role
from lotsen.offices.models import Municipality
from lotsen.volunteers.models import VolunteerProfile
from tests.conftest import PASSWORD
from tests.e2e.phone import assert_no_sideways_scrolling


def test_a_volunteer_completes_the_profile_on_a_phone(phone_page: Page, make_user, make_office, session):
    page = phone_page
    office = make_office(name="Integrationsbüro Kreis Offenbach")
    session.add(Municipality(office_id=office.id, name="Dietzenbach"))
    session.commit()
    user = make_user(Role.VOLUNTEER, office=office, locale="en", name="Amina Haddad",
                     profile={"vetted_at": dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)})

    page.goto("/login")  # German until signed in: the phone's browser asks for German
    page.get_by_label("E-Mail-Adresse").fill(user.email)
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_role("link", name="Complete my profile").click()
    expect(page.get_by_role("heading", level=1, name="Profile of Amina Haddad")).to_be_visible()
    assert_no_sideways_scrolling(page)

    # Step 1: about me
    page.get_by_role("link", name="1. About me").click()
    page.get_by_label("Lay interpreter").check()
    page.get_by_label("On site").check()
    page.get_by_label("By phone").check()
    page.get_by_label("My German").select_option("fluent")
    page.get_by_label("Mobile phone").fill("0151 2345678")
    assert_no_sideways_scrolling(page)
    page.get_by_role("button", name="Save and continue").click()

    # Step 2: languages, picked by typing the name
    expect(page.get_by_role("heading", level=1, name="Languages")).to_be_visible()
    page.get_by_label("Language", exact=True).fill("Arabic")
    page.get_by_label("Level").select_option("native")
    page.get_by_role("button", name="Add language").click()
    expect(page.get_by_role("heading", level=2, name="Arabic")).to_be_visible()
    page.get_by_label("Levantine Arabic (Syria, Lebanon, Palestine, Jordan)").check()
    page.get_by_role("button", name="Save – Arabic").click()
    assert_no_sideways_scrolling(page)
    page.get_by_role("link", name="Continue").click()

    # Step 3: place; a wrong postcode is explained and the input kept
    page.get_by_label("Home postcode").fill("00000")
    page.get_by_label("How far I travel (km)").fill("15")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("alert")).to_contain_text("We do not know the postcode 00000")
    expect(page.get_by_label("Home postcode")).to_have_value("00000")
    expect(page.get_by_label("How far I travel (km)")).to_have_value("15")
    page.get_by_label("Home postcode").fill("63128")
    page.get_by_label("Town or district").fill("Dietzenbach")
    page.get_by_role("button", name="Save and continue").click()

    # Step 4: a weekly time
    expect(page.get_by_role("heading", level=1, name="When I can")).to_be_visible()
    weekly = page.get_by_role("region", name="Every week")
    weekly.get_by_label("Weekday").select_option("0")
    weekly.get_by_label("From", exact=True).fill("09:00")
    weekly.get_by_label("To", exact=True).fill("12:00")
    weekly.get_by_role("button", name="Add weekly time").click()
    expect(page.get_by_text("Monday 09:00–12:00")).to_be_visible()
    assert_no_sideways_scrolling(page)
    page.get_by_role("link", name="Continue").click()

    # Step 5: limits
    page.get_by_label("At most per week").fill("2")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Your profile has been saved.")).to_be_visible()
    expect(page.get_by_text("Arabic (Native speaker)")).to_be_visible()

    session.expire_all()
    profile = session.scalar(select(VolunteerProfile).where(VolunteerProfile.user_id == user.id))
    assert profile.is_interpreter and profile.on_site and profile.by_phone
    assert [(e.language, e.varieties) for e in profile.languages] == [("ar", ["apc"])]
    assert profile.postcode == "63128" and profile.municipality.name == "Dietzenbach"
    assert [(w.weekday, w.starts, w.ends) for w in profile.windows] == [(0, dt.time(9), dt.time(12))]
    assert profile.max_per_week == 2
