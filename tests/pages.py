"""The pages an audit walks: every page a volunteer or a visitor sees (in each enabled language), and the main
pages of the other roles (in German), over a small world that has something on each of them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from lotsen.assignments import answers, confirming, offering
from lotsen.auth.models import Role, User
from lotsen.billing import records
from tests.builders import add_language, add_window, make_request, ready, took_place

BERLIN = ZoneInfo("Europe/Berlin")


@dataclass
class World:
    volunteer: User
    coordinator: User
    caseworker: User
    admin: User
    offer_id: int
    assignment_id: int
    request_id: int
    to_record_id: int  # an assignment that took place, not yet recorded
    record_id: int  # a recorded one
    agency_id: int


def build(session, act, make_office, make_agency, make_user) -> World:
    """An office with an agency; a volunteer with an open offer and a confirmed assignment."""
    office = make_office(name="Integrationsbüro Kreis Offenbach")
    agency = make_agency(offices=[office], name="Jobcenter Kreis Offenbach")
    coordinator = make_user(Role.COORDINATOR, office=office, name="Carla Koordination", locale="de")
    caseworker = make_user(Role.CASEWORKER, agency=agency, name="Jonas Weber", locale="de")
    admin = make_user(Role.ADMIN, name="Ada Admin", locale="de")
    volunteer = make_user(Role.VOLUNTEER, office=office, name="Amina Haddad", profile=ready(phone="0170 1111111"))
    add_language(session, volunteer, "ar")
    for weekday in range(7):
        add_window(session, volunteer, weekday=weekday, starts="07:00", ends="14:00")
    session.commit()
    today = dt.datetime.now(BERLIN).date()
    monday = today + dt.timedelta(days=((7 - today.weekday()) % 7 or 7) + 7)
    asked = make_request(session, office, agency, starts=dt.datetime.combine(monday, dt.time(9), BERLIN),
                         inform_user_id=caseworker.id, notes="Bitte am Empfang melden.")
    taken = make_request(session, office, agency, starts=dt.datetime.combine(monday, dt.time(11), BERLIN),
                         inform_user_id=caseworker.id)
    [offer] = act(offering.make_offers, session, coordinator, asked.id, [volunteer.id])
    [second] = act(offering.make_offers, session, coordinator, taken.id, [volunteer.id])
    act(answers.accept, session, volunteer, second.id)
    assignment = act(confirming.confirm, session, coordinator, second.id)
    past = []
    for days in (3, 4):  # two assignments that took place; one of them is recorded
        day = today - dt.timedelta(days=days)
        filed = make_request(session, office, agency, starts=dt.datetime.combine(day, dt.time(9), BERLIN),
                             inform_user_id=caseworker.id)
        before = dt.datetime.combine(day - dt.timedelta(days=5), dt.time(9), BERLIN)
        [asked_then] = act(offering.make_offers, session, coordinator, filed.id, [volunteer.id], at=before)
        act(answers.accept, session, volunteer, asked_then.id, at=before)
        past.append(act(confirming.confirm, session, coordinator, asked_then.id, at=before))
    record = act(records.record, session, volunteer, past[1].id, took_place(past[1]),
                 at=past[1].ends_at + dt.timedelta(hours=1))
    session.commit()
    return World(volunteer, coordinator, caseworker, admin, offer.id, assignment.id, asked.id, past[0].id,
                 record.id, agency.id)


def visitor_pages() -> list[str]:
    return ["/login", "/register", "/register/done", "/password/forgot"]


def volunteer_pages(world: World) -> list[str]:
    return ["/start", "/profile", "/profile/basics", "/profile/languages", "/profile/place",
            "/profile/availability", "/profile/limits", "/profile/deletion", "/profile/payout",
            f"/offers/{world.offer_id}", f"/assignments/{world.assignment_id}",
            f"/assignments/{world.assignment_id}/withdraw", f"/assignments/{world.to_record_id}/record",
            f"/records/{world.record_id}", f"/records/{world.record_id}/edit", "/records", "/account",
            "/account/notifications",
            "/account/sessions", "/account/two-factor"]


def staff_pages(world: World) -> dict[str, list[str]]:
    """The main pages of the other roles, by who sees them."""
    return {
        "coordinator": ["/start", "/coordination/", "/requests/", "/requests/new", f"/requests/{world.request_id}",
                        f"/requests/{world.request_id}/candidates", "/volunteers/",
                        f"/volunteers/{world.volunteer.id}", "/agencies/", "/places/", "/offices/settings",
                        "/month", "/reports/", "/outbox/", "/audit/", "/users/", "/records", "/programmes",
                        f"/agencies/{world.agency_id}/api/", f"/users/{world.caseworker.id}"],
        "caseworker": ["/start", "/requests/", "/requests/new", f"/requests/{world.request_id}", "/records"],
        "admin": ["/start", "/offices/", "/users/", "/reports/"],
    }
