"""The report's figures against a small data set counted by hand, on both databases; the period; who sees
what; suppression for publication; each section as CSV and its chart as SVG."""

import datetime as dt
import html
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale

from lotsen.assignments.models import Assignment, AssignmentStatus
from lotsen.auth.models import Role
from lotsen.billing.lifecycle import RecordStatus
from lotsen.billing.models import AssignmentRecord, Programme, RateVersion, RecordOutcome
from lotsen.billing.rules import Rule
from lotsen.offices.models import AgencyType, Municipality
from lotsen.reports import period, queries, sections
from lotsen.requests.lifecycle import RequestStatus, UnfilledReason
from lotsen.requests.models import HelpRequest, RequestKind, RequestSeries
from lotsen.audit.models import AuditEvent
from lotsen.volunteers.models import Mode, Topic, Training, TrainingKind, VolunteerLanguage
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
    return {"office": office, "elsewhere": elsewhere, "volunteers": volunteers, "programme": programme,
            "request": request, "assign": assign, "jobcenter": jobcenter}


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
        figures = queries.fill_by(session, scope(world, period.year(2027)), ("language", "agency_type"))
        by_language = {r["key"]: r for r in figures["language"]}
        # ar: March 10, 11, 12, 31 and April 7, 14 (the late cancellation does not count), and February 28
        assert (by_language["ar"]["requests"], by_language["ar"]["filled"]) == (7, 2)
        assert by_language["ar"]["median_hours"] == pytest.approx(2.0)  # nearest rank of (2 h, 24 h)
        assert by_language["ar"]["p90_hours"] == pytest.approx(24.0)
        assert (by_language["ti"]["requests"], by_language["ti"]["filled"], by_language["ti"]["median_hours"]) == \
            (1, 0, None)
        assert "uk" not in by_language  # cancelled in time
        by_type = {r["key"]: (r["requests"], r["filled"]) for r in figures["agency_type"]}
        assert by_type == {AgencyType.JOBCENTER: (7, 1), AgencyType.SCHOOL: (1, 1)}

    def test_unmet_demand_and_languages_in_short_supply(self, session, world):
        march = scope(world, period.month(2027, 3))
        languages = queries.fill_by(session, march, ("language",))["language"]
        assert {(r["key"], r["unfilled"]) for r in queries.unmet(languages)} == {("ar", 1), ("ti", 1)}
        supply = queries.short_supply(session, march, languages)
        assert [(r["key"], r["requests"], r["unfilled"], r["volunteers"]) for r in supply] == [
            ("ti", 1, 1, 0), ("ar", 4, 1, 2)]  # nobody speaks Tigrinya: first

    def test_hours_and_amounts(self, session, world):
        figures = queries.hours_by(session, scope(world, period.year(2027)))  # every dimension in one go
        assert [(r["key"], r["assignments"], r["hours"], r["amount"]) for r in figures["programme"]] == [
            ("WIR-Lotsen", 1, pytest.approx(1.5), Decimal("22.50"))]
        assert [(r["key"], r["assignments"]) for r in figures["language"]] == [("ar", 1)]
        assert [(r["key"], r["assignments"]) for r in figures["agency_type"]] == [(AgencyType.JOBCENTER, 1)]
        assert [(r["key"], r["assignments"]) for r in figures["municipality"]] == [("Dietzenbach", 1)]
        assert queries.hours_by(session, scope(world, period.year(2026)), ("programme",)) == {"programme": []}

    def test_volunteers(self, session, world):
        whole = scope(world, period.year(2027))
        assert queries.volunteers_summary(session, whole) == {"active": 3, "new": 3, "paused": 1, "left": 0}
        amina, dana = world["volunteers"][0], world["volunteers"][2]
        session.add_all([
            AuditEvent(action="user.deactivated", subject_type="User", subject_id=dana.id,
                       office_id=world["office"].id, occurred_at=berlin("2027-04-02")),
            Training(volunteer_id=amina.id, kind=TrainingKind.BASIC, completed_on=dt.date(2027, 3, 5)),
            Training(volunteer_id=amina.id, kind=TrainingKind.FURTHER, completed_on=dt.date(2026, 11, 5))])
        session.commit()
        assert queries.volunteers_summary(session, whole)["left"] == 1
        assert queries.volunteers_summary(session, scope(world, period.month(2027, 3)))["left"] == 0
        assert queries.trainings(session, whole) == [{"key": TrainingKind.BASIC, "trainings": 1, "volunteers": 1}]
        assert queries.volunteers_summary(session, scope(world, period.year(2026)))["new"] == 0
        assert {(r["key"], r["volunteers"]) for r in queries.volunteers_by(session, whole, "language")} == {
            ("ar", 2), ("uk", 1)}
        assert queries.volunteers_by(session, whole, "role") == [{"key": "guide", "volunteers": 1},
                                                                 {"key": "interpreter", "volunteers": 3}]


class TestFunderViews:
    def test_hours_per_volunteer_against_the_cap_clients_against_theirs_and_the_budget(self, app, session, world):
        programme, bilal = world["programme"], world["volunteers"][1]
        programme.rates.append(RateVersion(valid_from=dt.date(2000, 1, 1), rule_data=Rule(
            per_hour=Decimal("5.00"), yearly_hour_cap=276, per_client_cap=5).to_json()))
        for n, client in enumerate(["JC-1"] * 6 + ["JC-2"]):  # Bilal: seven assignments of 90 minutes
            found = world["request"](berlin(f"2027-04-{n + 1:02d}"), RequestStatus.COMPLETED)
            made = world["assign"](found, bilal, berlin("2027-03-01", "12:00"), AssignmentStatus.COMPLETED)
            session.add(AssignmentRecord(assignment_id=made.id, office_id=world["office"].id,
                                         agency_id=world["jobcenter"].id, volunteer_id=bilal.id,
                                         programme_id=programme.id, status=RecordStatus.DECIDED,
                                         outcome=RecordOutcome.TOOK_PLACE, starts_at=found.starts_at,
                                         ends_at=found.ends_at, mode="on_site", travel_km=0, client_key=client,
                                         confirm_by=found.ends_at, amount=Decimal("7.50"), paid_minutes=90))
        world["office"].settings = {**world["office"].settings, "allowance_budget": 1000}
        session.commit()
        with app.test_request_context(), force_locale("en"):
            tables = {t.key: t for t in sections.build(session, scope(world, period.year(2027)), publish=False)}
            hours = tables[f"cap_hours_{programme.id}"]
            assert [(r["label"], r["assignments"], r["hours"], r["paid_hours"], r["left"]) for r in hours.rows] == [
                ("Bilal Bakr", 7, 10.5, 10.5, 265.5), ("Amina Aziz", 1, 1.5, 1.5, 274.5)]
            clients = tables[f"cap_clients_{programme.id}"]
            assert [(r["label"], r["clients"], r["over"]) for r in clients.rows] == [
                ("1 assignment", 1, False), ("6 assignments (more than allowed)", 1, True)]
            budget = tables["budget"]
            assert [(r["amount"], r["share"]) for r in budget.rows] == [(Decimal("1000"), 1.0),
                                                                        (Decimal("75.00"), 0.075)]
            published = {t.key: t for t in sections.build(session, scope(world, period.year(2027)), publish=True)}
            rows = published[f"cap_hours_{programme.id}"].rows
            assert [r["label"] for r in rows] == ["Volunteer 1", "Volunteer 2"]  # no names leave the office
            assert (str(rows[1]["assignments"]), rows[1]["hours"], rows[1]["left"]) == ("fewer than 5", None, None)
            assert "offices" not in tables  # one office: nothing side by side

    def test_an_admin_sees_the_offices_side_by_side(self, app, session, world):
        both = queries.Scope((world["office"].id, world["elsewhere"].id), period.month(2027, 3), BERLIN)
        with app.test_request_context(), force_locale("en"):
            tables = {t.key: t for t in sections.build(session, both, publish=False)}
        assert [(r["label"], r["requests"], r["filled"], r["unfilled"], r["hours"], r["volunteers"])
                for r in tables["offices"].rows] == [("Anderswo", 1, 0, 1, 0.0, 0),
                                                     ("Kreis Offenbach", 5, 2, 2, 1.5, 3)]


    def test_an_admin_compares_offices_section_by_section(self, app, session, world):
        scopes = [(name, queries.Scope((world[key].id,), period.month(2027, 3), BERLIN))
                  for name, key in (("Kreis Offenbach", "office"), ("Anderswo", "elsewhere"))]
        with app.test_request_context(), force_locale("en"):
            tables = {t.key: t for t in sections.compare(session, scopes, publish=False)}
            assert [r["label"] for r in tables["offices"].rows] == ["Anderswo", "Kreis Offenbach"]
            months = tables["requests"]
            assert months.groups == [("Kreis Offenbach", 5), ("Anderswo", 5)]
            assert [c.heading for c in months.columns[:3]] == ["Month", "Kreis Offenbach: Requests",
                                                               "Kreis Offenbach: Filled"]
            assert [(r["label"], r["0.requests"], r["0.filled"], r["1.requests"], r["1.unfilled"])
                    for r in months.rows] == [("March 2027", 7, 2, 1, 1)]
            assert months.chart == ("label", "0.filled", "1.filled") and not months.stacked
            languages = tables["unmet_language"]  # a row one office lacks stays empty there
            assert {r["label"]: (r.get("0.unfilled"), r.get("1.unfilled")) for r in languages.rows} == {
                "Arabic": (1, 1), "Tigrinya": (1, None)}
            published = {t.key: t for t in sections.compare(session, scopes, publish=True)}
            assert str(published["requests"].rows[0]["1.requests"]) == "fewer than 5"
            assert str(published["offices"].rows[0]["requests"]) == "fewer than 5"
            [only] = sections.compare(session, scopes, publish=False, only="fill_language")
            assert only.key == "fill_language" and [g for g, _span in only.groups] == ["Kreis Offenbach", "Anderswo"]

class TestOneSection:
    def test_a_csv_or_chart_queries_only_its_own_section(self, app, session, world):
        from sqlalchemy import event

        statements = []
        engine = session.get_bind()
        listen = lambda *args: statements.append(args[2]) if args[2].lstrip().upper().startswith("SELECT") \
            else None  # noqa: E731
        event.listen(engine, "before_cursor_execute", listen)
        try:
            with app.test_request_context(), force_locale("en"):
                [table] = sections.build(session, scope(world, period.year(2027)), publish=False, only="fill_topic")
                assert table.key == "fill_topic"
                assert len(statements) == 1
                everything = sections.build(session, scope(world, period.year(2027)), publish=False)
        finally:
            event.remove(engine, "before_cursor_execute", listen)
        assert len(statements) > 10 and [t.key for t in everything].count("fill_topic") == 1
        if engine.dialect.name == "postgresql":  # requests and hours: one query each for all their breakdowns
            assert sum("GROUPING SETS" in statement for statement in statements[1:]) == 2


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
        assert "Report 1 Jan 2027 – 31 Mar 2027" in page
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


    def test_an_admin_compares_offices_on_the_page_and_in_the_files(self, client, session, world, make_user,
                                                                     make_office):
        sign_in(client, make_user(Role.ADMIN).email)
        ours, theirs = world["office"].id, world["elsewhere"].id
        query = f"period=month&year=2027&number=3&compare={ours}&compare={theirs}"
        page = page_text(client.get(f"/reports/?{query}"))
        assert '<th scope="colgroup" colspan="5"><bdi>Anderswo</bdi></th>' in page
        assert f'/reports/requests.svg?period=month&amp;year=2027&amp;number=3&amp;compare={ours}&amp;compare=' \
               f'{theirs}' in client.get(f"/reports/?{query}").get_data(as_text=True)  # the choice stays in links
        assert f'id="compare-{ours}" name="compare" type="checkbox" value="{ours}" checked' in page
        csv = client.get(f"/reports/requests.csv?{query}").get_data(as_text=True).splitlines()
        assert csv == ["\ufeffMonth;Anderswo: Requests;Anderswo: Filled;Anderswo: Not filled;Anderswo: Cancelled late;"
                       "Anderswo: Cancelled in time;Kreis Offenbach: Requests;Kreis Offenbach: Filled;"
                       "Kreis Offenbach: Not filled;Kreis Offenbach: Cancelled late;"
                       "Kreis Offenbach: Cancelled in time", "March 2027;1;0;1;0;0;7;2;2;1;1"]
        svg = client.get(f"/reports/requests.svg?{query}").get_data(as_text=True)
        assert "Anderswo: Filled" in svg and "Kreis Offenbach: Filled" in svg
        assert client.get(f"/reports/report.pdf?{query}").mimetype == "application/pdf"
        too_many = "".join(f"&compare={make_office(name=f'Amt {n}').id}" for n in range(5))
        for wrong, message in ((f"compare={ours}", "Choose at least two offices"),
                               (f"compare={ours}&compare={theirs}{too_many}", "Compare at most 5 offices")):
            page = page_text(client.get(f"/reports/?period=month&year=2027&number=3&{wrong}"))
            assert message in page and "Offices side by side" in page  # all offices together instead
        client.post("/logout")
        sign_in(client, make_user(Role.COORDINATOR, office=world["office"]).email)  # coordinators: own office only
        csv = client.get(f"/reports/requests.csv?{query}").get_data(as_text=True).splitlines()
        assert csv[1] == "March 2027;7;2;2;1;1"

class TestExports:
    def test_the_whole_report_as_a_workbook_and_the_raw_lists(self, client, session, world, make_user):
        from openpyxl import load_workbook

        coordinator = make_user(Role.COORDINATOR, office=world["office"])
        sign_in(client, coordinator.email)
        response = client.get("/reports/report.xlsx?period=quarter&year=2027&number=1")
        assert response.mimetype.endswith("spreadsheetml.sheet")
        book = load_workbook(io.BytesIO(response.get_data()))
        assert book.sheetnames[0] == "Requests by month" and len(book.sheetnames) == len(set(book.sheetnames))
        sheet = book["Requests by month"]
        assert [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)] == [
            ["January 2027", 0, 0, 0, 0, 0], ["February 2027", 1, 0, 1, 0, 0], ["March 2027", 7, 2, 2, 1, 1]]

        listed = client.get("/reports/lists/requests.csv?period=month&year=2027&number=3").get_data(as_text=True)
        lines = listed.splitlines()
        assert len(lines) == 1 + 7 and lines[0].endswith(";Volunteer")  # the office sees who took them
        assert "Amina Aziz" in listed and "Anderswo" not in listed
        records = client.get("/reports/lists/assignments.xlsx?period=month&year=2027&number=3")
        rows = list(load_workbook(io.BytesIO(records.get_data())).active.iter_rows(values_only=True))
        assert len(rows) == 2 and rows[1][-1] == "Amina Aziz" and rows[1][-2] == 22.5
        client.post("/logout")
        sign_in(client, make_user(Role.ADMIN).email)  # across offices: no volunteers' names
        everything = client.get("/reports/lists/requests.csv?period=month&year=2027&number=3").get_data(as_text=True)
        assert len(everything.splitlines()) == 1 + 8 and "Amina Aziz" not in everything

    def test_the_whole_report_as_pdf_reads_back(self, client, world, make_user):
        from pypdf import PdfReader

        sign_in(client, make_user(Role.COORDINATOR, office=world["office"]).email)
        response = client.get("/reports/report.pdf?period=quarter&year=2027&number=1")
        assert response.mimetype == "application/pdf"
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.get_data())).pages)
        assert "Report 1 Jan 2027 – 31 Mar 2027" in text
        assert "Requests by month" in text and "March 2027" in text and "Languages in short supply" in text

    def test_no_cell_of_a_workbook_becomes_a_formula(self, session):
        from openpyxl import load_workbook

        from lotsen.reports import exports

        data = exports.list_workbook("x", ["a"], [['=HYPERLINK("http://evil")'], ["+1"]])
        values = [row[0] for row in load_workbook(io.BytesIO(data)).active.iter_rows(min_row=2, values_only=True)]
        assert values == ["'=HYPERLINK(\"http://evil\")", "'+1"]
