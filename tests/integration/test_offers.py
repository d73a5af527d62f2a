"""From request to confirmed assignment: offering, answering, confirming, and the changes after."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from lotsen.assignments import answers, changes, confirming, offering
from lotsen.assignments.loading import OfferError, live_assignment, offers_of
from lotsen.assignments.models import Assignment, AssignmentStatus, DeclineReason, Offer, OfferStatus
from lotsen.audit.models import AuditEvent
from lotsen.auth.models import Role
from lotsen.reminders.worker import tick
from lotsen.requests.lifecycle import RequestStatus
from lotsen.requests.models import HelpRequest
from lotsen.volunteers.models import Mode, VolunteerProfile
from tests.builders import add_language, add_window, make_request, ready
from tests.conftest import mail_body, sign_in

BERLIN = ZoneInfo("Europe/Berlin")


def monday_9() -> dt.datetime:
    """09:00 Berlin on the Monday after next (well beyond any lead time)."""
    today = dt.datetime.now(BERLIN).date()
    day = today + dt.timedelta(days=((7 - today.weekday()) % 7 or 7) + 7)
    return dt.datetime.combine(day, dt.time(9), BERLIN).astimezone(dt.timezone.utc)


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@pytest.fixture
def office(make_office):
    return make_office(name="Kreis Offenbach")


@pytest.fixture
def agency(make_agency, office):
    return make_agency(offices=[office], email="team@jobcenter.example")


@pytest.fixture
def coordinator(make_user, office):
    return make_user(Role.COORDINATOR, office=office, name="Carla Coordinator")


@pytest.fixture
def caseworker(make_user, agency):
    return make_user(Role.CASEWORKER, agency=agency, name="Kai Caseworker")


@pytest.fixture
def pool(session, make_user, office):
    """Three volunteers who can all take a Monday-morning Arabic request; Amina lives nearest."""
    people = []
    for name, postcode, lat, lon in [("Amina Aziz", "63128", 50.0098, 8.7778),
                                     ("Bilal Bakr", "63110", 50.0263, 8.8859),
                                     ("Dana Darwish", "63263", 50.0533, 8.6964)]:
        user = make_user(Role.VOLUNTEER, office=office, name=name,
                         profile=ready(postcode=postcode, latitude=lat, longitude=lon, phone="0170 1234567"))
        add_language(session, user)
        add_window(session, user, weekday=0, starts="07:00", ends="14:00")
        people.append(user)
    session.commit()
    return people


@pytest.fixture
def filed(session, office, agency, caseworker, pool):
    found = make_request(session, office, agency, starts=monday_9())
    found.created_by_id = caseworker.id
    found.street, found.town = "Berliner Straße 60", "Dietzenbach"
    session.commit()
    return found


def offer_links(messages) -> list[str]:
    return [m for message in messages for m in re.findall(r"http://lotsen\.test(/answer/\S+)", mail_body(message))]


def fresh(session) -> None:
    """See what requests and ticks committed: end the test's read transaction and forget loaded rows."""
    session.rollback()
    session.expire_all()


def status_of(session, model, ident):
    fresh(session)
    return session.get(model, ident).status


class TestTheShortPath:
    def test_dashboard_offer_accept_by_mail_link_confirm_in_three_coordinator_actions(
            self, app, client, session, coordinator, caseworker, filed, pool, mails):
        sign_in(client, coordinator.email)
        dashboard = client.get("/coordination/").get_data(as_text=True)  # action 1: open the dashboard
        assert f"/requests/{filed.id}" in dashboard and "Ask the best candidate" in dashboard
        response = client.post(f"/requests/{filed.id}/offer-best", data={"next": "dashboard"})  # action 2
        assert response.status_code == 302 and response.headers["Location"].endswith("/coordination/")
        offer = session.scalar(select(Offer).where(Offer.request_id == filed.id))
        assert offer.volunteer_id == pool[0].id and offer.status is OfferStatus.OPEN
        assert status_of(session, HelpRequest, filed.id) is RequestStatus.OFFERED

        [link] = offer_links(mails())
        volunteer = app.test_client()  # the volunteer's phone, not signed in
        page = volunteer.get(link).get_data(as_text=True)
        assert "Berliner Straße 60" in page and "Yes, I will take it" in page
        assert status_of(session, Offer, offer.id) is OfferStatus.OPEN  # opening the link changes nothing
        page = volunteer.post(link, data={"action": "accept"}).get_data(as_text=True)
        assert "The office will confirm shortly" in page
        assert status_of(session, HelpRequest, filed.id) is RequestStatus.ACCEPTED
        assert any("Please confirm: Amina Aziz" in m["Subject"] for m in mails())

        dashboard = client.get("/coordination/").get_data(as_text=True)
        assert "Confirm Amina Aziz" in dashboard
        assert client.post(f"/offers/{offer.id}/confirm").status_code == 302  # action 3
        assert status_of(session, HelpRequest, filed.id) is RequestStatus.CONFIRMED
        assignment = session.scalar(select(Assignment).where(Assignment.request_id == filed.id))
        assert (assignment.volunteer_id, assignment.status) == (pool[0].id, AssignmentStatus.CONFIRMED)

        to_agency = [m for m in mails() if m["To"] == caseworker.email]
        assert len(to_agency) == 1 and "Amina, phone 0170 1234567" in mail_body(to_agency[0])
        assert "Aziz" not in mail_body(to_agency[0])  # the agency learns the first name only
        assert any(m["To"] == pool[0].email and "Confirmed" in m["Subject"] for m in mails())

    def test_the_caseworker_sees_first_name_and_phone_only_once_confirmed(self, act, app, client, session, coordinator,
                                                                           caseworker, filed, pool):
        sign_in(client, caseworker.email)
        assert "Amina" not in client.get(f"/requests/{filed.id}").get_data(as_text=True)
        offer, = act(offering.make_offers, session, coordinator, filed.id, [pool[0].id])
        act(answers.accept, session, pool[0], offer.id)
        session.commit()
        assert "Amina" not in client.get(f"/requests/{filed.id}").get_data(as_text=True)
        act(confirming.confirm, session, coordinator, offer.id)
        session.commit()
        page = client.get(f"/requests/{filed.id}").get_data(as_text=True)
        assert "Amina" in page and "0170 1234567" in page and "Aziz" not in page

    def test_auto_confirm_setting_confirms_the_first_acceptance(self, act, session, office, coordinator, filed, pool,
                                                                mails):
        office.settings = {**office.settings, "auto_confirm": True}
        session.commit()
        offer, = act(offering.make_offers, session, coordinator, filed.id, [pool[1].id])
        answer = act(answers.accept, session, pool[1], offer.id)
        session.commit()
        assert answer.outcome == "confirmed"
        assert status_of(session, HelpRequest, filed.id) is RequestStatus.CONFIRMED
        history = [e.action for e in session.get(HelpRequest, filed.id).events]
        assert history == ["create", "offer", "accept", "confirm"]


class TestBroadcastAndAnswers:
    def test_the_second_to_accept_is_told_it_is_taken(self, act, session, coordinator, filed, pool, mails):
        offers = act(offering.make_offers, session, coordinator, filed.id, [p.id for p in pool])
        session.commit()
        assert len(offer_links(mails())) == 3
        assert act(answers.accept, session, pool[2], offers[2].id).outcome == "accepted"
        session.commit()
        assert act(answers.accept, session, pool[0], offers[0].id).outcome == "taken"
        session.commit()
        act(confirming.confirm, session, coordinator, offers[2].id)
        session.commit()
        assert [status_of(session, Offer, o.id) for o in offers] == [
            OfferStatus.TAKEN, OfferStatus.TAKEN, OfferStatus.CONFIRMED]
        assert any(m["To"] == pool[1].email and "No longer needed" in m["Subject"] for m in mails())

    def test_a_decline_holds_until_time_or_place_change(self, act, session, coordinator, filed, pool):
        offer, = act(offering.make_offers, session, coordinator, filed.id, [pool[0].id])
        act(answers.decline, session, pool[0], offer.id, DeclineReason.NOT_AVAILABLE)
        session.commit()
        assert status_of(session, HelpRequest, filed.id) is RequestStatus.OPEN  # nobody left waiting
        assert [e.action for e in session.get(HelpRequest, filed.id).events] == ["create", "offer", "decline",
                                                                                 "reopen"]
        with pytest.raises(OfferError, match="declined this very time"):
            act(offering.make_offers, session, coordinator, filed.id, [pool[0].id])
        fresh(session)
        assert pool[0].id not in act(offering.next_candidates, session, coordinator, filed, 3)
        filed.starts_at += dt.timedelta(hours=1)
        filed.ends_at += dt.timedelta(hours=1)
        session.commit()
        again, = act(offering.make_offers, session, coordinator, filed.id, [pool[0].id])
        assert again.status is OfferStatus.OPEN

    def test_used_expired_and_forged_links_explain_themselves(self, act, app, session, coordinator, filed, pool, mails):
        offer, = act(offering.make_offers, session, coordinator, filed.id, [pool[0].id])
        session.commit()
        [link] = offer_links(mails())
        phone = app.test_client()
        assert phone.post(link, data={"action": "decline", "reason": "too_far"}).status_code == 200
        assert session.get(Offer, offer.id).decline_reason is DeclineReason.TOO_FAR
        again = phone.post(link, data={"action": "accept"})
        assert again.status_code == 409 and "already declined" in again.get_data(as_text=True)
        assert "already declined" in phone.get(link).get_data(as_text=True)
        forged = phone.get(link[:-3] + "xyz")
        assert forged.status_code == 400 and "not valid" in forged.get_data(as_text=True)

        later, = act(offering.make_offers, session, coordinator, filed.id, [pool[1].id], at=now() - dt.timedelta(days=3))
        session.commit()
        late_link = offer_links(mails())[-1]
        answer = phone.post(late_link, data={"action": "accept"})
        assert answer.status_code == 409 and "expired" in answer.get_data(as_text=True)
        assert status_of(session, Offer, later.id) is OfferStatus.OPEN  # the worker marks it, not a refused answer

    def test_a_near_miss_is_asked_only_with_a_reason(self, act, session, make_user, office, coordinator, filed):
        stretch = make_user(Role.VOLUNTEER, office=office, name="Sara Stretch", profile=ready())
        add_language(session, stretch)
        add_window(session, stretch, weekday=0, starts="09:15", ends="14:00")  # 15 min late
        session.commit()
        with pytest.raises(OfferError, match="near miss"):
            act(offering.make_offers, session, coordinator, filed.id, [stretch.id])
        fresh(session)
        offer, = act(offering.make_offers, session, coordinator, filed.id, [stretch.id],
                     note="She can come 15 minutes early, agreed by phone.")
        assert offer.near_miss == "unavailable" and offer.override_note.startswith("She can come")

    def test_someone_who_cannot_take_it_is_refused_with_the_reason(self, act, session, make_user, office, coordinator,
                                                                   filed):
        paused = make_user(Role.VOLUNTEER, office=office, name="Paul Paused", profile=ready(is_paused=True))
        add_language(session, paused)
        add_window(session, paused)
        session.commit()
        with pytest.raises(OfferError, match="Paul Paused cannot take this request"):
            act(offering.make_offers, session, coordinator, filed.id, [paused.id],
                                 note="anyway")

    def test_the_volunteer_answers_on_their_start_page(self, act, client, session, coordinator, filed, pool):
        offer, = act(offering.make_offers, session, coordinator, filed.id, [pool[1].id])
        session.commit()
        sign_in(client, pool[1].email)
        home = client.get("/start").get_data(as_text=True)
        assert f"/offers/{offer.id}" in home and "Dietzenbach" in home
        page = client.post(f"/offers/{offer.id}", data={"action": "accept"}).get_data(as_text=True)
        assert "The office will confirm shortly" in page
        other = client.get(f"/offers/{offer.id + 1000}")
        assert other.status_code == 404


class TestWavesAndExpiry:
    def test_waves_ask_the_next_candidates_until_someone_accepts(self, act, app, session, coordinator, filed, pool):
        start = now()
        act(offering.offer_in_waves, session, coordinator, filed.id, size=1, interval_minutes=60, at=start)
        session.commit()
        asked = lambda: [o.volunteer_id for o in offers_of(session, session.get(HelpRequest, filed.id))]  # noqa: E731
        assert asked() == [pool[0].id]
        assert tick(app, now=start + dt.timedelta(minutes=30))["advance_waves"] == 0
        assert tick(app, now=start + dt.timedelta(minutes=61))["advance_waves"] == 1
        fresh(session)
        assert asked() == [pool[0].id, pool[2].id]  # Dana lives nearer than Bilal
        second = offers_of(session, session.get(HelpRequest, filed.id))[1]
        act(answers.accept, session, pool[2], second.id, at=start + dt.timedelta(minutes=70))
        session.commit()
        assert tick(app, now=start + dt.timedelta(minutes=200))["advance_waves"] == 0  # accepted: nobody more
        fresh(session)
        assert asked() == [pool[0].id, pool[2].id]
        act(confirming.confirm, session, coordinator, second.id, at=start + dt.timedelta(minutes=201))
        session.commit()
        fresh(session)
        assert session.get(HelpRequest, filed.id).next_wave_at is None

    def test_a_wave_that_all_declined_moves_on_at_the_next_tick(self, act, app, session, coordinator, filed, pool):
        start = now()
        first, = act(offering.offer_in_waves, session, coordinator, filed.id, size=1, interval_minutes=600, at=start)
        act(answers.decline, session, pool[0], first.id, None, at=start + dt.timedelta(minutes=1))
        session.commit()
        tick(app, now=start + dt.timedelta(minutes=2))
        fresh(session)
        assert [o.volunteer_id for o in offers_of(session, session.get(HelpRequest, filed.id))] == [
            pool[0].id, pool[2].id]

    def test_unanswered_offers_expire_and_the_request_reopens(self, act, app, session, coordinator, filed, pool, mails):
        start = now()
        offer, = act(offering.make_offers, session, coordinator, filed.id, [pool[0].id], at=start)
        session.commit()
        tick(app, now=offer.expires_at - dt.timedelta(seconds=1))
        assert status_of(session, Offer, offer.id) is OfferStatus.OPEN
        assert tick(app, now=offer.expires_at)["expire_offers"] == 1
        assert status_of(session, Offer, offer.id) is OfferStatus.EXPIRED
        assert status_of(session, HelpRequest, filed.id) is RequestStatus.OPEN
        assert any(m["To"] == coordinator.email and "expired unanswered" in m["Subject"] for m in mails())
        assert tick(app, now=offer.expires_at + dt.timedelta(minutes=5))["expire_offers"] == 0


class TestChanges:
    def _confirmed(self, act, session, coordinator, filed, volunteer) -> Assignment:
        offer, = act(offering.make_offers, session, coordinator, filed.id, [volunteer.id])
        act(answers.accept, session, volunteer, offer.id)
        assignment = act(confirming.confirm, session, coordinator, offer.id)
        session.commit()
        return assignment

    def test_the_agency_cancels_and_the_volunteer_is_told(self, act, client, session, coordinator, caseworker, filed,
                                                          pool, mails):
        assignment = self._confirmed(act, session, coordinator, filed, pool[0])
        sign_in(client, caseworker.email)
        client.post(f"/requests/{filed.id}/cancel", data={"reason": "Termin verschoben"})
        assert status_of(session, HelpRequest, filed.id) is RequestStatus.CANCELLED
        assert status_of(session, Assignment, assignment.id) is AssignmentStatus.CANCELLED
        assert any(m["To"] == pool[0].email and "Cancelled" in m["Subject"] for m in mails())

    def test_a_late_cancellation_is_marked_on_the_assignment(self, act, session, coordinator, caseworker, filed, pool):
        assignment = self._confirmed(act, session, coordinator, filed, pool[0])
        act(changes.cancel, session, caseworker, filed.id, "krank", at=filed.starts_at - dt.timedelta(hours=3))
        session.commit()
        assert session.get(Assignment, assignment.id).ended_late is True

    def test_the_volunteer_withdraws_and_the_coordinator_gets_the_next_candidates(
            self, act, client, session, coordinator, caseworker, filed, pool, mails):
        assignment = self._confirmed(act, session, coordinator, filed, pool[0])
        sign_in(client, pool[0].email)
        assert f"/assignments/{assignment.id}/withdraw" in client.get("/start").get_data(as_text=True)
        empty = client.post(f"/assignments/{assignment.id}/withdraw", data={"reason": ""})
        assert "Please fill in this field" in empty.get_data(as_text=True)
        assert status_of(session, Assignment, assignment.id) is AssignmentStatus.CONFIRMED
        client.post(f"/assignments/{assignment.id}/withdraw", data={"reason": "Mein Kind ist krank."})
        assert status_of(session, Assignment, assignment.id) is AssignmentStatus.WITHDRAWN
        assert status_of(session, HelpRequest, filed.id) is RequestStatus.OPEN
        [alert] = [m for m in mails() if m["To"] == coordinator.email and "stepped back" in m["Subject"]]
        body = mail_body(alert)
        assert "Bilal Bakr" in body and "Dana Darwish" in body and "- Amina" not in body
        assert any(m["To"] == caseworker.email and "another volunteer" in m["Subject"] for m in mails())
        assert session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "assignment.withdrawn", AuditEvent.actor_id == pool[0].id)) == 1

    def test_the_coordinator_reassigns(self, act, client, session, coordinator, filed, pool, mails):
        self._confirmed(act, session, coordinator, filed, pool[0])
        sign_in(client, coordinator.email)
        form = client.get(f"/requests/{filed.id}/reassign").get_data(as_text=True)
        assert "Bilal Bakr" in form and f'value="{pool[0].id}"' not in form
        client.post(f"/requests/{filed.id}/reassign", data={"volunteer_id": pool[1].id, "note": "Amina ist krank"})
        live = live_assignment(session, session.get(HelpRequest, filed.id))
        assert live.volunteer_id == pool[1].id
        statuses = session.scalars(select(Assignment.status).where(Assignment.request_id == filed.id)
                                   .order_by(Assignment.id)).all()
        assert statuses == [AssignmentStatus.REASSIGNED, AssignmentStatus.CONFIRMED]
        assert session.get(HelpRequest, filed.id).events[-1].action == "reassign"
        assert any(m["To"] == pool[0].email and "Cancelled" in m["Subject"] for m in mails())


class TestWhoMay:
    def test_another_office_cannot_touch_the_offers(self, act, app, session, make_office, make_user, coordinator,
                                                    filed, pool):
        offer, = act(offering.make_offers, session, coordinator, filed.id, [pool[0].id])
        act(answers.accept, session, pool[0], offer.id)
        session.commit()
        stranger = make_user(Role.COORDINATOR, office=make_office(name="Stadt B"))
        other = app.test_client()
        sign_in(other, stranger.email)
        assert other.post(f"/offers/{offer.id}/confirm").status_code == 404
        assert other.post(f"/requests/{filed.id}/offer-best").status_code == 404
        assert f"/requests/{filed.id}" not in other.get("/coordination/").get_data(as_text=True)
        assert status_of(session, HelpRequest, filed.id) is RequestStatus.ACCEPTED

    def test_a_volunteer_cannot_answer_someone_elses_offer(self, act, client, session, coordinator, filed, pool):
        offer, = act(offering.make_offers, session, coordinator, filed.id, [pool[0].id])
        session.commit()
        sign_in(client, pool[1].email)
        assert client.post(f"/offers/{offer.id}", data={"action": "accept"}).status_code == 404
        assert status_of(session, Offer, offer.id) is OfferStatus.OPEN

    def test_phone_requests_can_be_offered_to_anyone_in_the_pool(self, act, session, office, agency, coordinator, pool):
        phone = make_request(session, office, agency, mode=Mode.PHONE, starts=monday_9())
        for profile in session.scalars(select(VolunteerProfile)):
            profile.by_phone = True
        session.commit()
        offers = act(offering.make_offers, session, coordinator, phone.id, [p.id for p in pool])
        assert all(o.distance_km is None for o in offers)
