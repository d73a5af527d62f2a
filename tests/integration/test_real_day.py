"""The paths a real day takes off the happy path: step back and refill, requests taken by phone, urgent requests,
"cannot be filled", waves that run out, what mails and pages say, volunteers who leave, double submits."""

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from lotsen.assignments import answers, changes, confirming, offering
from lotsen.assignments.lifecycle import AssignmentStatus, OfferStatus
from lotsen.assignments.loading import OfferError, live_assignment, offers_of
from lotsen.assignments.models import Assignment, Offer
from lotsen.auth.models import Role
from lotsen.billing import records
from lotsen.errors import DomainError
from lotsen.offices.models import Office
from lotsen.reminders.worker import tick
from lotsen.requests.lifecycle import RequestStatus, UnfilledReason
from lotsen.requests.models import HelpRequest
from lotsen.volunteers.models import VolunteerProfile
from tests.builders import confirmed, make_request, took_place
from tests.conftest import mail_body, sign_in
from tests.integration.test_offers import (agency, caseworker, coordinator, filed, fresh, monday_9,  # noqa: F401
                                           now, offer_links, office, pool, status_of)
from tests.integration.test_requests import page_text, request_form
from tests.timing import BERLIN, berlin

HOUR = dt.timedelta(hours=1)


def mails_to(mails, address) -> list:
    return [m for m in mails() if m["To"] == address]


class TestRefillAfterAStepBack:
    def test_everyone_who_can_take_it_may_be_asked_again_and_the_round_starts_afresh(
            self, act, app, client, session, coordinator, caseworker, filed, pool, mails):
        amina, bilal, dana = pool
        offers = act(offering.make_offers, session, coordinator, filed.id, [p.id for p in pool])
        assert act(answers.accept, session, dana, offers[2].id).outcome == "accepted"
        assert act(answers.accept, session, amina, offers[0].id).outcome == "taken"  # too late
        assignment = act(confirming.confirm, session, coordinator, offers[2].id)
        session.commit()

        sign_in(client, dana.email)
        client.post(f"/assignments/{assignment.id}/withdraw", data={"reason": "Mein Kind ist krank."})
        fresh(session)
        request = session.get(HelpRequest, filed.id)
        assert (request.status, request.round) == (RequestStatus.OPEN, 2)
        assert session.get(Assignment, assignment.id).status is AssignmentStatus.WITHDRAWN
        [alert] = [m for m in mails_to(mails, coordinator.email) if "stepped back" in m["Subject"]]
        assert "Amina Aziz" in mail_body(alert) and "Bilal Bakr" in mail_body(alert)  # the too-late one too
        assert "- Dana" not in mail_body(alert)

        office_client = app.test_client()
        sign_in(office_client, coordinator.email)
        page = page_text(office_client.get(f"/requests/{filed.id}/candidates"))
        for volunteer in pool:
            assert f'name="volunteer_ids" value="{volunteer.id}"' in page  # all three can be ticked
        assert "stepped back from this date" in page
        shown = page_text(office_client.get(f"/requests/{filed.id}"))
        assert "Stepped back" in shown and "Taken by someone else" in shown
        assert "Accepted, awaiting confirmation" not in shown  # Dana is not listed as accepted

        best, = act(offering.offer_best, session, coordinator, filed.id)
        session.commit()
        assert (best.volunteer_id, best.round, best.wave) == (amina.id, 2, 1)
        with pytest.raises(OfferError, match="stepped back from this very date"):
            act(offering.make_offers, session, coordinator, filed.id, [dana.id])
        fresh(session)
        again, = act(offering.make_offers, session, coordinator, filed.id, [dana.id],
                     note="Sie hat angerufen: es geht doch.")
        session.commit()
        assert again.round == 2 and "stepped_back" in again.near_miss

        # The second round ends like the first: someone accepts and is confirmed; the other offer closes.
        act(answers.accept, session, amina, best.id)
        second = act(confirming.confirm, session, coordinator, best.id)
        session.commit()
        assert status_of(session, Offer, again.id) is OfferStatus.TAKEN
        assert live_assignment(session, session.get(HelpRequest, filed.id)).id == second.id
        # ... and a third round after another step-back asks Bilal first, who was never confirmed.
        act(changes.step_back, session, amina, second.id, "Verkehrsunfall")
        session.commit()
        fresh(session)
        assert session.get(HelpRequest, filed.id).round == 3
        assert act(offering.next_candidates, session, coordinator, session.get(HelpRequest, filed.id), 3) == [bilal.id]

    def test_waves_start_afresh_after_a_step_back(self, act, app, session, coordinator, filed, pool):
        first, = act(offering.offer_in_waves, session, coordinator, filed.id, size=1, interval_minutes=60)
        act(answers.accept, session, pool[0], first.id)
        assignment = act(confirming.confirm, session, coordinator, first.id)
        act(changes.step_back, session, pool[0], assignment.id, "krank")
        session.commit()
        fresh(session)
        assert session.get(HelpRequest, filed.id).next_wave_at is None  # the old waves stopped
        start = now()
        offers = act(offering.offer_in_waves, session, coordinator, filed.id, size=2, interval_minutes=30, at=start)
        session.commit()
        assert [(o.round, o.wave) for o in offers] == [(2, 1), (2, 1)]
        assert pool[0].id not in {o.volunteer_id for o in offers}  # asked again only on purpose


class TestRequestsTakenByPhone:
    def test_the_caseworker_named_hears_of_the_confirmation_not_the_coordinator(
            self, act, client, session, office, agency, coordinator, caseworker, pool, mails):
        sign_in(client, coordinator.email)
        day = monday_9().astimezone(BERLIN).date()
        form = page_text(client.get("/requests/new"))
        assert f"{caseworker.name} – {agency.name}" in form
        response = client.post("/requests/new", data=request_form(
            day=day.isoformat(), start="09:00", postcode="63128", town="Dietzenbach", agency_id=str(agency.id),
            inform_user_id=str(caseworker.id)))
        assert response.status_code == 302, page_text(response)
        request = session.scalar(select(HelpRequest))
        assert request.inform_user_id == caseworker.id and request.created_by_id == coordinator.id
        confirmed(act, session, coordinator, request, pool[0])
        assert [m["Subject"] for m in mails_to(mails, caseworker.email)] == [
            f"Volunteer confirmed for request no. {request.id}"]
        assert not [m for m in mails_to(mails, coordinator.email) if "Volunteer confirmed" in m["Subject"]]

    def test_a_contact_without_an_account_hears_of_confirmation_change_and_cancellation(
            self, act, client, session, office, agency, coordinator, pool, mails):
        sign_in(client, coordinator.email)
        day = monday_9().astimezone(BERLIN).date()
        missing = client.post("/requests/new", data=request_form(day=day.isoformat(), agency_id=str(agency.id)))
        assert "Name the person at the agency to inform" in page_text(missing)
        assert session.scalar(select(func.count(HelpRequest.id))) == 0
        client.post("/requests/new", data=request_form(
            day=day.isoformat(), start="09:00", postcode="63128", town="Dietzenbach", agency_id=str(agency.id),
            inform_name="Petra Schulz", inform_email="Petra.Schulz@Jobcenter.example", inform_phone="06074 1234"))
        request = session.scalar(select(HelpRequest))
        assert "Petra Schulz, petra.schulz@jobcenter.example, 06074 1234" in re.sub(r"<[^>]+>", "", page_text(
            client.get(f"/requests/{request.id}")))  # as read: each item isolated for right to left
        client.post(f"/requests/{request.id}/edit", data=request_form(
            day=day.isoformat(), start="09:30", postcode="63128", town="Dietzenbach", inform_name="Petra Schulz",
            inform_email="petra.schulz@jobcenter.example"))
        fresh(session)
        request = session.get(HelpRequest, request.id)
        confirmed(act, session, coordinator, request, pool[0])
        client.post(f"/requests/{request.id}/cancel", data={"reason": "Frau Schulz hat abgesagt"})
        subjects = [m["Subject"] for m in mails_to(mails, "petra.schulz@jobcenter.example")]  # she reads German
        assert subjects == [f"Anfrage Nr. {request.id} wurde geändert",
                            f"Ehrenamtliche Person für Anfrage Nr. {request.id} bestätigt",
                            f"Anfrage Nr. {request.id} ist abgesagt"]
        assert "Guten Tag Petra Schulz" in mail_body(mails_to(mails, "petra.schulz@jobcenter.example")[0])
        to_office = [m["Subject"] for m in mails_to(mails, coordinator.email)]
        assert not [s for s in to_office if "confirmed for" in s or "is cancelled" in s or "was changed" in s]

    def test_the_caseworker_named_must_belong_to_the_agency(self, client, session, office, agency, coordinator,
                                                            make_user, make_agency):
        stranger = make_user(Role.CASEWORKER, agency=make_agency(offices=[office], name="Kita Sonnenschein"))
        sign_in(client, coordinator.email)
        response = client.post("/requests/new", data=request_form(agency_id=str(agency.id),
                                                                  inform_user_id=str(stranger.id)))
        assert "Choose a caseworker of this agency" in page_text(response)
        assert session.scalar(select(func.count(HelpRequest.id))) == 0


class TestUrgentSameDayRequests:
    @pytest.fixture
    def soon(self, clock):
        """A Monday 08:00 in Berlin: the request is for 11:00 the same day."""
        moment = berlin(monday_9().astimezone(BERLIN).date(), 8)
        clock.set(moment, tick=True)
        return moment

    def test_an_urgent_request_alerts_the_office_and_on_call_volunteers_rank_first(
            self, act, app, client, session, office, caseworker, coordinator, pool, soon, mails):
        on_call = session.get(VolunteerProfile, pool[2].id)
        on_call.short_notice = True
        session.commit()
        sign_in(client, caseworker.email)
        response = client.post("/requests/new", data=request_form(
            day=soon.astimezone(BERLIN).date().isoformat(), start="11:00", duration_minutes="60", postcode="63128",
            town="Dietzenbach", is_urgent="y", client_reference="RD-7"))
        assert response.status_code == 302, page_text(response)
        request = session.scalar(select(HelpRequest))
        [alert] = [m for m in mails_to(mails, coordinator.email) if m["Subject"].startswith("Urgent request")]
        assert f"/requests/{request.id}/candidates" in mail_body(alert)

        office_client = app.test_client()
        sign_in(office_client, coordinator.email)
        page = page_text(office_client.get(f"/requests/{request.id}/candidates"))
        ranked = page[page.index("can take it"):page.index("Near misses")]
        assert "Dana Darwish" in ranked and "on call" in ranked and "Amina Aziz" not in ranked
        near = page[page.index("Near misses"):page.index("Why not the others")]
        assert "Amina Aziz" in near and "Bilal Bakr" in near and "notice" in near
        with pytest.raises(OfferError, match="near miss"):
            act(offering.make_offers, session, coordinator, request.id, [pool[0].id], at=soon)
        fresh(session)
        offer, = act(offering.make_offers, session, coordinator, request.id, [pool[0].id], at=soon,
                     note="Amina hat am Telefon zugesagt.")
        assert offer.near_miss == "short_notice"

    def test_without_the_urgent_flag_short_notice_is_not_stretched(self, session, office, agency, coordinator, pool,
                                                                   soon):
        from lotsen.matching import services as matching

        request = make_request(session, office, agency, starts=soon + 3 * HOUR)
        outcome, _profiles = matching.explain(session, request, soon)
        assert outcome.ranked == [] and outcome.near_misses == []


class TestCannotBeFilled:
    def test_the_office_closes_it_with_a_reason_and_the_agency_hears_the_alternative(
            self, act, client, session, coordinator, caseworker, filed, pool, mails):
        offer, = act(offering.make_offers, session, coordinator, filed.id, [pool[0].id])
        session.commit()
        sign_in(client, coordinator.email)
        form = page_text(client.get(f"/requests/{filed.id}/close"))
        assert "Nobody is free at that time" in form
        refused = client.post(f"/requests/{filed.id}/close", data={"reason": "other", "note": "", "alternative": ""})
        assert "Please say why" in page_text(refused)
        assert status_of(session, HelpRequest, filed.id) is RequestStatus.OFFERED
        client.post(f"/requests/{filed.id}/close", data={
            "reason": "no_one_free", "note": "Alle Arabisch-Lotsen sind im Urlaub.",
            "alternative": "Bitte den Telefondolmetschdienst des Kreises anfragen: 06074 8180-0."})
        fresh(session)
        request = session.get(HelpRequest, filed.id)
        assert (request.status, request.unfilled_reason) == (RequestStatus.UNFILLED, UnfilledReason.NO_ONE_FREE)
        assert session.get(Offer, offer.id).status is OfferStatus.WITHDRAWN
        [told] = [m for m in mails_to(mails, caseworker.email) if "cannot be filled" in m["Subject"]]
        assert "Telefondolmetschdienst" in mail_body(told) and "Nobody is free at that time" in mail_body(told)
        [closed] = [m for m in mails_to(mails, pool[0].email) if "No longer needed" in m["Subject"]]
        assert "closed the request" in mail_body(closed)
        assert "Cannot be filled" not in page_text(client.get(f"/requests/{filed.id}"))  # closed once

    def test_a_caseworker_cannot_close_and_a_confirmed_request_cannot_be_closed(
            self, act, client, session, coordinator, caseworker, filed, pool):
        sign_in(client, caseworker.email)
        assert client.get(f"/requests/{filed.id}/close").status_code == 403
        confirmed(act, session, coordinator, filed, pool[0])
        with pytest.raises(OfferError, match="can no longer be closed"):
            act(changes.close_unfillable, session, coordinator, filed.id, UnfilledReason.OTHER, "x", "")


class TestWavesThatRunOut:
    def test_nobody_left_is_said_once_no_offer_waits_any_more(self, act, app, session, coordinator, filed, pool,
                                                              mails):
        start = now()
        act(offering.offer_in_waves, session, coordinator, filed.id, size=2, interval_minutes=30, at=start)
        session.commit()
        tick(app, now=start + dt.timedelta(minutes=31))  # the third volunteer: everyone asked
        tick(app, now=start + dt.timedelta(minutes=62))  # nobody left, but three offers are open
        exhausted = lambda: [m for m in mails_to(mails, coordinator.email) if "nobody left" in m["Subject"]]  # noqa: E731
        assert exhausted() == []
        fresh(session)
        request = session.get(HelpRequest, filed.id)
        assert request.status is RequestStatus.OFFERED and request.next_wave_at is None
        offers = offers_of(session, request)
        assert len(offers) == 3
        for offer, volunteer in zip(offers, sorted(pool, key=lambda p: [o.volunteer_id for o in offers].index(p.id))):
            act(answers.decline, session, volunteer, offer.id, None, at=start + dt.timedelta(minutes=70))
            session.commit()
            if offer is not offers[-1]:
                assert exhausted() == []
        assert len(exhausted()) == 1
        assert status_of(session, HelpRequest, filed.id) is RequestStatus.OPEN


class TestWhatMailsAndPagesSay:
    def test_an_agency_cancellation_tells_the_volunteer_it_was_cancelled(self, act, client, session, coordinator,
                                                                         caseworker, filed, pool, mails):
        act(offering.make_offers, session, coordinator, filed.id, [pool[1].id])
        session.commit()
        sign_in(client, caseworker.email)
        client.post(f"/requests/{filed.id}/cancel", data={"reason": "Termin entfällt"})
        [told] = [m for m in mails_to(mails, pool[1].email) if "No longer needed" in m["Subject"]]
        assert "the agency has cancelled the appointment" in mail_body(told)
        assert "someone else" not in mail_body(told) and "another volunteer" not in mail_body(told)
        assert not [m for m in mails_to(mails, caseworker.email) if "is cancelled" in m["Subject"]]  # their own step

    def test_offer_lists_show_each_offers_real_state(self, act, app, client, session, coordinator, filed, pool):
        offers = act(offering.make_offers, session, coordinator, filed.id, [pool[0].id, pool[1].id])
        act(answers.accept, session, pool[0], offers[0].id)
        assignment = act(confirming.confirm, session, coordinator, offers[0].id)
        session.commit()
        sign_in(client, coordinator.email)
        page = page_text(client.get(f"/requests/{filed.id}"))
        assert "Confirmed" in page and "Taken by someone else" in page and "Accepted, awaiting" not in page
        act(records.record, session, coordinator, assignment.id, took_place(assignment, minutes=90),
            at=filed.ends_at + HOUR)
        session.commit()
        assert "Completed" in page_text(client.get(f"/requests/{filed.id}"))

    def test_a_reassignment_tells_the_old_volunteer_so(self, act, client, session, coordinator, filed, pool, mails):
        confirmed(act, session, coordinator, filed, pool[0])
        act(changes.reassign, session, coordinator, filed.id, pool[1].id, "Amina ist krank")
        session.commit()
        [told] = [m for m in mails_to(mails, pool[0].email) if m["Subject"].startswith("Cancelled")]
        assert "given the assignment" in mail_body(told)
        sign_in(client, coordinator.email)
        assert "Reassigned" in page_text(client.get(f"/requests/{filed.id}"))

    def test_the_history_shows_old_and_new_values(self, client, session, office, agency, caseworker):
        sign_in(client, caseworker.email)
        day = monday_9().astimezone(BERLIN).date()
        client.post("/requests/new", data=request_form(day=day.isoformat(), start="10:00", language="Arabic"))
        request = session.scalar(select(HelpRequest))
        client.post(f"/requests/{request.id}/edit", data=request_form(
            day=day.isoformat(), start="11:30", language="Ukrainian", postcode="63110", town="Rodgau"))
        page = page_text(client.get(f"/requests/{request.id}"))
        changed = page[page.index('class="changes"'):]
        assert "Language: Arabic → Ukrainian" in re.sub(r"<[^>]+>", "", changed)
        assert "Postcode: 63065 → 63110" in re.sub(r"<[^>]+>", "", changed)
        assert re.search(r"Start: [^→]*10:00[^→]* → [^<]*11:30", re.sub(r"<[^>]+>", "", changed))


class TestVolunteersWhoLeave:
    def test_deactivation_withdraws_offers_frees_assignments_and_tells_the_office(
            self, act, app, client, session, office, agency, coordinator, caseworker, filed, pool, mails):
        amina = pool[0]
        assignment = confirmed(act, session, coordinator, filed, amina)
        other = make_request(session, office, agency, starts=filed.starts_at + dt.timedelta(days=7))
        offer, = act(offering.make_offers, session, coordinator, other.id, [amina.id])
        session.commit()
        link = offer_links(mails())[-1]  # the offer for the other request

        sign_in(client, coordinator.email)
        client.post(f"/users/{amina.id}/deactivate")
        fresh(session)
        assert session.get(Assignment, assignment.id).status is AssignmentStatus.RELEASED
        assert (session.get(HelpRequest, filed.id).status, session.get(HelpRequest, filed.id).round) == (
            RequestStatus.OPEN, 2)
        assert session.get(Offer, offer.id).status is OfferStatus.WITHDRAWN
        assert session.get(HelpRequest, other.id).status is RequestStatus.OPEN
        [alert] = [m for m in mails_to(mails, coordinator.email) if "left the pool" in m["Subject"]]
        assert f"Request no. {filed.id}" in mail_body(alert)  # their assignment was taken off them
        assert f"Request no. {other.id}" in mail_body(alert)  # their offer was the only one waiting
        assert any("another volunteer" in m["Subject"] for m in mails_to(mails, caseworker.email))
        answer = app.test_client().get(link)
        assert answer.status_code == 400 and "no longer works" in page_text(answer)

    def test_deleting_a_volunteers_data_frees_their_assignments_too(self, act, client, session, coordinator, filed,
                                                                    pool):
        assignment = confirmed(act, session, coordinator, filed, pool[1])
        sign_in(client, coordinator.email)
        client.post(f"/volunteers/{pool[1].id}/anonymize", data={"confirm": "y"})
        fresh(session)
        assert session.get(Assignment, assignment.id).status is AssignmentStatus.RELEASED
        assert session.get(HelpRequest, filed.id).status is RequestStatus.OPEN


class TestFreshCounts:
    def test_the_count_is_there_when_filed_and_follows_a_profile_change(self, app, client, session, office, agency,
                                                                        caseworker, pool):
        sign_in(client, caseworker.email)
        day = monday_9().astimezone(BERLIN).date()
        client.post("/requests/new", data=request_form(day=day.isoformat(), start="09:00", postcode="63128",
                                                       town="Dietzenbach"))
        request = session.scalar(select(HelpRequest))
        assert request.candidate_count == 3 and request.counted_at is not None
        volunteer = app.test_client()
        sign_in(volunteer, pool[0].email)
        volunteer.post("/profile/pause", data={"until": ""})
        fresh(session)
        assert session.get(HelpRequest, request.id).counted_at is None  # marked for the worker's next tick
        tick(app, now=now())
        fresh(session)
        assert session.get(HelpRequest, request.id).candidate_count == 2


    def test_the_count_follows_a_volunteer_deactivated_and_reactivated(self, app, client, session, office, agency,
                                                                       coordinator, caseworker, pool):
        sign_in(client, caseworker.email)
        day = monday_9().astimezone(BERLIN).date()
        client.post("/requests/new", data=request_form(day=day.isoformat(), start="09:00", postcode="63128",
                                                       town="Dietzenbach"))
        request = session.scalar(select(HelpRequest))
        assert request.candidate_count == 3
        staff = app.test_client()
        sign_in(staff, coordinator.email)
        for action, expected in (("deactivate", 2), ("reactivate", 3)):  # never offered anything: still counted
            staff.post(f"/users/{pool[2].id}/{action}")
            fresh(session)
            assert session.get(HelpRequest, request.id).counted_at is None, action
            tick(app, now=now())
            fresh(session)
            assert session.get(HelpRequest, request.id).candidate_count == expected, action


class TestDoubleSubmits:
    def test_the_same_form_sent_twice_files_once(self, client, session, caseworker):
        sign_in(client, caseworker.email)
        form = page_text(client.get("/requests/new"))
        key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', form) or re.search(
            r'name="submission_key"[^>]*value="([^"]+)"', form)
        data = request_form(submission_key=key.group(1))
        first = client.post("/requests/new", data=data)
        second = client.post("/requests/new", data=data)
        assert first.status_code == second.status_code == 302
        assert first.headers["Location"] == second.headers["Location"]
        assert session.scalar(select(func.count(HelpRequest.id))) == 1
        assert "has already been sent" in page_text(client.get(second.headers["Location"]))


class TestARefusedChangeRollsBack:
    def test_writes_before_a_refusal_are_discarded_even_if_the_view_forgets(self, app, client, session):
        from lotsen import db

        def careless():
            db.session().add(Office(name="Half-saved", slug="half-saved", settings={}))
            db.session().flush()
            try:
                raise DomainError("refused")
            except DomainError:
                pass  # the view forgets to roll back
            return "done", 302, {"Location": "/"}

        app.add_url_rule("/careless", "careless", careless, methods=["POST"])
        assert client.post("/careless").status_code == 302
        assert session.scalar(select(func.count(Office.id)).where(Office.slug == "half-saved")) == 0
