"""Agencies file requests through their pages: the office's rules, series, the life cycle and who sees what."""

import datetime as dt
import html
import re
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from sqlalchemy import select

from lotsen.audit.models import AuditEvent
from lotsen.auth.models import Role
from lotsen.geo import lookup
from lotsen.offices.models import Municipality
from lotsen.requests.lifecycle import Action, RequestStatus
from lotsen.requests.models import HelpRequest, Recurrence, RequestKind, RequestSeries
from lotsen.reminders.worker import tick
from lotsen.public_holidays import HolidayCalendar
from lotsen.requests.timing import add_working_days, to_utc
from lotsen.volunteers.models import Mode, Topic

BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.timezone.utc
LEAD = 3  # the default minimum lead time in working days
REFERENCE = "AZ-2026-17"
HOLIDAYS = HolidayCalendar()  # the default: the public holidays of every Land


# ---- dates relative to today, in Berlin -------------------------------------------------------------------------

def now() -> dt.datetime:
    return dt.datetime.now(UTC)


def today() -> dt.date:
    return now().astimezone(BERLIN).date()


def regular_day(extra_working_days: int = 0) -> dt.date:
    """The first date a request may be for without the urgent flag (or later by working days)."""
    return add_working_days(today(), LEAD + extra_working_days, HOLIDAYS)


def _noon_offset(day: dt.date) -> dt.timedelta:
    return dt.datetime.combine(day, dt.time(12), BERLIN).utcoffset()


def next_clock_change(after: dt.date) -> dt.date:
    """The first day after ``after`` whose clocks differ from the day before (a Sunday in March or October)."""
    day = after
    while _noon_offset(day) == _noon_offset(day + dt.timedelta(days=1)):
        day += dt.timedelta(days=1)
    return day + dt.timedelta(days=1)


def next_spring_forward() -> dt.date:
    """The next last Sunday of March after today."""
    for year in (today().year, today().year + 1):
        last_of_march = dt.date(year, 3, 31)
        sunday = last_of_march - dt.timedelta(days=(last_of_march.weekday() + 1) % 7)
        if sunday > today():
            return sunday
    raise AssertionError("unreachable")


# ---- forms, pages and rows ----------------------------------------------------------------------------------------

def request_form(**changes) -> dict:
    """A complete on-site request; ``None`` leaves a field out."""
    data = {
        "kind": "interpreter", "language": "Arabic", "variety": "", "mode": "on_site",
        "day": regular_day().isoformat(), "start": "10:00", "duration_minutes": "90",
        "street": "Berliner Straße 100", "postcode": "63065", "town": "Offenbach am Main", "topic": "authorities",
        "gender_preference": "", "client_reference": REFERENCE, "contact_name": "Frau Schneider",
        "contact_phone": "069 8065 2731", "notes": "Zimmer 204, bitte am Empfang melden.",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def history(response) -> list[str]:
    """The entries of a request's history, as the page shows them."""
    section = page_text(response).split('id="history-heading"', 1)[1]
    return [re.sub(r"<[^>]+>", "", item).strip() for item in re.findall(r"<li>(.*?)</li>", section, re.S)]


def all_requests(session) -> list[HelpRequest]:
    return list(session.scalars(select(HelpRequest).order_by(HelpRequest.starts_at, HelpRequest.id)))


def local(instant: dt.datetime) -> dt.datetime:
    return instant.astimezone(BERLIN)


def insert_request(session, agency, *, starts_at: dt.datetime, status=RequestStatus.OPEN, actor=None,
                   **fields) -> HelpRequest:
    """A request as if filed earlier, with ``status`` reached by the ordinary steps."""
    values = {"kind": RequestKind.INTERPRETER, "language": "ar", "mode": Mode.PHONE, "duration_minutes": 60,
              "topic": Topic.AUTHORITIES, "client_reference": REFERENCE, "contact_name": "Frau Schneider",
              "contact_phone": "069 8065 2731"}
    values.update(fields)
    found = HelpRequest(office_id=agency.offices[0].id, agency_id=agency.id, created_by=actor,
                        starts_at=starts_at, ends_at=starts_at + dt.timedelta(minutes=values["duration_minutes"]),
                        **values)
    found.apply(Action.CREATE, actor, at=now() - dt.timedelta(days=7))
    steps = {RequestStatus.OFFERED: [Action.OFFER], RequestStatus.CONFIRMED: [Action.OFFER, Action.CONFIRM],
             RequestStatus.CANCELLED: [Action.CANCEL]}
    for action in steps.get(status, []):
        found.apply(action, None)
    session.add(found)
    session.commit()
    return found


def at_regular_time(day: dt.date, hour: int = 10) -> dt.datetime:
    return to_utc(day, dt.time(hour), BERLIN)


@pytest.fixture
def office(make_office):
    return make_office(name="Kreis Offenbach", municipalities=[Municipality(name="Offenbach am Main")])


@pytest.fixture
def agency(make_agency, office):
    return make_agency(offices=[office], name="Jobcenter Offenbach")


@pytest.fixture
def caseworker(login_as, agency):
    return login_as(Role.CASEWORKER, agency=agency, name="Petra Weber")


def set_settings(session, office, **values) -> None:
    office.settings = {**(office.settings or {}), **values}
    session.commit()


# ---- intake -------------------------------------------------------------------------------------------------------

class TestFiling:
    def test_caseworker_files_an_on_site_request_stored_in_utc_with_coordinates(self, client, session, caseworker,
                                                                                 office, agency):
        day = regular_day()
        response = client.post("/requests/new", data=request_form(day=day.isoformat(), start="10:00",
                                                                  variety="apc", gender_preference="female"))
        [filed] = all_requests(session)
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/requests/{filed.id}")
        assert filed.starts_at == to_utc(day, dt.time(10), BERLIN)
        assert filed.starts_at.utcoffset() == dt.timedelta(0)
        assert filed.ends_at - filed.starts_at == dt.timedelta(minutes=90)
        assert (filed.latitude, filed.longitude) == (lookup("63065").latitude, lookup("63065").longitude)
        assert filed.municipality_id == session.scalar(select(Municipality.id).where(
            Municipality.office_id == office.id))
        assert (filed.language, filed.variety, filed.mode, filed.topic) == ("ar", "apc", Mode.ON_SITE,
                                                                             Topic.AUTHORITIES)
        assert (filed.agency_id, filed.office_id, filed.created_by_id) == (agency.id, office.id, caseworker.id)
        assert (filed.status, filed.client_reference, filed.is_urgent) == (RequestStatus.OPEN, REFERENCE, False)
        audit = session.scalar(select(AuditEvent).where(AuditEvent.action == "request.created"))
        assert (audit.actor_id, audit.office_id) == (caseworker.id, office.id)

        shown = client.get(f"/requests/{filed.id}")
        when = re.search(r"<dt>When</dt><dd>(.*?)</dd>", page_text(shown), re.S).group(1)
        assert "10:00" in when  # shown in Berlin time, not UTC
        [entry] = history(shown)
        assert "Petra Weber: Request filed" in entry
        assert "Your request has been sent to the coordinating office." in page_text(shown)

    def test_form_suggests_the_offices_default_duration(self, client, session, caseworker, office):
        suggested = re.compile(r'<input[^>]*name="duration_minutes"[^>]*value="(\d+)"')
        assert suggested.search(page_text(client.get("/requests/new"))).group(1) == "90"
        set_settings(session, office, default_duration_minutes=60)
        assert suggested.search(page_text(client.get("/requests/new"))).group(1) == "60"

    def test_form_asks_for_a_reference_and_never_for_the_clients_name(self, client, caseworker):
        page = page_text(client.get("/requests/new"))
        names = re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', page)
        assert "client_reference" in names and "contact_name" in names
        assert not [name for name in names if "client_name" in name or "patient" in name]

    @pytest.mark.parametrize("changes, message, kept", [
        ({"contact_name": ""}, "Please fill in this field.", 'value="069 8065 2731"'),
        ({"language": "Fantasiesprache"}, "Choose a language from the list.", 'value="Fantasiesprache"'),
        ({"postcode": "00000"}, "We do not know the postcode 00000.", 'value="00000"'),
        ({"duration_minutes": "240"}, "Assignments of lay volunteers last at most 180 minutes.", 'value="240"'),
    ])
    def test_invalid_input_is_kept_and_nothing_is_saved(self, client, session, caseworker, changes, message, kept):
        response = client.post("/requests/new", data=request_form(**changes))
        page = page_text(response)
        assert response.status_code == 200
        assert message in page
        assert kept in page
        assert f'value="{REFERENCE}"' in page
        assert all_requests(session) == []

    def test_office_may_lower_the_maximum_duration(self, client, session, caseworker, office):
        set_settings(session, office, max_duration_minutes=120)
        response = client.post("/requests/new", data=request_form(duration_minutes="150"))
        assert "at most 120 minutes" in page_text(response)
        assert all_requests(session) == []


class TestOfficeRules:
    def test_a_date_inside_the_lead_time_is_refused_unless_urgent(self, client, session, caseworker):
        too_soon = add_working_days(today(), LEAD - 1, HOLIDAYS)
        refused = client.post("/requests/new", data=request_form(day=too_soon.isoformat()))
        assert refused.status_code == 200
        assert "mark the request as urgent" in page_text(refused)
        assert format_date(regular_day(), locale="en_GB") in page_text(refused)  # names the earliest regular date
        assert f'value="{too_soon.isoformat()}"' in page_text(refused)
        assert all_requests(session) == []

        accepted = client.post("/requests/new", data=request_form(day=too_soon.isoformat(), is_urgent="y"))
        assert accepted.status_code == 302
        [filed] = all_requests(session)
        assert filed.is_urgent and local(filed.starts_at).date() == too_soon
        assert filed.events[0].details == {"urgent": True}

    def test_the_first_day_after_the_lead_time_needs_no_urgent_flag(self, client, session, caseworker):
        response = client.post("/requests/new", data=request_form(day=regular_day().isoformat()))
        assert response.status_code == 302
        assert [local(r.starts_at).date() for r in all_requests(session)] == [regular_day()]

    @pytest.mark.now(dt.datetime(2026, 12, 22, 9, 0, tzinfo=BERLIN))  # a Tuesday before Christmas
    def test_the_lead_time_skips_the_public_holidays_of_the_office_s_land(self, client, session, caseworker,
                                                                          office):
        set_settings(session, office, federal_state="HE")
        # Three working days after Tuesday 22 December: the 23rd, the 24th, then (25th and 26th are holidays,
        # then the weekend) Monday the 28th.
        too_soon = client.post("/requests/new", data=request_form(day="2026-12-24"))
        assert "The earliest date for a regular request is 28 Dec 2026" in page_text(too_soon)
        assert all_requests(session) == []
        filed = client.post("/requests/new", data=request_form(day="2026-12-28"), follow_redirects=True)
        assert "Your request has been sent" in page_text(filed)
        assert "Public holiday" not in page_text(filed)

    @pytest.mark.now(dt.datetime(2026, 5, 26, 9, 0, tzinfo=BERLIN))
    def test_a_request_on_a_holiday_is_flagged_when_filed_and_on_its_page(self, client, session, caseworker,
                                                                          office):
        set_settings(session, office, federal_state="HE")
        # Corpus Christi, Thursday 4 June 2026, is a holiday in Hessen: an urgent need may still fall on it.
        response = client.post("/requests/new", data=request_form(day="2026-06-04", is_urgent="y"),
                               follow_redirects=True)
        page = page_text(response)
        assert "Please note: Thursday, 4 June 2026 is Corpus Christi. Is the agency open that day?" in page
        assert "Public holiday or closing day: Corpus Christi" in page
        [filed] = all_requests(session)
        # In Berlin it is an ordinary Thursday: no flag on the page.
        set_settings(session, office, federal_state="BE")
        assert "Public holiday" not in page_text(client.get(f"/requests/{filed.id}"))
        set_settings(session, office, federal_state="HE")
        assert "Corpus Christi" in page_text(client.get(f"/requests/{filed.id}"))

    def test_an_excluded_setting_is_refused_and_the_offices_alternative_is_shown(self, client, session, caseworker,
                                                                                 office):
        set_settings(session, office, alternative_service="Dolmetscherdienst XY, Tel. 069 123")
        response = client.post("/requests/new", data=request_form(involves=["court"]))
        page = page_text(response)
        assert response.status_code == 200
        assert "Lay volunteers do not take such conversations." in page
        assert "Dolmetscherdienst XY, Tel. 069 123" in page
        assert re.search(r'<input [^>]*checked[^>]*name="involves"[^>]*value="court"', page)  # the tick is kept
        assert all_requests(session) == []

    def test_a_setting_the_office_no_longer_excludes_is_accepted(self, client, session, caseworker, office):
        set_settings(session, office, excluded_settings=["legal", "therapy"])
        response = client.post("/requests/new", data=request_form(involves=["court"]))
        assert response.status_code == 302
        assert len(all_requests(session)) == 1

    def test_half_past_two_on_the_spring_forward_day_is_refused(self, client, session, caseworker):
        sunday = next_spring_forward()
        urgent = {"is_urgent": "y"} if sunday < regular_day() else {}
        response = client.post("/requests/new", data=request_form(day=sunday.isoformat(), start="02:30", **urgent))
        page = page_text(response)
        assert response.status_code == 200
        assert "02:30 does not exist on" in page
        assert "the clocks go forward that night" in page
        assert all_requests(session) == []

    def test_the_clock_change_message_comes_in_the_users_language(self, client, session, login_as, agency):
        login_as(Role.CASEWORKER, agency=agency, locale="de")
        sunday = next_spring_forward()
        urgent = {"is_urgent": "y"} if sunday < regular_day() else {}
        response = client.post("/requests/new", data=request_form(day=sunday.isoformat(), start="02:30", **urgent))
        page = page_text(response)
        assert response.status_code == 200
        assert '<html lang="de"' in page
        assert "02:30" in page
        assert "the clocks go forward" not in page  # translated, whatever the German wording
        assert all_requests(session) == []


# ---- series -------------------------------------------------------------------------------------------------------

def file_series(client, session, *, first: dt.date, recurrence: str = "weekly", count: int = 3) -> list[HelpRequest]:
    response = client.post("/requests/new", data=request_form(day=first.isoformat(), recurrence=recurrence,
                                                              count=str(count)))
    assert response.status_code == 302, page_text(response)
    return all_requests(session)


class TestSeries:
    def test_weekly_series_keeps_the_local_start_across_the_clock_change(self, client, session, caseworker):
        change = next_clock_change(regular_day() + dt.timedelta(days=6))
        first = change - dt.timedelta(days=6)
        dates = file_series(client, session, first=first, count=4)
        assert [local(r.starts_at).date() for r in dates] == [first + dt.timedelta(weeks=n) for n in range(4)]
        assert {local(r.starts_at).time() for r in dates} == {dt.time(10)}
        assert len({r.starts_at.hour for r in dates}) == 2  # the UTC hour moves with the clocks
        [series] = session.scalars(select(RequestSeries)).all()
        assert series.recurrence is Recurrence.WEEKLY
        assert {r.series_id for r in dates} == {series.id}
        assert all(r.status is RequestStatus.OPEN and len(r.events) == 1 for r in dates)

    def test_fortnightly_series_is_two_weeks_apart(self, client, session, caseworker):
        dates = file_series(client, session, first=regular_day(), recurrence="fortnightly", count=3)
        assert [local(r.starts_at).date() for r in dates] == [regular_day() + dt.timedelta(weeks=2 * n)
                                                               for n in range(3)]

    def test_changing_one_date_leaves_the_others(self, client, session, caseworker):
        first, second, third = file_series(client, session, first=regular_day())
        before = {r.id: r.starts_at for r in (first, third)}
        moved = local(second.starts_at).date() + dt.timedelta(days=1)
        response = client.post(f"/requests/{second.id}/edit", data=request_form(day=moved.isoformat(),
                                                                                start="14:00"))
        assert response.status_code == 302
        session.refresh(second)
        assert local(second.starts_at) == dt.datetime.combine(moved, dt.time(14), BERLIN)
        assert {r.id: session.get(HelpRequest, r.id).starts_at for r in (first, third)} == before
        assert {session.get(HelpRequest, r.id).series_id for r in (first, second, third)} == {first.series_id}
        assert [e.action for e in second.events] == ["create", "edit"]
        assert "Petra Weber: Changed" in history(client.get(f"/requests/{second.id}"))[-1]

    def test_cancelling_one_date_leaves_the_others(self, client, session, caseworker):
        first, second, third = file_series(client, session, first=regular_day())
        response = client.post(f"/requests/{second.id}/cancel", data={"reason": "Termin verschoben"})
        assert response.status_code == 302
        assert [r.status for r in all_requests(session)] == [RequestStatus.OPEN, RequestStatus.CANCELLED,
                                                              RequestStatus.OPEN]
        assert {r.series_id for r in all_requests(session)} == {first.series_id}


# ---- life cycle ---------------------------------------------------------------------------------------------------

class TestCancelling:
    @pytest.mark.parametrize("reason, message", [("", "Please fill in this field."),
                                                 ("   ", "Please give a reason.")])
    def test_cancelling_needs_a_reason(self, client, session, caseworker, agency, reason, message):
        filed = insert_request(session, agency, starts_at=at_regular_time(regular_day()))
        response = client.post(f"/requests/{filed.id}/cancel", data={"reason": reason})
        assert response.status_code == 200
        assert message in page_text(response)
        session.refresh(filed)
        assert filed.status is RequestStatus.OPEN and len(filed.events) == 1

    def test_cancelling_less_than_a_day_ahead_is_late(self, client, session, caseworker, agency):
        filed = insert_request(session, agency, starts_at=now() + dt.timedelta(hours=5), is_urgent=True)
        assert "late cancellation" in page_text(client.get(f"/requests/{filed.id}/cancel"))
        response = client.post(f"/requests/{filed.id}/cancel", data={"reason": "Klient erkrankt"},
                               follow_redirects=True)
        assert "The request has been cancelled (late cancellation)." in page_text(response)
        session.refresh(filed)
        assert (filed.status, filed.cancelled_late, filed.cancel_reason) == (RequestStatus.CANCELLED, True,
                                                                             "Klient erkrankt")
        cancelled = history(response)[-1]
        assert "Petra Weber: Cancelled" in cancelled and "Klient erkrankt" in cancelled and "(late)" in cancelled

    def test_cancelling_more_than_a_day_ahead_is_not_late(self, client, session, caseworker, agency):
        filed = insert_request(session, agency, starts_at=now() + dt.timedelta(hours=30))
        assert "late cancellation" not in page_text(client.get(f"/requests/{filed.id}/cancel"))
        response = client.post(f"/requests/{filed.id}/cancel", data={"reason": "Termin entfällt"})
        assert response.status_code == 302
        session.refresh(filed)
        assert (filed.status, filed.cancelled_late) == (RequestStatus.CANCELLED, False)

    def test_a_cancelled_request_cannot_be_cancelled_again(self, client, session, caseworker, agency):
        filed = insert_request(session, agency, starts_at=at_regular_time(regular_day()),
                               status=RequestStatus.CANCELLED)
        response = client.post(f"/requests/{filed.id}/cancel", data={"reason": "noch einmal"})
        assert "This request can no longer be cancelled." in page_text(response)
        session.refresh(filed)
        assert len(filed.events) == 2


class TestEditing:
    def test_caseworker_changes_an_open_request_and_the_history_keeps_it(self, client, session, caseworker,
                                                                         agency):
        filed = insert_request(session, agency, starts_at=at_regular_time(regular_day()), mode=Mode.PHONE)
        form = client.get(f"/requests/{filed.id}/edit")
        assert form.status_code == 200 and 'value="Frau Schneider"' in page_text(form)
        response = client.post(f"/requests/{filed.id}/edit", data=request_form(
            day=regular_day().isoformat(), mode="phone", duration_minutes="60", contact_phone="0151 000"))
        assert response.status_code == 302
        session.refresh(filed)
        assert filed.contact_phone == "0151 000"
        [change] = [e for e in filed.events if e.action == "edit"]
        assert change.actor_id == caseworker.id
        assert change.details["contact_phone"] == {"from": "069 8065 2731", "to": "0151 000"}

    @pytest.mark.parametrize("status", [RequestStatus.OFFERED, RequestStatus.CONFIRMED, RequestStatus.CANCELLED])
    def test_only_open_requests_can_be_changed(self, client, session, caseworker, agency, status):
        filed = insert_request(session, agency, starts_at=at_regular_time(regular_day()), status=status)
        shown = client.get(f"/requests/{filed.id}/edit")
        assert shown.status_code == 302 and shown.headers["Location"].endswith(f"/requests/{filed.id}")
        assert "Only open requests can be changed." in page_text(client.get(shown.headers["Location"]))
        posted = client.post(f"/requests/{filed.id}/edit", data=request_form(notes="Neue Notiz"))
        assert posted.status_code == 302
        session.refresh(filed)
        assert filed.notes == "" and filed.status is status
        assert "edit" not in [e.action for e in filed.events]

    def test_a_request_already_inside_the_lead_time_can_still_get_a_new_phone_number(self, client, session,
                                                                                      caseworker, agency):
        soon = add_working_days(today(), 1, HOLIDAYS)
        filed = insert_request(session, agency, starts_at=at_regular_time(soon), mode=Mode.PHONE,
                               duration_minutes=60)
        response = client.post(f"/requests/{filed.id}/edit", data=request_form(
            day=soon.isoformat(), mode="phone", duration_minutes="60", contact_phone="0151 000"))
        assert response.status_code == 302, page_text(response)
        session.refresh(filed)
        assert filed.contact_phone == "0151 000" and not filed.is_urgent

    def test_moving_a_later_date_of_a_series_into_the_lead_time_needs_the_urgent_flag(self, client, session,
                                                                                      caseworker):
        _, second, _ = file_series(client, session, first=regular_day())
        too_soon = add_working_days(today(), LEAD - 1, HOLIDAYS)
        response = client.post(f"/requests/{second.id}/edit", data=request_form(day=too_soon.isoformat()))
        assert "mark the request as urgent" in page_text(response)
        session.refresh(second)
        assert local(second.starts_at).date() != too_soon


class TestUnfilled:
    def test_the_worker_marks_requests_whose_start_passed_unfilled(self, app, client, session, caseworker, agency):
        passed = now() - dt.timedelta(hours=2)
        forgotten = insert_request(session, agency, starts_at=passed, client_reference="A")
        offered = insert_request(session, agency, starts_at=passed, status=RequestStatus.OFFERED,
                                 client_reference="B")
        confirmed = insert_request(session, agency, starts_at=passed, status=RequestStatus.CONFIRMED,
                                   client_reference="C")
        upcoming = insert_request(session, agency, starts_at=now() + dt.timedelta(hours=2), client_reference="D")
        assert tick(app)["mark_unfilled"] == 2
        session.expire_all()
        assert [session.get(HelpRequest, r.id).status for r in (forgotten, offered, confirmed, upcoming)] == [
            RequestStatus.UNFILLED, RequestStatus.UNFILLED, RequestStatus.CONFIRMED, RequestStatus.OPEN]
        last = session.get(HelpRequest, forgotten.id).events[-1]
        assert (last.action, last.actor_id, last.from_status, last.to_status) == (
            "mark_unfilled", None, "open", "unfilled")
        entry = history(client.get(f"/requests/{forgotten.id}"))[-1]
        assert "Lotsen (automatic): Start passed without a confirmed volunteer" in entry


# ---- duplicates ---------------------------------------------------------------------------------------------------

class TestDuplicates:
    def test_same_reference_language_and_overlapping_time_warns_until_confirmed(self, client, session,
                                                                                caseworker, agency):
        first = insert_request(session, agency, starts_at=at_regular_time(regular_day()), duration_minutes=90)
        data = request_form(start="11:00", client_reference=REFERENCE.lower())
        warned = client.post("/requests/new", data=data)
        page = page_text(warned)
        assert warned.status_code == 200
        assert f"Your agency already has a request for this client reference, language and time (no. {first.id})" \
            in page
        assert 'name="confirm_duplicate"' in page and "File it anyway" in page
        assert len(all_requests(session)) == 1

        filed = client.post("/requests/new", data={**data, "confirm_duplicate": "y"})
        assert filed.status_code == 302
        assert len(all_requests(session)) == 2

    @pytest.mark.parametrize("changes", [
        {"language": "Farsi (Persian)"},
        {"start": "11:30"},  # begins as the other ends
        {"client_reference": "AZ-2026-18"},
    ], ids=["other language", "no overlap", "other reference"])
    def test_no_warning_without_a_real_clash(self, client, session, caseworker, agency, changes):
        insert_request(session, agency, starts_at=at_regular_time(regular_day()), duration_minutes=90)
        response = client.post("/requests/new", data=request_form(**changes))
        assert response.status_code == 302, page_text(response)
        assert len(all_requests(session)) == 2

    def test_another_agencys_request_is_no_duplicate(self, client, session, caseworker, make_agency, office):
        insert_request(session, make_agency(offices=[office]), starts_at=at_regular_time(regular_day()))
        response = client.post("/requests/new", data=request_form())
        assert response.status_code == 302, page_text(response)

    def test_a_cancelled_request_is_no_duplicate(self, client, session, caseworker, agency):
        insert_request(session, agency, starts_at=at_regular_time(regular_day()), status=RequestStatus.CANCELLED)
        response = client.post("/requests/new", data=request_form())
        assert response.status_code == 302, page_text(response)


# ---- who sees what ------------------------------------------------------------------------------------------------

class TestVisibility:
    def test_caseworker_sees_only_the_own_agencys_requests(self, client, session, caseworker, agency, office,
                                                          make_agency):
        own = insert_request(session, agency, starts_at=at_regular_time(regular_day()), client_reference="OWN-1")
        neighbour = insert_request(session, make_agency(offices=[office]), starts_at=at_regular_time(regular_day()),
                                   client_reference="OTHER-1")
        listing = page_text(client.get("/requests/"))
        assert "OWN-1" in listing and "OTHER-1" not in listing
        assert client.get(f"/requests/{own.id}").status_code == 200
        for url in (f"/requests/{neighbour.id}", f"/requests/{neighbour.id}/edit", f"/requests/{neighbour.id}/cancel"):
            assert client.get(url).status_code == 404
        assert client.post(f"/requests/{neighbour.id}/cancel", data={"reason": "x"}).status_code == 404
        assert client.post(f"/requests/{neighbour.id}/edit", data=request_form(notes="x")).status_code == 404
        session.refresh(neighbour)
        assert neighbour.status is RequestStatus.OPEN and neighbour.notes == ""

    def test_coordinator_sees_all_agencies_of_the_office_and_no_other_office(self, client, session, login_as,
                                                                            office, agency, make_agency,
                                                                            make_office):
        login_as(Role.COORDINATOR, office=office)
        school = make_agency(offices=[office], name="Grundschule am Main")
        elsewhere = make_agency(offices=[make_office()], name="Jobcenter Darmstadt")
        mine = [insert_request(session, a, starts_at=at_regular_time(regular_day()), client_reference=ref)
                for a, ref in ((agency, "JC-1"), (school, "GS-1"))]
        foreign = insert_request(session, elsewhere, starts_at=at_regular_time(regular_day()),
                                 client_reference="DA-1")
        listing = page_text(client.get("/requests/"))
        assert "JC-1" in listing and "GS-1" in listing and "Grundschule am Main" in listing
        assert "DA-1" not in listing
        assert all(client.get(f"/requests/{r.id}").status_code == 200 for r in mine)
        assert client.get(f"/requests/{foreign.id}").status_code == 404
        assert client.post(f"/requests/{foreign.id}/cancel", data={"reason": "x"}).status_code == 404

    def test_coordinator_files_on_behalf_of_an_agency_of_the_office(self, client, session, login_as, office,
                                                                   agency, make_agency):
        coordinator = login_as(Role.COORDINATOR, office=office, name="Ali Yilmaz")
        make_agency(offices=[office], name="Aaa Beratungsstelle")  # listed first: the choice must count
        response = client.post("/requests/new", data=request_form(agency_id=str(agency.id),
                                                                  office_id=str(office.id), inform_name="Petra Schulz",
                                                                  inform_email="petra@jobcenter.example"))
        assert response.status_code == 302, page_text(response)
        [filed] = all_requests(session)
        assert (filed.agency_id, filed.office_id, filed.created_by_id) == (agency.id, office.id, coordinator.id)
        assert (filed.inform_name, filed.inform_email) == ("Petra Schulz", "petra@jobcenter.example")
        assert "Ali Yilmaz: Request filed" in history(client.get(f"/requests/{filed.id}"))[0]

    def test_coordinator_cannot_file_for_an_agency_of_another_office(self, client, session, login_as, office,
                                                                    agency, make_agency, make_office):
        login_as(Role.COORDINATOR, office=office)
        elsewhere = make_agency(offices=[make_office()])
        response = client.post("/requests/new", data=request_form(agency_id=str(elsewhere.id),
                                                                  office_id=str(elsewhere.offices[0].id)))
        assert response.status_code == 200
        assert "Agency: Not a valid choice." in page_text(response)
        assert all_requests(session) == []

    def test_volunteers_have_no_access(self, client, login_as):
        login_as(Role.VOLUNTEER)
        assert client.get("/requests/").status_code == 403
        assert client.get("/requests/new").status_code == 403
        assert client.post("/requests/new", data=request_form()).status_code == 403


class TestList:
    @pytest.fixture
    def three(self, session, agency):
        day = at_regular_time(regular_day())
        return {ref: insert_request(session, agency, starts_at=day, client_reference=ref, status=status)
                for ref, status in (("AZ-100", RequestStatus.OPEN), ("AZ-200", RequestStatus.CANCELLED),
                                    ("BG-100", RequestStatus.OPEN))}

    def table(self, client, **query) -> str:
        page = page_text(client.get("/requests/", query_string=query))
        return page.split("<tbody>", 1)[1] if "<tbody>" in page else ""

    def test_search_by_reference_ignores_case(self, client, caseworker, three):
        rows = self.table(client, reference="az-")
        assert "AZ-100" in rows and "AZ-200" in rows and "BG-100" not in rows

    def test_status_filter(self, client, caseworker, three):
        rows = self.table(client, status="cancelled")
        assert "AZ-200" in rows and "AZ-100" not in rows and "BG-100" not in rows
        rows = self.table(client, status="open", reference="100")
        assert "AZ-100" in rows and "BG-100" in rows and "AZ-200" not in rows

    def test_search_takes_underscores_literally(self, client, session, caseworker, agency):
        for ref in ("BG_7", "BG-7"):
            insert_request(session, agency, starts_at=at_regular_time(regular_day()), client_reference=ref)
        rows = self.table(client, reference="BG_7")
        assert "BG_7" in rows and "BG-7" not in rows
