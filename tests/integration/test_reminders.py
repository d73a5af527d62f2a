"""Reminders fire once at their time; cancelled ones never; calendar entries; preferences; recording afterwards."""

import datetime as dt

import pytest
from icalendar import Calendar
from sqlalchemy import select

from lotsen.assignments import changes, offering
from lotsen.assignments.models import Assignment, AssignmentStatus
from lotsen.billing import records
from lotsen.notifications.models import OutboxMessage, OutboxStatus
from lotsen.reminders.worker import tick
from lotsen.requests.lifecycle import RequestStatus
from lotsen.requests.models import HelpRequest
from lotsen.volunteers.models import VolunteerProfile
from tests.builders import confirmed, took_place
from tests.conftest import mail_body, sign_in
from tests.integration.test_offers import (agency, caseworker, coordinator, filed, fresh, now,  # noqa: F401
                                           office, pool)

HOUR = dt.timedelta(hours=1)


def subjects_to(mails, address) -> list[str]:
    return [m["Subject"] for m in mails() if m["To"] == address]


def reminders_to(mails, address) -> list[str]:
    return [s for s in subjects_to(mails, address) if s.startswith(("Reminder", "How did it go"))]


class TestBeforeAndAfter:
    def test_each_reminder_fires_once_at_its_time(self, act, app, session, coordinator, filed, pool, mails):
        amina = pool[0]
        assignment = confirmed(act, session, coordinator, filed, amina)
        start, end = assignment.starts_at, assignment.ends_at
        assert reminders_to(mails, amina.email) == []
        tick(app, now=start - 24 * HOUR - dt.timedelta(seconds=1))
        assert reminders_to(mails, amina.email) == []
        tick(app, now=start - 24 * HOUR)
        tick(app, now=start - 23 * HOUR)  # and again: nothing more
        assert len(reminders_to(mails, amina.email)) == 1
        tick(app, now=start - 2 * HOUR)
        tick(app, now=start - 2 * HOUR + dt.timedelta(minutes=1))
        assert len(reminders_to(mails, amina.email)) == 2
        tick(app, now=end + dt.timedelta(minutes=59))
        assert len(reminders_to(mails, amina.email)) == 2
        tick(app, now=end + HOUR)
        tick(app, now=end + 2 * HOUR)
        subjects = reminders_to(mails, amina.email)
        assert len(subjects) == 3 and subjects[-1].startswith("How did it go")
        assert "your assignment begins in 24 hours" in mail_body(
            [m for m in mails() if m["Subject"].startswith("Reminder")][0])

    def test_a_cancelled_assignment_sends_no_reminder(self, act, app, session, coordinator, caseworker, filed,
                                                      pool, mails):
        assignment = confirmed(act, session, coordinator, filed, pool[0])
        act(changes.cancel, session, caseworker, filed.id, "Termin entfällt")
        session.commit()
        for moment in (assignment.starts_at - 24 * HOUR, assignment.starts_at - 2 * HOUR,
                       assignment.ends_at + 2 * HOUR):
            tick(app, now=moment)
        assert reminders_to(mails, pool[0].email) == []
        statuses = session.scalars(select(OutboxMessage.status).where(
            OutboxMessage.subject == f"assignment:{assignment.id}")).all()
        assert statuses and set(statuses) == {OutboxStatus.CANCELLED}

    def test_a_withdrawn_assignment_sends_no_reminder(self, act, app, session, coordinator, filed, pool, mails):
        assignment = confirmed(act, session, coordinator, filed, pool[0])
        act(changes.step_back, session, pool[0], assignment.id, "krank")
        session.commit()
        tick(app, now=assignment.starts_at - 2 * HOUR)
        assert reminders_to(mails, pool[0].email) == []

    def test_opting_out_of_reminders_keeps_confirmations(self, act, app, client, session, coordinator, filed,
                                                         pool, mails):
        sign_in(client, pool[0].email)
        page = client.get("/account/notifications").get_data(as_text=True)
        assert "Reminders before an assignment" in page
        client.post("/account/notifications", data={"wanted": ["offers", "availability"]})
        fresh(session)
        assert session.get(type(pool[0]), pool[0].id).mail_opt_out == ["reminders"]
        assignment = confirmed(act, session, coordinator, filed, session.get(type(pool[0]), pool[0].id))
        tick(app, now=assignment.starts_at - 2 * HOUR)
        assert reminders_to(mails, pool[0].email) == []
        assert any(s.startswith("Confirmed") for s in subjects_to(mails, pool[0].email))


class TestCalendar:
    def test_confirmation_and_cancellation_carry_the_same_calendar_entry(self, act, session, coordinator,
                                                                         caseworker, filed, pool, mails):
        assignment = confirmed(act, session, coordinator, filed, pool[0])
        act(changes.cancel, session, caseworker, filed.id, "Termin entfällt")
        session.commit()
        entries = {}
        for message in mails():
            for part in message.iter_attachments():
                if part.get_content_type() == "text/calendar":
                    calendar = Calendar.from_ical(part.get_content())
                    event = calendar.walk("VEVENT")[0]
                    entries[str(calendar["METHOD"])] = (str(event["UID"]), event.decoded("DTSTART"))
        assert set(entries) == {"REQUEST", "CANCEL"}
        assert entries["REQUEST"][0] == entries["CANCEL"][0] == f"assignment-{assignment.id}@lotsen.test"
        assert entries["REQUEST"][1] == assignment.starts_at

    def test_the_private_feed_lists_assignments_until_the_link_is_revoked(self, act, app, client, session,
                                                                          coordinator, filed, pool):
        assignment = confirmed(act, session, coordinator, filed, pool[0])
        sign_in(client, pool[0].email)
        client.post("/account/calendar", data={"action": "create"})
        fresh(session)
        token = session.get(type(pool[0]), pool[0].id).calendar_token
        assert token and token in client.get("/account/notifications").get_data(as_text=True)
        feed = app.test_client().get(f"/calendar/{token}.ics")
        assert feed.status_code == 200 and feed.mimetype == "text/calendar"
        assert f"assignment-{assignment.id}@lotsen.test" in feed.get_data(as_text=True)
        client.post("/account/calendar", data={"action": "revoke"})
        assert app.test_client().get(f"/calendar/{token}.ics").status_code == 404


class TestJobs:
    def test_coordinators_hear_once_of_a_request_unfilled_shortly_before(self, app, session, coordinator, filed,
                                                                         mails):
        tick(app, now=filed.starts_at - 49 * HOUR)
        assert not [s for s in subjects_to(mails, coordinator.email) if s.startswith("Unfilled")]
        tick(app, now=filed.starts_at - 47 * HOUR)
        tick(app, now=filed.starts_at - 30 * HOUR)
        assert len([s for s in subjects_to(mails, coordinator.email) if s.startswith("Unfilled")]) == 1

    @pytest.mark.now(dt.datetime(2031, 2, 27, 12, 0, tzinfo=dt.timezone.utc))  # the pool joins two days before
    def test_volunteers_are_asked_monthly_to_check_their_availability(self, app, session, pool, mails):
        first = dt.datetime(2031, 3, 1, 8, 0, tzinfo=dt.timezone.utc)  # 09:00 in Berlin
        tick(app, now=first)
        tick(app, now=first + dt.timedelta(days=3))
        asked = lambda: [m["To"] for m in mails() if m["Subject"] == "Are your times still right?"]  # noqa: E731
        assert sorted(asked()) == sorted(p.email for p in pool)
        tick(app, now=first + dt.timedelta(days=31))
        assert len(asked()) == 2 * len(pool)

    @pytest.mark.now(dt.datetime(2031, 5, 4, 11, 0, tzinfo=dt.timezone.utc))  # the pool's certificates are fresh then
    def test_coordinators_hear_once_of_an_expiring_certificate(self, app, session, office, coordinator, pool,
                                                               mails):
        today = dt.date(2031, 5, 4)
        profile = session.get(VolunteerProfile, pool[1].id)
        profile.certificate_checked_on = dt.date(2026, 5, 20)  # valid 5 years: expires 2031-05-20
        session.commit()
        moment = dt.datetime.combine(today, dt.time(12), dt.timezone.utc)
        tick(app, now=moment)
        tick(app, now=moment + HOUR)
        warned = [m for m in mails() if m["Subject"].startswith("Certificate of conduct expires")]
        assert [m["Subject"] for m in warned] == ["Certificate of conduct expires: Bilal Bakr"]


class TestRecording:
    def test_the_volunteer_records_time_and_travel_and_the_request_completes(self, act, client, session,
                                                                              coordinator, filed, pool):
        assignment = confirmed(act, session, coordinator, filed, pool[0])
        sign_in(client, pool[0].email)
        early = client.post(f"/assignments/{assignment.id}/record",
                            data={"outcome": "took_place", "starts": "09:00", "ends": "10:30", "mode": "on_site"})
        assert "once it has begun" in early.get_data(as_text=True)
        act(records.record, session, pool[0], assignment.id, took_place(assignment, minutes=105, travel_km=12.5),
            at=assignment.ends_at + HOUR)
        session.commit()
        fresh(session)
        done = session.get(Assignment, assignment.id)
        assert (done.status, done.actual_minutes, done.travel_km) == (AssignmentStatus.COMPLETED, 105, 12.5)
        assert session.get(HelpRequest, filed.id).status is RequestStatus.COMPLETED

    def test_another_volunteer_cannot_record_it(self, act, client, session, coordinator, filed, pool):
        assignment = confirmed(act, session, coordinator, filed, pool[0])
        sign_in(client, pool[1].email)
        assert client.get(f"/assignments/{assignment.id}/record").status_code == 404


class TestFailedMail:
    @pytest.fixture
    def app_overrides(self):
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": 9, "MAIL_STARTTLS": False}  # nothing listens there

    def test_failed_mail_shows_to_the_office_and_can_be_sent_again(self, act, app, client, session, coordinator,
                                                                    filed, pool):
        offer, = act(offering.make_offers, session, coordinator, filed.id, [pool[0].id])
        session.commit()
        moment = now()
        for attempt in range(8):
            tick(app, now=moment)
            moment += dt.timedelta(hours=2)
        fresh(session)
        row = session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "assignments/offer"))
        assert row.status is OutboxStatus.FAILED and "Connection" in row.last_error
        sign_in(client, coordinator.email)
        page = client.get("/outbox/").get_data(as_text=True)
        assert pool[0].email in page and "Send again" in page
        client.post(f"/outbox/{row.id}/retry")
        fresh(session)
        assert session.get(OutboxMessage, row.id).status is OutboxStatus.PENDING
