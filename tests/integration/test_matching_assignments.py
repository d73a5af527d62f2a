"""Matching reads confirmed assignments: busy times, weekly limits, fair load and continuity, on a real database."""

import datetime as dt

import pytest

from lotsen.assignments.models import Assignment, AssignmentStatus
from lotsen.auth.models import Role
from lotsen.matching import services
from lotsen.matching.rules import Reason
from lotsen.requests.models import Recurrence, RequestSeries
from tests.builders import MONDAY_9, NOW, add_language, add_window, make_request, ready

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)

pytestmark = pytest.mark.now(NOW)


@pytest.fixture
def office(make_office):
    return make_office(name="Kreis Offenbach")


@pytest.fixture
def agency(make_agency, office):
    return make_agency(offices=[office])


@pytest.fixture
def volunteer(session, office, make_user):
    """A volunteer who speaks Arabic and is free on Mondays and Wednesdays from 08:00 to 13:00."""

    def make(**profile):
        user = make_user(Role.VOLUNTEER, office=office, profile=ready(**profile))
        add_language(session, user)
        add_window(session, user, weekday=0)
        add_window(session, user, weekday=2)
        session.commit()
        return user

    return make


@pytest.fixture
def assign(session, office, agency):
    """A live (or other) assignment of a volunteer to a request of its own at ``starts``."""

    def make(user, starts: dt.datetime, status=AssignmentStatus.CONFIRMED, **request_fields):
        request = make_request(session, office, request_fields.pop("agency", agency), starts=starts, **request_fields)
        assignment = Assignment(request=request, volunteer_id=user.id, starts_at=request.starts_at,
                                ends_at=request.ends_at, status=status)
        session.add(assignment)
        session.commit()
        return assignment

    return make


def ranked_ids(session, request) -> list[int]:
    return [r.volunteer_id for r in services.match(session, request, NOW).ranked]


def reasons_of(session, request) -> dict[int, tuple[Reason, ...]]:
    outcome, _profiles = services.explain(session, request, NOW)
    return {e.volunteer_id: e.reasons for e in outcome.excluded}


def test_a_volunteer_with_a_confirmed_assignment_at_that_time_is_busy(session, office, agency, volunteer, assign):
    busy, free, was_cancelled = volunteer(), volunteer(), volunteer()
    assign(busy, MONDAY_9 + HOUR)  # 10:00-11:30 Berlin, overlapping 09:00-10:30
    assign(was_cancelled, MONDAY_9, status=AssignmentStatus.CANCELLED)
    request = make_request(session, office, agency)
    assert reasons_of(session, request) == {busy.id: (Reason.BUSY,)}
    assert ranked_ids(session, request) == [free.id, was_cancelled.id]
    assert services.count_candidates(session, request, NOW) == 2


def test_the_requests_own_assignment_does_not_make_its_volunteer_busy(session, office, agency, volunteer):
    chosen = volunteer()
    request = make_request(session, office, agency)
    session.add(Assignment(request=request, volunteer_id=chosen.id, starts_at=request.starts_at,
                           ends_at=request.ends_at, status=AssignmentStatus.CONFIRMED))
    session.commit()
    assert ranked_ids(session, request) == [chosen.id]


def test_the_weekly_limit_counts_assignments_of_the_same_week(session, office, agency, volunteer, assign):
    full, last_week = volunteer(max_per_week=1), volunteer(max_per_week=1)
    assign(full, MONDAY_9 + 2 * DAY)  # Wednesday of the same ISO week (already December)
    assign(last_week, MONDAY_9 - 5 * DAY)  # the Wednesday before
    request = make_request(session, office, agency)
    assert reasons_of(session, request) == {full.id: (Reason.WEEKLY_LIMIT,)}
    assert ranked_ids(session, request) == [last_week.id]


def test_the_monthly_limit_counts_assignments_of_the_same_month(session, office, agency, volunteer, assign):
    full = volunteer(max_per_month=2)
    assign(full, MONDAY_9 - 5 * DAY)
    assign(full, MONDAY_9 - 7 * DAY, status=AssignmentStatus.COMPLETED)
    request = make_request(session, office, agency)
    assert reasons_of(session, request) == {full.id: (Reason.MONTHLY_LIMIT,)}


def test_recent_assignments_lower_the_rank(session, office, agency, volunteer, assign):
    busy_lately, rested = volunteer(), volunteer()
    for days_ago in (3, 12):
        assign(busy_lately, NOW - days_ago * DAY, status=AssignmentStatus.COMPLETED)
    assign(rested, NOW - 40 * DAY, status=AssignmentStatus.COMPLETED)  # longer ago than 30 days
    request = make_request(session, office, agency)
    outcome = services.match(session, request, NOW)
    assert [r.volunteer_id for r in outcome.ranked] == [rested.id, busy_lately.id]
    load = {r.volunteer_id: r.parts["load"] for r in outcome.ranked}
    assert load[busy_lately.id] < load[rested.id]


def test_an_earlier_date_of_the_same_series_raises_the_rank(session, office, agency, volunteer, assign):
    newcomer, familiar = volunteer(), volunteer()
    series = RequestSeries(office_id=office.id, agency_id=agency.id, recurrence=Recurrence.WEEKLY)
    session.add(series)
    session.commit()
    assign(familiar, MONDAY_9 - 7 * DAY, series_id=series.id)
    request = make_request(session, office, agency, series_id=series.id)
    outcome = services.match(session, request, NOW)
    assert [r.volunteer_id for r in outcome.ranked] == [familiar.id, newcomer.id]
    assert [r.parts["continuity"] > 0 for r in outcome.ranked] == [True, False]


def test_an_earlier_request_for_the_same_client_raises_the_rank(session, office, agency, volunteer, assign,
                                                                make_agency):
    newcomer, familiar, other_agency = volunteer(), volunteer(), volunteer()
    assign(familiar, MONDAY_9 - 14 * DAY, client_reference="AZ 4711")
    assign(other_agency, MONDAY_9 - 14 * DAY, client_reference="AZ 4711", agency=make_agency(offices=[office]))
    assign(newcomer, MONDAY_9 + 7 * DAY, client_reference="AZ 4711")  # later, not earlier
    request = make_request(session, office, agency, client_reference="AZ 4711")
    ranked = services.match(session, request, NOW).ranked
    assert ranked[0].volunteer_id == familiar.id
    assert {r.volunteer_id: r.parts["continuity"] for r in ranked[1:]} == {newcomer.id: 0, other_agency.id: 0}
