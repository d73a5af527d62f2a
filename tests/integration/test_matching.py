"""Matching on a real database: the SQL prefilter never loses anyone the rules would take, and the page explains."""

import datetime as dt
import random

import pytest
from sqlalchemy import select

from lotsen.assignments.models import Assignment, AssignmentStatus
from lotsen.auth.models import Role, UserStatus
from lotsen.languages import LanguageLevel
from lotsen.matching import rules, services
from lotsen.offices.models import Office
from lotsen.volunteers.models import (
    Absence,
    ExtraDate,
    Mode,
    VolunteerProfile,
)
from tests.builders import MONDAY_9, NOW, POSTCODES, add_language, add_window, make_request, ready
from tests.conftest import sign_in

UTC = dt.timezone.utc


pytestmark = pytest.mark.now(NOW)  # everything here happens at NOW, the Friday ten days before MONDAY_9


@pytest.fixture
def office(make_office):
    return make_office(name="Kreis Offenbach")


@pytest.fixture
def agency(make_agency, office):
    return make_agency(offices=[office])


def test_ranks_the_closer_volunteer_first_and_explains_the_rest(session, office, agency, make_user):
    near = make_user(Role.VOLUNTEER, office=office, name="Near", profile=ready())
    far = make_user(Role.VOLUNTEER, office=office, name="Far", profile=ready(
        postcode="63110", latitude=50.0263, longitude=8.8859))
    no_arabic = make_user(Role.VOLUNTEER, office=office, name="NoArabic", profile=ready())
    for user in (near, far, no_arabic):
        add_window(session, user)
    add_language(session, near)
    add_language(session, far)
    add_language(session, no_arabic, "uk")
    session.commit()
    request = make_request(session, office, agency)
    outcome = services.match(session, request, NOW)
    assert [r.volunteer_id for r in outcome.ranked] == [near.id, far.id]
    explained, _profiles = services.explain(session, request, NOW)
    assert [r.volunteer_id for r in explained.ranked] == [near.id, far.id]
    assert {e.volunteer_id: e.reasons for e in explained.excluded} == {no_arabic.id: (rules.Reason.LANGUAGE,)}


def _random_pool(session, office, agency, make_user, seed: int):
    """A pool with every kind of trouble, to compare the prefilter with the rules."""
    rng = random.Random(seed)
    for n in range(40):
        postcode = rng.choice(list(POSTCODES))
        lat, lon = POSTCODES[postcode]
        profile = ready(
            postcode=postcode, latitude=lat + rng.uniform(-0.1, 0.1), longitude=lon + rng.uniform(-0.15, 0.15),
            travel_radius_km=rng.choice([3, 8, 15, 25]),
            is_guide=rng.random() < 0.4, is_interpreter=rng.random() < 0.8, on_site=rng.random() < 0.8,
            by_phone=rng.random() < 0.5, by_video=rng.random() < 0.3,
            is_paused=rng.random() < 0.1, paused_until=rng.choice([None, dt.date(2026, 11, 30), dt.date(2027, 1, 1)]),
            declaration_signed_on=rng.choice([None, dt.date(2025, 1, 2), dt.date(2025, 1, 2)]),
            certificate_checked_on=rng.choice([None, dt.date(2021, 11, 1), dt.date(2025, 6, 1), dt.date(2025, 6, 1)]),
            vetted_at=rng.choice([None] + [dt.datetime(2025, 1, 1, tzinfo=UTC)] * 4),
            min_notice_hours=rng.choice([0, 24, 234, 236, 238, 250, 400]), short_notice=rng.random() < 0.3,
            max_per_week=rng.choice([None, None, 1, 2]), max_per_month=rng.choice([None, None, 1, 3]))
        status = rng.choice([UserStatus.ACTIVE] * 6 + [UserStatus.PENDING, UserStatus.DEACTIVATED])
        user = make_user(Role.VOLUNTEER, office=office, status=status, profile=profile)
        for code in rng.sample(["ar", "uk", "prs", "tr"], rng.randint(1, 2)):
            add_language(session, user, code, rng.choice(list(LanguageLevel)))
        for _ in range(rng.randint(0, 3)):
            start = rng.randint(6, 15)
            add_window(session, user, rng.randint(0, 6), f"{start:02d}:{rng.choice(['00', '30'])}",
                       f"{min(start + rng.randint(1, 6), 23):02d}:00")
        if rng.random() < 0.15:
            start, day = rng.randint(7, 14), dt.date(2026, 11, 30) + dt.timedelta(days=rng.randint(0, 6))
            session.add(ExtraDate(volunteer_id=user.id, day=day, starts=dt.time(start),
                                  ends=dt.time(start + rng.randint(1, 5))))
        if rng.random() < 0.2:
            first = dt.date(2026, 11, 30) + dt.timedelta(days=rng.randint(-3, 3))
            session.add(Absence(volunteer_id=user.id, starts_on=first, ends_on=first + dt.timedelta(rng.randint(0, 2))))
        for _ in range(rng.choice([0, 0, 0, 1, 2])):
            starts = MONDAY_9 + dt.timedelta(days=rng.randint(-12, 8), hours=rng.randint(-1, 6))
            taken = make_request(session, office, agency, starts=starts, place=rng.choice(list(POSTCODES)))
            session.add(Assignment(request=taken, volunteer_id=user.id, starts_at=taken.starts_at,
                                   ends_at=taken.ends_at, status=rng.choice(list(AssignmentStatus))))
    session.commit()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_prefilter_never_drops_anyone_the_rules_would_take(session, office, agency, make_user, seed):
    _random_pool(session, office, agency, make_user, seed)
    rng = random.Random(seed * 7)
    for _ in range(12):
        starts = MONDAY_9 + dt.timedelta(days=rng.randint(0, 6), hours=rng.randint(-1, 6), minutes=rng.choice([0, 30]))
        request = make_request(session, office, agency, mode=rng.choice(list(Mode)), starts=starts,
                               language=rng.choice(["ar", "uk", "prs"]), place=rng.choice(list(POSTCODES)),
                               is_urgent=rng.random() < 0.4)
        everyone, _profiles = services.explain(session, request, NOW)
        qualifying = {r.volunteer_id for r in everyone.ranked}
        for now in (None, NOW):  # match() narrows by the notice too
            prefiltered = set(session.scalars(services.prefilter(request, session.get(Office, office.id),
                                                                 "Europe/Berlin", now)))
            assert qualifying <= prefiltered
        assert [r.volunteer_id for r in services.match(session, request, NOW).ranked] == \
            [r.volunteer_id for r in everyone.ranked]


def test_the_page_shows_ranked_near_misses_and_why_not(client, session, office, agency, make_user):
    coordinator = make_user(Role.COORDINATOR, office=office)
    near = make_user(Role.VOLUNTEER, office=office, name="Amina Near", profile=ready())
    stretch = make_user(Role.VOLUNTEER, office=office, name="Sara Stretch", profile=ready(
        postcode="63263", latitude=50.0533, longitude=8.6964, travel_radius_km=6))
    paused = make_user(Role.VOLUNTEER, office=office, name="Paul Paused", profile=ready(is_paused=True))
    for user in (near, stretch, paused):
        add_window(session, user)
        add_language(session, user)
    session.commit()
    request = make_request(session, office, agency)
    sign_in(client, coordinator.email)
    page = client.get(f"/requests/{request.id}/candidates").get_data(as_text=True)
    assert "1 volunteer can take it" in page and "Amina Near" in page
    near_misses = page[page.index("Near misses"):page.index("Why not the others")]
    assert "Sara Stretch" in near_misses and "lives beyond their travel radius" in near_misses
    why_not = page[page.index("Why not the others"):]
    assert "Paul Paused" in why_not and "paused" in why_not


def test_only_the_requests_office_sees_its_candidates(app, session, office, agency, make_user, make_office):
    request = make_request(session, office, agency)
    for user, status in ((make_user(Role.COORDINATOR), 404), (make_user(Role.CASEWORKER, agency=agency), 403),
                         (make_user(Role.COORDINATOR, office=office), 200)):
        browser = app.test_client()
        sign_in(browser, user.email)
        assert browser.get(f"/requests/{request.id}/candidates").status_code == status
    assert session.scalar(select(VolunteerProfile)) is None
