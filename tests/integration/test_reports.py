"""The report's figures against a small data set counted by hand, on both databases; the period; who sees
what; suppression for publication; each section as CSV and its chart as SVG."""

import datetime as dt
import html
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from lotsen.assignments.models import Assignment, AssignmentStatus
from lotsen.auth.models import Role
from lotsen.billing.lifecycle import RecordStatus
from lotsen.billing.models import AssignmentRecord, Programme, RecordOutcome
from lotsen.offices.models import AgencyType, Municipality
from lotsen.reports import period, queries, sections
from lotsen.requests.lifecycle import RequestStatus, UnfilledReason
from lotsen.requests.models import HelpRequest, RequestKind, RequestSeries
from lotsen.volunteers.models import Mode, Topic, VolunteerLanguage
from lotsen.languages import LanguageLevel
from tests.conftest import sign_in

BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.timezone.utc
pytestmark = pytest.mark.now(dt.datetime(2027, 5, 3, 9, 0, tzinfo=UTC))


def berlin(day: str, time: str = "09:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=BERLIN).astimezone(UTC)


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def world(session, make_office, make_agency, make_user):
    """March and April 2027 in one office, counted by hand (see each request's comment)."""
    office, elsewhere = make_office(name="Kreis Offenbach"), make_office(name="Anderswo")
    town = Municipality(office_id=office.id, name="Dietzenbach")
    session.add(town)
    jobcenter = make_agency(offices=[office], name="Jobcenter", type=AgencyType.JOBCENTER)
    school = make_agency(offices=[office], name="Schule am Park", type=AgencyType.SCHOOL)
    foreign = make_agency(offices=[elsewhere], name="Jobcenter Anderswo")
    programme = Programme(office_id=office.id, name="WIR-Lotsen", kinds=["interpreter"])
    session.add(programme)
    volunteers = [make_user(Role.VOLUNTEER, office=office, name=name, profile=profile) for name, profile in (
        ("Amina Aziz", {"is_guide": True, "is_interpreter": True, "municipality_id": None}),
        ("Bilal Bakr", {"is_interpreter": True}),
        ("Dana Darwish", {"is_interpreter": True, "is_paused": True}))]
    for volunteer in volunteers[:2]:
        session.add(VolunteerLanguage(volunteer_id=volunteer.id, language="ar", level=LanguageLevel.NATIVE))
    session.add(VolunteerLanguage(volunteer_id=volunteers[2].id, language="uk", level=LanguageLevel.NATIVE))
    session.commit()
    series = RequestSeries(office_id=office.id, agency_id=jobcenter.id, recurrence="weekly")
    session.add(series)

    def request(starts, status, *, language="ar", agency=jobcenter, filed=None, **fields):
        found = HelpRequest(office_id=fields.pop("office_id", office.id), agency_id=agency.id,
                            kind=RequestKind.INTERPRETER, language=language, mode=Mode.ON_SITE, starts_at=starts,
                            ends_at=starts + dt.timedelta(minutes=90), duration_minutes=90, topic=Topic.HEALTH,
                            municipality_id=town.id, status=status, created_at=filed or berlin("2027-03-01", "10:00"),
                            **fields)
        session.add(found)
        session.flush()
        return found

    def assign(found, volunteer, confirmed_at, status=AssignmentStatus.CONFIRMED):
        made = Assignment(request_id=found.id, volunteer_id=volunteer.id, status=status, starts_at=found.starts_at,
                          ends_at=found.ends_at, confirmed_at=confirmed_at)
        session.add(made)
        session.flush()
        return made

    r1 = request(berlin("2027-03-10"), RequestStatus.COMPLETED)  # filled 2 h after filing; 90 min, 22.50
    done = assign(r1, volunteers[0], berlin("2027-03-01", "12:00"), AssignmentStatus.COMPLETED)
    session.add(AssignmentRecord(assignment_id=done.id, office_id=office.id, agency_id=jobcenter.id,
                                 volunteer_id=volunteers[0].id, programme_id=programme.id,
                                 status=RecordStatus.CONFIRMED, outcome=RecordOutcome.TOOK_PLACE,
                                 starts_at=r1.starts_at, ends_at=r1.ends_at, mode="on_site", travel_km=0,
                                 confirm_by=r1.ends_at, amount=Decimal("22.50"), paid_minutes=90))
    r2 = request(berlin("2027-03-11"), RequestStatus.CONFIRMED, agency=school)  # filled 24 h after filing
    assign(r2, volunteers[1], berlin("2027-03-02", "10:00"))
    request(berlin("2027-03-12"), RequestStatus.UNFILLED, unfilled_reason=UnfilledReason.NO_ONE_FREE)
    request(berlin("2027-03-12"), RequestStatus.UNFILLED, language="ti", unfilled_reason=UnfilledReason.NO_LANGUAGE)
    request(berlin("2027-03-15"), RequestStatus.CANCELLED, cancelled_late=True)
    request(berlin("2027-03-16"), RequestStatus.CANCELLED, language="uk", cancelled_late=False)
    request(berlin("2027-03-31", "23:30"), RequestStatus.OPEN)  # till past midnight: still March in Berlin
    request(berlin("2027-04-07"), RequestStatus.OPEN, series_id=series.id)  # a weekly series of two
    request(berlin("2027-04-14"), RequestStatus.OPEN, series_id=series.id)
    request(berlin("2027-03-10"), RequestStatus.UNFILLED, agency=foreign, office_id=elsewhere.id)  # not ours
    request(berlin("2027-02-28", "23:30"), RequestStatus.UNFILLED)  # February, outside Q1's March... and in Q1
    session.commit()
    return {"office": office, "elsewhere": elsewhere, "volunteers": volunteers}


def scope(world, chosen) -> queries.Scope:
    return queries.Scope((world["office"].id,), chosen, BERLIN)


class TestFigures:
    def test_requests_by_month(self, session, world):
        rows = queries.requests_by_month(session, scope(world, period.quarter(2027, 1)))
        assert [(r["month"].month, r["requests"], r["filled"], r["unfilled"], r["cancelled_late"],
                 r["cancelled_in_time"]) for r in rows] == [(1, 0, 0, 0, 0, 0), (2, 1, 0, 1, 0, 0),
                                                            (3, 7, 2, 2, 1, 1)]
        april = queries.requests_by_month(session, scope(world, period.month(2027, 4)))
        assert [(r["requests"], r["filled"]) for r in april] == [(2, 0)]

    def test_not_filled_by_reason(self, session, world):
        rows = queries.unfilled_by_reason(session, scope(world, period.month(2027, 3)))
        assert {(r["reason"], r["requests"]) for r in rows} == {(UnfilledReason.NO_ONE_FREE, 1),
                                                                (UnfilledReason.NO_LANGUAGE, 1)}

    def test_fill_rate_and_time_to_fill(self, session, world):
        by_language = {r["key"]: r for r in queries.fill_by(session, scope(world, period.year(2027)), "language")}
        # ar: March 10, 11, 12, 31 and April 7, 14 (the late cancellation does not count), and February 28
        assert (by_language["ar"]["requests"], by_language["ar"]["filled"]) == (7, 2)
        assert by_language["ar"]["median_hours"] == pytest.approx(2.0)  # nearest rank of (2 h, 24 h)
        assert by_language["ar"]["p90_hours"] == pytest.approx(24.0)
        assert (by_language["ti"]["requests"], by_language["ti"]["filled"], by_language["ti"]["median_hours"]) == \
            (1, 0, None)
        assert "uk" not in by_language  # cancelled in time
        by_type = {r["key"]: (r["requests"], r["filled"]) for r in
                   queries.fill_by(session, scope(world, period.year(2027)), "agency_type")}
        assert by_type == {AgencyType.JOBCENTER: (7, 1), AgencyType.SCHOOL: (1, 1)}

    def test_unmet_demand_and_languages_in_short_supply(self, session, world):
        march = scope(world, period.month(2027, 3))
        assert {(r["key"], r["unfilled"]) for r in queries.unmet_by(session, march, "language")} == {("ar", 1),
                                                                                                      ("ti", 1)}
        supply = queries.short_supply(session, march)
        assert [(r["key"], r["requests"], r["unfilled"], r["volunteers"]) for r in supply] == [
            ("ti", 1, 1, 0), ("ar", 4, 1, 2)]  # nobody speaks Tigrinya: first

    def test_hours_and_amounts(self, session, world):
        rows = queries.hours_by(session, scope(world, period.year(2027)), "programme")
        assert [(r["key"], r["assignments"], r["hours"], r["amount"]) for r in rows] == [
            ("WIR-Lotsen", 1, pytest.approx(1.5), Decimal("22.50"))]
        assert queries.hours_by(session, scope(world, period.year(2026)), "programme") == []

    def test_volunteers(self, session, world):
        whole = scope(world, period.year(2027))
        assert queries.volunteers_summary(session, whole) == {"active": 3, "new": 3, "paused": 1}
        assert queries.volunteers_summary(session, scope(world, period.year(2026)))["new"] == 0
        assert {(r["key"], r["volunteers"]) for r in queries.volunteers_by(session, whole, "language")} == {
            ("ar", 2), ("uk", 1)}
        assert queries.volunteers_by(session, whole, "role") == [{"key": "guide", "volunteers": 1},
                                                                 {"key": "interpreter", "volunteers": 3}]


class TestSuppression:
    def test_small_counts_and_what_follows_from_them_are_left_out(self):
        table = sections.Table("t", "T", [sections.Column("label", "L", "label"), sections.Column("requests", "R"),
                                          sections.Column("filled", "F"), sections.Column("rate", "%", "percent"),
                                          sections.Column("median_hours", "M", "hours")], [
            {"label": "a", "requests": 12, "filled": 9, "rate": 0.75, "median_hours": 3.0},
            {"label": "b", "requests": 12, "filled": 3, "rate": 0.25, "median_hours": 5.0},
            {"label": "c", "requests": 4, "filled": 0, "rate": 0.0, "median_hours": None},
            {"label": "d", "requests": 5, "filled": 5, "rate": 1.0, "median_hours": 1.0}])
        sections.suppress(table)
        shown = [[None if v is None else str(v) for v in row.values()] for row in table.rows]
        assert shown == [["a", "12", "9", "0.75", "3.0"],
                         ["b", "12", "fewer than 5", None, None],  # the rate would give the count away
                         ["c", "fewer than 5", "0", None, None],
                         ["d", "5", "5", "1.0", "1.0"]]


class TestPage:
    def test_the_coordinator_sees_the_report_and_downloads_a_section(self, client, session, world, make_user):
        coordinator = make_user(Role.COORDINATOR, office=world["office"])
        sign_in(client, coordinator.email)
        page = page_text(client.get("/reports/?period=quarter&year=2027&number=1"))
        assert "Report Jan 1, 2027 – Mar 31, 2027" in page
        assert '<img class="chart" src="/reports/requests.svg?' in page
        svg = client.get("/reports/requests.svg?period=quarter&year=2027&number=1")
        assert svg.mimetype == "image/svg+xml" and "<script" not in svg.get_data(as_text=True)
        csv = client.get("/reports/requests.csv?period=quarter&year=2027&number=1").get_data(as_text=True)
        assert csv.splitlines()[1:] == ["January 2027;0;0;0;0;0", "February 2027;1;0;1;0;0", "March 2027;7;2;2;1;1"]
        published = client.get("/reports/requests.csv?period=quarter&year=2027&number=1&publish=1")
        assert published.get_data(as_text=True).splitlines()[3] == (
            "March 2027;7;fewer than 5;fewer than 5;fewer than 5;fewer than 5")

    def test_bad_periods_are_explained_and_the_year_shown(self, client, world, make_user):
        sign_in(client, make_user(Role.COORDINATOR, office=world["office"]).email)
        for query, message in (("period=range&from=2027-03-01&to=2027-02-01", "The range ends before it begins"),
                               ("period=range&from=2027-03-01", "Please give both days of the range"),
                               ("period=range&from=2000-01-01&to=2027-01-01", "at most five years"),
                               ("period=month&year=99999&number=13", "")):
            response = client.get(f"/reports/?{query}")
            assert response.status_code == 200 and message in page_text(response)

    def test_each_office_sees_its_own_and_an_admin_all(self, client, session, world, make_user):
        sign_in(client, make_user(Role.COORDINATOR, office=world["elsewhere"]).email)
        csv = client.get("/reports/requests.csv?period=month&year=2027&number=3").get_data(as_text=True)
        assert csv.splitlines()[1] == "March 2027;1;0;1;0;0"  # only the other office's one request
        client.post("/logout")
        sign_in(client, make_user(Role.ADMIN).email)
        everything = client.get("/reports/requests.csv?period=month&year=2027&number=3").get_data(as_text=True)
        assert everything.splitlines()[1] == "March 2027;8;2;3;1;1"
        one = client.get(f"/reports/requests.csv?period=month&year=2027&number=3&office_id={world['office'].id}")
        assert one.get_data(as_text=True).splitlines()[1] == "March 2027;7;2;2;1;1"
        client.post("/logout")
        for role in (Role.CASEWORKER, Role.VOLUNTEER):
            sign_in(client, make_user(role, office=world["office"]).email if role is Role.VOLUNTEER
                    else make_user(role).email)
            assert client.get("/reports/").status_code in (403, 404)
            client.post("/logout")
