"""Matching loads only what the rules read around the need's time, in bulk: the verdicts must be the same
as with every window, date, absence and assignment of every volunteer loaded one by one (a plain reference)."""

import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lotsen.assignments.models import Assignment, AssignmentStatus
from lotsen.auth.models import Role, UserStatus
from lotsen.distance import Point
from lotsen.languages import LanguageLevel
from lotsen.matching import rules, services
from lotsen.offices import settings as office_settings
from lotsen.requests.models import HelpRequest, Recurrence, RequestSeries
from lotsen.volunteers.models import Absence, AvailabilityWindow, ExtraDate, Mode, VolunteerProfile
from tests.builders import MONDAY_9, NOW, POSTCODES, add_language, make_request, ready

BERLIN = ZoneInfo("Europe/Berlin")
DAY = dt.timedelta(days=1)
LIVE = (AssignmentStatus.CONFIRMED, AssignmentStatus.COMPLETED)

pytestmark = pytest.mark.now(NOW)


@pytest.fixture
def office(make_office):
    return make_office(name="Kreis Offenbach")


@pytest.fixture
def agency(make_agency, office):
    return make_agency(offices=[office])


def clock(minutes: int) -> dt.time:
    return dt.time.max if minutes >= 24 * 60 else dt.time(minutes // 60, minutes % 60)


def pool(session, office, agencies, series, make_user, rng: random.Random) -> None:
    """Volunteers with windows at the day's edges, dates either side, far homes, and assignments of every kind."""
    monday = MONDAY_9.astimezone(BERLIN).date()
    for _ in range(30):
        lat, lon = POSTCODES[rng.choice(list(POSTCODES))]
        far = rng.random() < 0.15  # hours of travel: explain reads further around the need
        status = rng.choice([UserStatus.ACTIVE] * 5 + [UserStatus.PENDING])
        user = make_user(Role.VOLUNTEER, office=office, status=status,
                         profile=ready(latitude=lat + rng.uniform(-0.05, 0.05) + (rng.uniform(1, 3) if far else 0),
                                       longitude=lon + rng.uniform(-0.08, 0.08), on_site=rng.random() < 0.8,
                                       by_phone=rng.random() < 0.6, travel_radius_km=rng.choice([5, 15, 40, 150]),
                                       min_notice_hours=rng.choice([0, 24]), max_per_week=rng.choice([None, 1, 2]),
                                       max_per_month=rng.choice([None, 2, 4])))
        add_language(session, user, "ar", rng.choice(list(LanguageLevel)))
        for _ in range(rng.randint(1, 4)):
            start = rng.choice([0, 0, 6 * 60, 8 * 60, 9 * 60 + 30, 12 * 60, 17 * 60, 20 * 60, 22 * 60 + 30])
            end = min(24 * 60, start + rng.choice([60, 120, 180, 300, 24 * 60]))
            valid_from = rng.choice([None, None, monday + rng.randint(-3, 3) * DAY])
            valid_until = rng.choice([None, None, monday + rng.randint(-3, 5) * DAY])
            session.add(AvailabilityWindow(volunteer_id=user.id, weekday=rng.randint(0, 6), starts=clock(start),
                                           ends=clock(end), valid_from=valid_from, valid_until=valid_until))
        for _ in range(rng.choice([0, 0, 1, 2])):
            start = rng.choice([0, 7 * 60, 10 * 60, 21 * 60])
            session.add(ExtraDate(volunteer_id=user.id, day=monday + rng.randint(-1, 3) * DAY, starts=clock(start),
                                  ends=clock(start + rng.choice([60, 180, 24 * 60]))))
        if rng.random() < 0.25:
            first = monday + rng.randint(-3, 3) * DAY
            session.add(Absence(volunteer_id=user.id, starts_on=first, ends_on=first + rng.randint(0, 2) * DAY))
        for _ in range(rng.choice([0, 1, 2, 3])):
            starts = MONDAY_9 + dt.timedelta(days=rng.randint(-40, 12), hours=rng.randint(-9, 12))
            taken = make_request(session, office, rng.choice(agencies), starts=starts,
                                 series_id=rng.choice([None, None, series.id]),
                                 client_reference=rng.choice(["", "AZ 1", "AZ 2"]))
            session.add(Assignment(request=taken, volunteer_id=user.id, starts_at=taken.starts_at,
                                   ends_at=taken.ends_at, status=rng.choice(list(AssignmentStatus))))
    session.commit()


def reference_candidates(session, request: HelpRequest, now: dt.datetime) -> list[rules.Candidate]:
    """Every volunteer of the office with everything they have, the assignment facts worked out one by one."""
    years = office_settings.value(request.office, "certificate_valid_years")
    day = request.starts_at.astimezone(BERLIN).date()
    profiles = session.scalars(select(VolunteerProfile).where(
        VolunteerProfile.office_id == request.office_id, VolunteerProfile.anonymized_at.is_(None)).options(
        selectinload(VolunteerProfile.languages), selectinload(VolunteerProfile.windows),
        selectinload(VolunteerProfile.extra_dates), selectinload(VolunteerProfile.absences),
        selectinload(VolunteerProfile.user))).all()
    assignments = session.scalars(select(Assignment).where(Assignment.status.in_(LIVE)).options(
        selectinload(Assignment.request))).all()
    found = []
    for profile in profiles:
        own = [a for a in assignments if a.volunteer_id == profile.user_id]
        others = [a for a in own if a.request_id != request.id]
        local = lambda a: a.starts_at.astimezone(BERLIN).date()  # noqa: E731
        earlier = [a for a in own if a.starts_at < request.starts_at]
        found.append(rules.Candidate(
            volunteer_id=profile.user_id,
            languages={e.language: (e.level.value, tuple(e.varieties)) for e in profile.languages},
            is_guide=profile.is_guide, is_interpreter=profile.is_interpreter,
            modes=frozenset(m.value for m in profile.modes()), is_vetted=profile.vetted_at is not None,
            is_active=profile.user.status is UserStatus.ACTIVE, paused=profile.is_paused,
            paused_until=profile.paused_until, declaration_signed=profile.declaration_signed_on is not None,
            certificate_valid_until=profile.certificate_expires_on(years),
            topics_excluded=frozenset(profile.topics_excluded or ()),
            home=Point(profile.latitude, profile.longitude) if profile.latitude is not None else None,
            radius_km=profile.travel_radius_km,
            windows=tuple(rules.Window(w.weekday, w.starts, w.ends, w.valid_from, w.valid_until)
                          for w in profile.windows),
            extra_dates=tuple(rules.ExtraDate(d.day, d.starts, d.ends) for d in profile.extra_dates),
            absences=tuple((a.starts_on, a.ends_on) for a in profile.absences),
            busy=tuple((a.starts_at, a.ends_at) for a in others),
            max_per_week=profile.max_per_week, max_per_month=profile.max_per_month,
            count_week=sum(local(a).isocalendar()[:2] == day.isocalendar()[:2] for a in others),
            count_month=sum((local(a).year, local(a).month) == (day.year, day.month) for a in others),
            recent_30d=sum(now - 30 * DAY <= a.starts_at < now for a in own),
            min_notice_hours=profile.min_notice_hours, gender=profile.gender.value if profile.gender else "",
            served_series=any(request.series_id is not None and a.request.series_id == request.series_id
                              for a in earlier),
            served_client=any(request.client_reference and a.request.agency_id == request.agency_id
                              and a.request.client_reference == request.client_reference for a in earlier)))
    return found


def verdict(outcome: rules.Outcome, among=None) -> tuple[list, dict]:
    """The ranked order, and per volunteer the score or the reasons (with near miss and distance)."""
    each = {r.volunteer_id: (r.score, r.distance_km) for r in outcome.ranked}
    each.update({e.volunteer_id: (e.reasons, e.near_miss, e.distance_km) for e in outcome.excluded})
    return ([r.volunteer_id for r in outcome.ranked if among is None or r.volunteer_id in among],
            {key: value for key, value in each.items() if among is None or key in among})


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_verdicts_are_those_with_everything_loaded(session, office, agency, make_agency, make_user, seed):
    rng = random.Random(seed)
    agencies = [agency, make_agency(offices=[office])]
    series = RequestSeries(office_id=office.id, agency_id=agency.id, recurrence=Recurrence.WEEKLY)
    session.add(series)
    session.commit()
    pool(session, office, agencies, series, make_user, rng)
    for _ in range(8):
        starts = MONDAY_9 + dt.timedelta(days=rng.randint(0, 2), hours=rng.choice([-8, -2, 0, 3, 12, 14]),
                                         minutes=rng.choice([0, 30]))
        request = make_request(session, office, rng.choice(agencies), mode=rng.choice([Mode.ON_SITE, Mode.PHONE]),
                               starts=starts, series_id=rng.choice([None, series.id]),
                               client_reference=rng.choice(["", "AZ 1", "AZ 2"]))
        if rng.random() < 0.3:  # matched again while someone holds it
            session.add(Assignment(request=request, volunteer_id=rng.choice(session.scalars(
                select(VolunteerProfile.user_id)).all()), starts_at=request.starts_at, ends_at=request.ends_at))
            session.commit()
        expected = rules.rank(services.need_for(request), reference_candidates(session, request, NOW), NOW,
                              services.settings_for(request.office))
        explained, _profiles = services.explain(session, request, NOW)
        assert verdict(explained) == verdict(expected)
        assert [r.volunteer_id for r in services.match(session, request, NOW).ranked] == \
            [r.volunteer_id for r in expected.ranked]
        some = {e.volunteer_id for e in expected.excluded[:5]} | {r.volunteer_id for r in expected.ranked[-5:]}
        judged = rules.rank(services.need_for(request), services.candidates_for(session, request, some, NOW), NOW,
                            services.settings_for(request.office))
        assert verdict(judged) == verdict(expected, among=some)


def test_a_near_miss_may_join_a_window_that_starts_after_the_appointment(session, office, agency, make_user):
    # 09:00-10:30 by phone: 08:00-09:50 and 10:35-12:00 join once each is stretched by the 30 minutes allowed.
    user = make_user(Role.VOLUNTEER, office=office, profile=ready(by_phone=True))
    add_language(session, user)
    for starts, ends in (("08:00", "09:50"), ("10:35", "12:00")):
        session.add(AvailabilityWindow(volunteer_id=user.id, weekday=0, starts=dt.time.fromisoformat(starts),
                                       ends=dt.time.fromisoformat(ends)))
    session.commit()
    request = make_request(session, office, agency, mode=Mode.PHONE)
    outcome, _profiles = services.explain(session, request, NOW)
    assert [(e.volunteer_id, e.reasons, e.near_miss) for e in outcome.excluded] == \
        [(user.id, (rules.Reason.UNAVAILABLE,), True)]
