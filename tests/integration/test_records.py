"""The assignment record: recorded from the phone, confirmed or disputed by the agency through its one-time
link or signed in, changed and confirmed again, decided by the office after the deadline, priced line by line."""

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from lotsen.assignments import changes
from lotsen.assignments.models import Assignment, AssignmentStatus
from lotsen.auth.models import Role
from lotsen.billing import programmes, records
from lotsen.billing.lifecycle import RecordStatus
from lotsen.billing.models import AssignmentRecord, Programme, RecordOutcome
from lotsen.billing.rules import Rule, Travel
from lotsen.errors import DomainError
from tests.builders import confirmed, took_place
from tests.conftest import mail_body, sign_in
from tests.integration.test_offers import (agency, caseworker, coordinator, filed, fresh, office,  # noqa: F401
                                           pool)

HOUR = dt.timedelta(hours=1)
BIELEFELD = Rule(per_hour=Decimal("15.00"), step_minutes=30, travel=Travel.KM, per_km=Decimal("0.30"),
                 late_cancel_minutes=120)


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def confirm_links(mails, address) -> list[str]:
    return [link for m in mails() if m["To"] == address
            for link in re.findall(r"http://lotsen\.test(/confirm/\S+)", mail_body(m))]


@pytest.fixture
def programme(session, office):
    """The office's own budget at Bielefeld's rates (since long ago)."""
    paid = Programme(office_id=office.id, name="Eigenes Budget", kinds=["guide", "interpreter"])
    paid.rates.append(programmes.RateVersion(valid_from=dt.date(2000, 1, 1), rule_data=BIELEFELD.to_json()))
    session.add(paid)
    session.commit()
    return paid


@pytest.fixture
def assignment(act, session, coordinator, filed, pool, programme):
    return confirmed(act, session, coordinator, filed, pool[0])


def record_form(**changes) -> dict:
    data = {"outcome": "took_place", "starts": "09:05", "ends": "10:50", "waiting_minutes": "10",
            "travel_minutes": "30", "travel_km": "12", "mode": "on_site", "note": "Alles gut gelaufen."}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def stored(session, assignment) -> AssignmentRecord:
    fresh(session)
    return session.scalar(select(AssignmentRecord).where(AssignmentRecord.assignment_id == assignment.id))


class TestRecordingFromThePhone:
    def test_the_volunteer_records_and_the_agency_confirms_through_its_link(self, client, clock, session, assignment,
                                                                            pool, caseworker, mails):
        clock.set(assignment.ends_at + HOUR)
        sign_in(client, pool[0].email)
        form = client.get(f"/assignments/{assignment.id}/record")
        assert 'value="09:00"' in page_text(form) and 'value="10:30"' in page_text(form)  # the plan, to start from
        response = client.post(f"/assignments/{assignment.id}/record", data=record_form(), follow_redirects=True)
        page = page_text(response)
        assert "The agency is asked to confirm it" in page
        # Line by line: 1 h 55 min worked and waited, paid per started half hour = 2 h; 12 km.
        assert "Time: 2 h at €15.00 per hour = €30.00" in page
        assert "Travel: 12 km at €0.30 = €3.60" in page
        assert "Total: €33.60" in page
        entry = stored(session, assignment)
        assert (entry.status, entry.version, entry.outcome) == (RecordStatus.SUBMITTED, 1, RecordOutcome.TOOK_PLACE)
        assert (entry.minutes, entry.waiting_minutes, entry.travel_km) == (105, 10, Decimal("12.0"))
        assert session.get(Assignment, assignment.id).status is AssignmentStatus.COMPLETED
        assert f"/records/{entry.id}" in page_text(client.get(f"/assignments/{assignment.id}"))
        assert client.get(f"/assignments/{assignment.id}/record").headers["Location"].endswith(
            f"/records/{entry.id}")  # recorded once; changes go through the record

        client.post("/logout")
        [link] = confirm_links(mails, caseworker.email)
        opened = page_text(client.get(link))
        assert "Amina" in opened and "Aziz" not in opened  # the agency sees the first name
        assert "Alles gut gelaufen" not in opened and "€" not in opened  # no note, no amounts
        assert stored(session, assignment).status is RecordStatus.SUBMITTED  # opening the link confirms nothing
        client.post(link, data={"action": "confirm"})
        entry = stored(session, assignment)
        assert (entry.status, entry.answered_via, entry.answered_by_id) == (RecordStatus.CONFIRMED, "link", None)
        again = client.post(link, data={"action": "dispute", "comment": "Doch nicht"})
        assert again.status_code == 409 and "already been answered" in page_text(again)
        assert stored(session, assignment).status is RecordStatus.CONFIRMED

    def test_a_wrong_end_is_explained_and_the_input_kept(self, client, clock, session, assignment, pool):
        clock.set(assignment.ends_at + HOUR)
        sign_in(client, pool[0].email)
        response = client.post(f"/assignments/{assignment.id}/record",
                               data=record_form(ends="09:05", travel_km="12,5x"))
        page = page_text(response)
        assert response.status_code == 200
        assert 'value="Alles gut gelaufen."' in page or "Alles gut gelaufen." in page
        assert stored(session, assignment) is None

    def test_a_client_who_did_not_come_needs_a_word_and_pays_as_a_late_cancellation(
            self, client, clock, session, assignment, pool):
        clock.set(assignment.ends_at + HOUR)
        sign_in(client, pool[0].email)
        silent = client.post(f"/assignments/{assignment.id}/record", data=record_form(outcome="no_show", note=""))
        assert "Please say what happened" in page_text(silent)
        assert stored(session, assignment) is None
        client.post(f"/assignments/{assignment.id}/record",
                    data=record_form(outcome="no_show", note="Klientin nicht erschienen."))
        entry = stored(session, assignment)
        assert entry.outcome is RecordOutcome.NO_SHOW
        assert session.get(Assignment, assignment.id).status is AssignmentStatus.CANCELLED
        page = page_text(client.get(f"/records/{entry.id}"))
        # 1 h 45 min planned... the rule pays at most 2 h, but no more than the 105 minutes of the record
        assert "Late cancellation or no-show: 1 h 45 min at €15.00 per hour = €26.25" in page


class TestDisputeChangeConfirm:
    def test_a_disputed_record_is_changed_and_the_new_version_confirmed(self, act, client, clock, session,
                                                                        assignment, pool, caseworker,
                                                                        coordinator, mails):
        after = assignment.ends_at + HOUR
        entry = act(records.record, session, pool[0], assignment.id, took_place(assignment, minutes=150), at=after)
        session.commit()
        clock.set(after)
        [first] = confirm_links(mails, caseworker.email)
        refused = client.post(first, data={"action": "dispute", "comment": ""})
        assert "Please say what is not right" in page_text(refused)
        assert stored(session, assignment).status is RecordStatus.SUBMITTED
        client.post(first, data={"action": "dispute", "comment": "Der Termin endete um 10:30."})
        entry = stored(session, assignment)
        assert (entry.status, entry.agency_comment) == (RecordStatus.DISPUTED, "Der Termin endete um 10:30.")
        assert any(m["Subject"].startswith("Record disputed") for m in mails() if m["To"] == coordinator.email)

        # The volunteer corrects it: version 2 goes to the agency, the first link only says so.
        sign_in(client, pool[0].email)
        client.post(f"/records/{entry.id}/edit", data=record_form(starts="09:00", ends="10:30", waiting_minutes="0"))
        entry = stored(session, assignment)
        assert (entry.status, entry.version, entry.minutes) == (RecordStatus.SUBMITTED, 2, 90)
        assert [v.ends_at - v.starts_at for v in entry.versions] == [dt.timedelta(minutes=150),
                                                                    dt.timedelta(minutes=90)]
        client.post("/logout")
        links = confirm_links(mails, caseworker.email)
        assert len(links) == 2 and first in links
        [second] = [link for link in links if link != first]
        assert "changed since" in page_text(client.get(first))
        assert client.post(first, data={"action": "confirm"}).status_code == 409
        client.post(second, data={"action": "confirm"})
        assert stored(session, assignment).status is RecordStatus.CONFIRMED

    def test_a_caseworker_signed_in_confirms_and_others_see_nothing(self, act, client, clock, session, assignment,
                                                                    pool, caseworker, make_agency, make_user,
                                                                    make_office, office):
        after = assignment.ends_at + HOUR
        entry = act(records.record, session, pool[0], assignment.id, took_place(assignment, note="Privat"),
                    at=after)
        session.commit()
        clock.set(after)
        other_agency = make_user(Role.CASEWORKER, agency=make_agency(offices=[office]))
        other_office = make_user(Role.COORDINATOR, office=make_office())
        for outsider in (other_agency, other_office, pool[1]):
            sign_in(client, outsider.email)
            assert client.get(f"/records/{entry.id}").status_code == 404
            assert client.post(f"/records/{entry.id}/answer", data={"action": "confirm"}).status_code in (403, 404)
            client.post("/logout")
        sign_in(client, caseworker.email)
        page = page_text(client.get(f"/records/{entry.id}"))
        assert "Amina" in page and "Aziz" not in page and "Privat" not in page and "€" not in page
        assert f"/records/{entry.id}" in page_text(client.get("/records", query_string={
            "month": entry.starts_at.strftime("%Y-%m")}))
        client.post(f"/records/{entry.id}/answer", data={"action": "confirm"})
        entry = stored(session, assignment)
        assert (entry.status, entry.answered_via, entry.answered_by_id) == (RecordStatus.CONFIRMED, "signed_in",
                                                                            caseworker.id)


class TestTheOfficeDecides:
    def test_only_after_the_deadline_or_a_dispute(self, act, client, clock, session, assignment, pool,
                                                  coordinator):
        after = assignment.ends_at + HOUR
        entry = act(records.record, session, pool[0], assignment.id, took_place(assignment), at=after)
        session.commit()
        deadline = entry.confirm_by
        assert deadline == after + dt.timedelta(days=14)  # the office's setting
        with pytest.raises(DomainError, match="can still answer"):
            act(records.decide, session, coordinator, entry.id, "Bestätigt.", at=deadline)
        session.rollback()
        clock.set(deadline + dt.timedelta(minutes=1))
        sign_in(client, coordinator.email)
        empty = client.post(f"/records/{entry.id}/decide", data={"note": ""}, follow_redirects=True)
        assert "Please note what was decided" in page_text(empty)
        client.post(f"/records/{entry.id}/decide", data={"note": "Telefonisch bestätigt."})
        entry = stored(session, assignment)
        assert (entry.status, entry.office_note) == (RecordStatus.DECIDED, "Telefonisch bestätigt.")
        assert entry.status.is_payable


class TestLateCancellation:
    def test_it_makes_a_confirmed_record_the_volunteer_may_add_travel_to(self, act, client, clock, session,
                                                                         assignment, pool, caseworker,
                                                                         mails, filed):
        act(changes.cancel, session, caseworker, filed.id, "Klient krank", at=assignment.starts_at - 3 * HOUR)
        session.commit()
        entry = stored(session, assignment)
        assert (entry.outcome, entry.status) == (RecordOutcome.LATE_CANCELLED, RecordStatus.CONFIRMED)
        clock.set(assignment.starts_at)
        sign_in(client, pool[0].email)
        page = page_text(client.get(f"/records/{entry.id}"))
        assert "Late cancellation or no-show: 1 h 30 min at €15.00 per hour = €22.50" in page
        client.post(f"/records/{entry.id}/edit", data=record_form(
            outcome="late_cancelled", starts="09:00", ends="10:30", travel_km="20", waiting_minutes="0",
            note="War schon unterwegs."))
        entry = stored(session, assignment)
        assert (entry.status, entry.version) == (RecordStatus.SUBMITTED, 2)  # the agency confirms the travel
        assert len(confirm_links(mails, caseworker.email)) == 1
        assert "Travel: 20 km at €0.30 = €6.00" in page_text(client.get(f"/records/{entry.id}"))

    def test_an_early_cancellation_makes_no_record(self, act, session, assignment, caseworker, filed):
        act(changes.cancel, session, caseworker, filed.id, "Termin entfällt", at=assignment.starts_at - 48 * HOUR)
        session.commit()
        assert stored(session, assignment) is None


class TestRates:
    def test_a_new_rate_applies_from_its_day_and_never_to_a_past_month(self, act, client, clock, session,
                                                                       assignment, pool, coordinator,
                                                                       programme):
        after = assignment.ends_at + HOUR
        entry = act(records.record, session, pool[0], assignment.id, took_place(assignment), at=after)
        session.commit()
        next_month = (after.date().replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        clock.set(dt.datetime.combine(next_month + dt.timedelta(days=2), dt.time(10), dt.timezone.utc))
        sign_in(client, coordinator.email)
        past = client.post(f"/programmes/{programme.id}/rates", data={
            f"rate{programme.id}-valid_from": after.date().isoformat(), f"rate{programme.id}-per_hour": "20",
            f"rate{programme.id}-step_minutes": "30", f"rate{programme.id}-travel": "km"})
        assert "past months stay as they were paid" in page_text(past)
        client.post(f"/programmes/{programme.id}/rates", data={
            f"rate{programme.id}-valid_from": next_month.isoformat(), f"rate{programme.id}-per_hour": "20",
            f"rate{programme.id}-step_minutes": "30", f"rate{programme.id}-travel": "km",
            f"rate{programme.id}-per_km": "0.35"})
        fresh(session)
        assert [r.valid_from for r in session.get(Programme, programme.id).rates] == [dt.date(2000, 1, 1),
                                                                                      next_month]
        page = page_text(client.get(f"/records/{entry.id}"))
        assert "Time: 1 h 30 min at €15.00 per hour = €22.50" in page  # the record's month keeps its rate
        listing = page_text(client.get("/programmes"))
        assert "€20.00 per hour, per started half hour" in listing and "Travel: €0.35 per km" in listing
