"""The agencies' API: an agency's system files, follows, changes and cancels requests, confirms records, and is
told of changes by signed webhooks; tokens with scopes, expiry and revocation; isolation; idempotency."""

import datetime as dt
import json
import re
import threading

import pytest
from sqlalchemy import func, select

from lotsen.api import tokens, webhooks
from lotsen.api.models import ApiToken, IdempotentResponse
from lotsen.assignments import answers, changes, confirming, offering
from lotsen.audit.models import AuditEvent
from lotsen.auth.models import Role
from lotsen.billing import records
from lotsen.billing.lifecycle import RecordStatus
from lotsen.billing.models import AssignmentRecord
from lotsen.notifications import outbox
from lotsen.notifications.models import OutboxMessage, OutboxStatus
from lotsen.requests import services as requests_services
from lotsen.requests.lifecycle import UnfilledReason
from lotsen.requests.models import HelpRequest
from lotsen.reminders.worker import tick
from tests.builders import add_language, add_window, make_request, ready, took_place
from tests.conftest import sign_in
from tests.timing import BERLIN, berlin, next_weekday, now, today
from tests.webhook_sink import webhook_sink  # noqa: F401  (the fixture)

ALL = ["requests:read", "requests:write", "records:confirm"]


@pytest.fixture
def office(make_office):
    return make_office(name="Kreis Offenbach")


@pytest.fixture
def agency(make_agency, office):
    return make_agency(offices=[office], name="Jobcenter Offenbach", email="team@jobcenter.example")


@pytest.fixture
def coordinator(make_user, office):
    return make_user(Role.COORDINATOR, office=office, name="Carla Coordinator")


@pytest.fixture
def volunteer(session, make_user, office):
    user = make_user(Role.VOLUNTEER, office=office, name="Amina Aziz", profile=ready(phone="0170 1234567"))
    for weekday in range(5):
        add_window(session, user, weekday=weekday, starts="07:00", ends="18:00")
    add_language(session, user)
    session.commit()
    return user


def issue(act, session, coordinator, agency, scopes=ALL, days=30, name="Fachverfahren") -> str:
    _token, raw = act(tokens.issue, session, coordinator, agency, name=name, scopes=scopes,
                      expires_on=now().astimezone(BERLIN).date() + dt.timedelta(days=days), zone=BERLIN,
                      max_days=730)
    session.commit()
    return raw


@pytest.fixture
def token(act, session, coordinator, agency):
    return issue(act, session, coordinator, agency)


def auth(raw: str, **headers) -> dict:
    return {"Authorization": f"Bearer {raw}", **headers}


def monday(weeks: int = 1) -> dt.date:
    return next_weekday(0, weeks=weeks)


def body(**changes) -> dict:
    data = {"kind": "interpreter", "language": "ar", "mode": "on_site", "date": monday().isoformat(),
            "start": "09:00", "duration_minutes": 90, "street": "Berliner Straße 60", "postcode": "63128",
            "town": "Dietzenbach", "topic": "health", "client_reference": "BG-4711", "contact_name": "Frau Weber",
            "contact_phone": "06074 1234", "notes": "Zimmer 204"}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def file(client, raw, **changes):
    return client.post("/api/v1/requests", json=body(**changes), headers=auth(raw))


def deliver(app) -> dict:
    return outbox.deliver_due(app)


class TestTheAgencysSystem:
    def test_files_is_told_by_webhook_when_confirmed_and_confirms_the_record(
            self, act, app, client, clock, session, coordinator, agency, volunteer, webhook_sink):
        """The issue's whole journey, through the documented API and a real HTTP receiver."""
        sign_in(client, coordinator.email)
        page = client.post(f"/agencies/{agency.id}/api/tokens", data={
            "name": "Fachverfahren", "scopes": ALL,
            "expires_on": (now().astimezone(BERLIN).date() + dt.timedelta(days=90)).isoformat()})
        raw = re.search(r"lotsen_[A-Za-z0-9_-]{40,}", page.get_data(as_text=True)).group(0)
        page = client.post(f"/agencies/{agency.id}/api/webhooks", data={"url": webhook_sink.url})
        secret = re.search(r"whsec_[A-Za-z0-9_-]{40,}", page.get_data(as_text=True)).group(0)
        client.post("/logout")
        assert client.get(f"/agencies/{agency.id}/api/").status_code == 302  # the page is for people signed in

        api = app.test_client()
        filed = api.post("/api/v1/requests", json=body(), headers=auth(raw, **{"Idempotency-Key": "a-1"}))
        assert filed.status_code == 201, filed.get_json()
        request_id = filed.get_json()["items"][0]["id"]
        assert filed.headers["Location"].endswith(f"/api/v1/requests/{request_id}")
        assert filed.get_json()["items"][0]["status"] == "open"

        offer, = act(offering.make_offers, session, coordinator, request_id, [volunteer.id])
        act(answers.accept, session, volunteer, offer.id)
        assignment = act(confirming.confirm, session, coordinator, offer.id)
        session.commit()
        deliver(app)
        assert [e["type"] for e in webhook_sink.events()] == ["request.offered", "request.confirmed"]
        confirmed = webhook_sink.deliveries[1]
        assert webhooks.verify(secret, confirmed.headers["Lotsen-Signature"], confirmed.body)
        assert not webhooks.verify("whsec_other", confirmed.headers["Lotsen-Signature"], confirmed.body)
        assert confirmed.event["data"] == {"request_id": request_id, "status": "confirmed",
                                           "starts_at": confirmed.event["data"]["starts_at"]}
        assert confirmed.headers["Lotsen-Event-Id"] == confirmed.event["id"]

        shown = api.get(f"/api/v1/requests/{request_id}", headers=auth(raw)).get_json()
        assert shown["status"] == "confirmed"
        assert shown["volunteer"] == {"first_name": "Amina", "phone": "0170 1234567"}
        assert [h["action"] for h in shown["history"]] == ["create", "offer", "accept", "confirm"]
        assert "Aziz" not in json.dumps(shown)
        assert shown["history"][0]["by"] == "Fachverfahren (API)"

        clock.set(assignment.ends_at + dt.timedelta(hours=1))
        entry = act(records.record, session, volunteer, assignment.id, took_place(assignment))
        session.commit()
        deliver(app)
        awaiting = webhook_sink.events("record.awaiting_confirmation")
        assert [e["data"]["record_id"] for e in awaiting] == [entry.id]
        listed = api.get("/api/v1/records", headers=auth(raw)).get_json()
        assert [(r["id"], r["version"], r["volunteer_first_name"]) for r in listed["items"]] == [(entry.id, 1, "Amina")]
        answered = api.post(f"/api/v1/records/{entry.id}/confirm", json={"version": 1}, headers=auth(raw))
        assert answered.status_code == 200 and answered.get_json()["status"] == "confirmed"
        session.expire_all()
        assert session.get(AssignmentRecord, entry.id).answered_via == "api"
        assert api.get("/api/v1/records", headers=auth(raw)).get_json()["items"] == []
        again = api.post(f"/api/v1/records/{entry.id}/confirm", json={"version": 1}, headers=auth(raw))
        assert again.status_code == 409 and again.get_json()["type"] == "/api/v1/problems/conflict"


class TestTokens:
    def test_scopes_decide_what_a_token_may_do(self, act, client, session, coordinator, agency):
        reader = issue(act, session, coordinator, agency, scopes=["requests:read"], name="Nur lesen")
        refused = file(client, reader)
        assert refused.status_code == 403
        assert refused.headers["Content-Type"] == "application/problem+json"
        assert refused.get_json()["type"] == "/api/v1/problems/forbidden"
        assert client.get("/api/v1/requests", headers=auth(reader)).status_code == 200
        assert client.get("/api/v1/records", headers=auth(reader)).status_code == 403
        writer = issue(act, session, coordinator, agency, scopes=["requests:write"], name="Nur schreiben")
        assert file(client, writer).status_code == 201
        assert client.get("/api/v1/requests", headers=auth(writer)).status_code == 403
        assert session.scalar(select(func.count()).select_from(HelpRequest)) == 1

    def test_no_token_a_wrong_one_an_expired_one_and_a_revoked_one_are_refused(
            self, act, app, client, clock, session, coordinator, agency, token):
        assert client.get("/api/v1/me", headers=auth(token)).get_json()["agency"]["name"] == "Jobcenter Offenbach"
        for headers in ({}, auth("lotsen_" + "x" * 43), {"Authorization": "Basic " + token}):
            refused = client.get("/api/v1/me", headers=headers)
            assert refused.status_code == 401
            assert refused.get_json()["type"] == "/api/v1/problems/unauthorized"
            assert refused.headers["WWW-Authenticate"].startswith("Bearer")
        clock.set(now() + dt.timedelta(days=32))
        assert client.get("/api/v1/me", headers=auth(token)).status_code == 401
        clock.stop()

        second = issue(act, session, coordinator, agency, name="Zweites System")
        assert client.get("/api/v1/me", headers=auth(second)).status_code == 200
        sign_in(client, coordinator.email)
        row = session.scalar(select(ApiToken).where(ApiToken.name == "Zweites System"))
        assert client.post(f"/agencies/{agency.id}/api/tokens/{row.id}/revoke").status_code == 302
        assert app.test_client().get("/api/v1/me", headers=auth(second)).status_code == 401
        session.expire_all()
        assert session.get(ApiToken, row.id).revoked_at is not None
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions.count("api.token_created") == 2 and "api.token_revoked" in actions
        assert actions.count("api.used") == 2  # the refused calls without a valid token name none

    def test_only_a_hash_is_kept_and_the_token_is_shown_once(self, client, session, coordinator, agency):
        sign_in(client, coordinator.email)
        page = client.post(f"/agencies/{agency.id}/api/tokens", data={
            "name": "KIS", "scopes": ["requests:read"],
            "expires_on": (now().astimezone(BERLIN).date() + dt.timedelta(days=10)).isoformat()})
        raw = re.search(r"lotsen_[A-Za-z0-9_-]{40,}", page.get_data(as_text=True)).group(0)
        row = session.scalar(select(ApiToken))
        assert row.token_hash == tokens.digest(raw) and raw not in json.dumps([row.prefix, row.name, row.scopes])
        assert raw not in client.get(f"/agencies/{agency.id}/api/").get_data(as_text=True)

    def test_the_form_explains_a_wrong_expiry_and_keeps_the_input(self, client, session, coordinator, agency):
        sign_in(client, coordinator.email)
        page = client.post(f"/agencies/{agency.id}/api/tokens", data={
            "name": "KIS", "scopes": ["requests:read"], "expires_on": "2100-01-01"}).get_data(as_text=True)
        assert "at most 730 days ahead" in page and 'value="KIS"' in page
        assert session.scalar(select(func.count()).select_from(ApiToken)) == 0

    def test_who_manages_an_agencys_api_access(self, app, client, session, make_user, make_office, agency, office):
        other = make_office(name="Stadt Offenbach")
        stranger = make_user(Role.COORDINATOR, office=other)
        sign_in(client, stranger.email)
        assert client.get(f"/agencies/{agency.id}/api/").status_code == 404
        assert client.post(f"/agencies/{agency.id}/api/tokens", data={"name": "x"}).status_code == 404
        lead = make_user(Role.CASEWORKER, agency=agency, manages_api=True)
        plain = make_user(Role.CASEWORKER, agency=agency)
        client = app.test_client()
        sign_in(client, lead.email)
        assert client.get(f"/agencies/{agency.id}/api/").status_code == 404  # the office does not allow it yet
        office.settings = {**office.settings, "api_by_lead_caseworker": True}
        session.commit()
        assert client.get(f"/agencies/{agency.id}/api/").status_code == 200
        assert "API access" in client.get("/start").get_data(as_text=True)
        client = app.test_client()
        sign_in(client, plain.email)
        assert client.get(f"/agencies/{agency.id}/api/").status_code == 404

    def test_a_coordinator_makes_a_caseworker_the_lead_and_back(self, client, session, make_user, coordinator,
                                                               agency):
        person = make_user(Role.CASEWORKER, agency=agency, name="Lea Lead")
        sign_in(client, coordinator.email)
        client.post(f"/users/{person.id}/api-lead", data={"lead": "1"})
        session.expire_all()
        assert session.get(type(person), person.id).manages_api
        client.post(f"/users/{person.id}/api-lead", data={"lead": "0"})
        session.expire_all()
        assert not session.get(type(person), person.id).manages_api
        assert client.post(f"/users/{coordinator.id}/api-lead", data={"lead": "1"}).status_code == 302
        session.expire_all()
        assert not session.get(type(coordinator), coordinator.id).manages_api

    @pytest.mark.parametrize("app_overrides", [{"API_RATE_LIMIT": "3 per minute"}])
    def test_calls_are_throttled_per_token(self, act, client, clock, session, coordinator, agency, token):
        clock.set(now())
        answers_ = [client.get("/api/v1/me", headers=auth(token)).status_code for _ in range(4)]
        assert answers_ == [200, 200, 200, 429]
        throttled = client.get("/api/v1/me", headers=auth(token))
        assert throttled.get_json()["type"] == "/api/v1/problems/too-many-requests"
        wait = int(throttled.headers["Retry-After"])
        assert 60 <= wait <= 61  # the minute began with the first call (the limiter rounds its end up)
        assert "Set-Cookie" not in throttled.headers
        clock.advance(seconds=45)
        assert int(client.get("/api/v1/me", headers=auth(token)).headers["Retry-After"]) == wait - 45
        clock.advance(seconds=wait - 45)
        assert client.get("/api/v1/me", headers=auth(token)).status_code == 200  # a new minute
        other = issue(act, session, coordinator, agency, name="Anderes System")
        assert client.get("/api/v1/me", headers=auth(other)).status_code == 200

    @pytest.mark.parametrize("app_overrides", [{"WTF_CSRF_ENABLED": True}])
    def test_the_api_needs_no_csrf_token_and_a_session_cookie_opens_nothing(self, client, coordinator, token):
        assert file(client, token).status_code == 201  # no CSRF token: the bearer token is the credential
        sign_in(client, coordinator.email)  # (refused without a CSRF token: the pages keep their protection)
        assert client.post("/login", data={"email": coordinator.email, "password": "x"}).status_code == 400
        assert client.get("/api/v1/requests").status_code == 401


class TestRequests:
    def test_the_office_rules_are_field_errors_and_nothing_is_filed(self, client, session, office, token):
        cases = [
            ({"date": (today() + dt.timedelta(days=1)).isoformat()}, "date", "earliest date"),
            ({"involves": ["court"]}, "involves", "professional interpreter"),
            ({"duration_minutes": 300}, "duration_minutes", "at most 180 minutes"),
            ({"language": "Keine Sprache"}, "language", "Choose a language"),
            ({"postcode": "00000"}, "postcode", "00000"),
            ({"contact_name": "Frau\x00Weber"}, "contact_name", "not allowed"),
            ({"notes": "x" * 2001}, "notes", "2000"),
            ({"kind": "astronaut"}, "kind", "Choose one of: interpreter, guide."),
            ({"date": "2026-02-30"}, "date", "Enter a date as YYYY-MM-DD."),
            ({"series": {"recurrence": "weekly", "count": 40}}, "series.count", "between 2 and 26"),
            ({"inform": {"caseworker_id": 999999}}, "inform.caseworker_id", "caseworker of this agency"),
            ({"office_id": 999999}, "office_id", "offices this token reaches"),
        ]
        for changes_, field, words in cases:
            answer = file(client, token, **changes_)
            assert answer.status_code == 422, (changes_, answer.get_json())
            problem = answer.get_json()
            assert answer.headers["Content-Type"] == "application/problem+json"
            assert problem["type"] == "/api/v1/problems/validation"
            assert words in " ".join(problem["errors"][field]), (field, problem)
        assert session.scalar(select(func.count()).select_from(HelpRequest)) == 0

    def test_errors_in_german_when_the_system_asks_for_german(self, client, token):
        answer = client.post("/api/v1/requests", json=body(involves=["court"]),
                             headers=auth(token, **{"Accept-Language": "de"}))
        assert "professionelle" in answer.get_json()["errors"]["involves"][0].lower()

    def test_bad_bytes_unknown_routes_and_methods_are_problems_while_pages_keep_html(self, client, token):
        for answer, status, slug in [
            (client.post("/api/v1/requests", data=b"{nope", headers=auth(token, **{
                "Content-Type": "application/json"})), 400, "bad-request"),
            (client.get("/api/v1/nothing-here", headers=auth(token)), 404, "not-found"),
            (client.get("/api/v1/requests/2147483648", headers=auth(token)), 404, "not-found"),
            (client.delete("/api/v1/requests", headers=auth(token)), 405, "method-not-allowed"),
            (client.get("/api/v1/requests?limit=0&status=lost", headers=auth(token)), 422, "validation"),
            (client.get("/api/v1/requests?cursor=%00%01", headers=auth(token)), 422, "validation"),
            (client.get("/api/v1/requests?cursor=WzFd", headers=auth(token)), 422, "validation"),
        ]:
            assert answer.status_code == status
            assert answer.headers["Content-Type"] == "application/problem+json"
            assert answer.get_json()["type"] == f"/api/v1/problems/{slug}"
        page = client.get("/no-such-page")
        assert page.status_code == 404 and page.headers["Content-Type"].startswith("text/html")
        described = client.get("/api/v1/problems/validation").get_json()
        assert described["status"] == 422

    def test_a_weekly_series_and_a_duplicate_answered_as_a_field_error(self, client, session, token):
        answer = file(client, token, series={"recurrence": "weekly", "count": 3})
        assert answer.status_code == 201
        items = answer.get_json()["items"]
        assert len(items) == 3 and len({i["series_id"] for i in items}) == 1 and items[0]["series_id"]
        starts = [dt.datetime.fromisoformat(i["starts_at"]).astimezone(BERLIN) for i in items]
        assert [s.time() for s in starts] == [dt.time(9)] * 3
        assert [(b.date() - a.date()).days for a, b in zip(starts, starts[1:])] == [7, 7]
        again = file(client, token)
        problem = again.get_json()
        assert again.status_code == 422 and problem["duplicates"] == [items[0]["id"]]
        assert "allow_duplicate" in problem["errors"]
        assert file(client, token, allow_duplicate=True).status_code == 201
        assert session.scalar(select(func.count()).select_from(HelpRequest)) == 4

    def test_a_retried_post_with_the_same_idempotency_key_files_once(self, client, session, token):
        key = {"Idempotency-Key": "jc-2026-000815"}
        first = client.post("/api/v1/requests", json=body(), headers=auth(token, **key))
        second = client.post("/api/v1/requests", json=body(), headers=auth(token, **key))
        assert first.status_code == second.status_code == 201
        assert first.get_json() == second.get_json() and second.headers["Idempotent-Replayed"] == "true"
        assert second.headers["Location"] == first.headers["Location"]
        assert session.scalar(select(func.count()).select_from(HelpRequest)) == 1
        other = client.post("/api/v1/requests", json=body(client_reference="BG-9"), headers=auth(token, **key))
        assert other.status_code == 422 and other.get_json()["type"] == "/api/v1/problems/idempotency-key-reused"
        # A refused call keeps nothing: the same key may be used again once the input is right.
        key = {"Idempotency-Key": "jc-2026-000816"}
        assert client.post("/api/v1/requests", json=body(involves=["court"]), headers=auth(token, **key)) \
            .status_code == 422
        assert client.post("/api/v1/requests", json=body(client_reference="BG-10"), headers=auth(token, **key)) \
            .status_code == 201
        assert session.scalar(select(func.count()).select_from(IdempotentResponse)) == 2

    def test_a_kept_answer_is_forgotten_after_a_day(self, act, app, client, clock, session, token):
        clock.set(now())
        key = {"Idempotency-Key": "einmal"}
        assert client.post("/api/v1/requests", json=body(), headers=auth(token, **key)).status_code == 201
        clock.advance(hours=23)
        tick(app, slow=True, fast=False)
        assert client.post("/api/v1/requests", json=body(), headers=auth(token, **key)).headers[
            "Idempotent-Replayed"] == "true"
        clock.advance(hours=2)
        tick(app, slow=True, fast=False)
        session.rollback()
        assert session.scalar(select(func.count()).select_from(IdempotentResponse)) == 0
        again = client.post("/api/v1/requests", json=body(allow_duplicate=True), headers=auth(token, **key))
        assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers

    def test_list_filters_and_cursor_pages(self, client, token):
        for week in range(1, 6):
            assert file(client, token, date=monday(week).isoformat(), client_reference=f"R{week}").status_code == 201
        seen, cursor = [], ""
        while True:
            page = client.get(f"/api/v1/requests?limit=2&cursor={cursor}", headers=auth(token)).get_json()
            seen += [item["client_reference"] for item in page["items"]]
            if not page["next_cursor"]:
                break
            cursor = page["next_cursor"]
        assert seen == ["R1", "R2", "R3", "R4", "R5"]
        window = client.get(f"/api/v1/requests?starts_from={monday(2)}&starts_before={monday(4)}",
                            headers=auth(token)).get_json()
        assert [i["client_reference"] for i in window["items"]] == ["R2", "R3"]
        assert [i["client_reference"] for i in client.get(
            "/api/v1/requests?reference=r5&status=open", headers=auth(token)).get_json()["items"]] == ["R5"]
        assert client.get("/api/v1/requests?status=cancelled", headers=auth(token)).get_json()["items"] == []

    def test_change_time_and_place_while_open_then_cancel_late(
            self, act, client, clock, session, coordinator, volunteer, token):
        request_id = file(client, token).get_json()["items"][0]["id"]
        moved = client.patch(f"/api/v1/requests/{request_id}", json={"start": "10:30", "postcode": "63110",
                                                                     "town": "Rodgau"}, headers=auth(token))
        assert moved.status_code == 200, moved.get_json()
        shown = moved.get_json()
        assert dt.datetime.fromisoformat(shown["starts_at"]).astimezone(BERLIN).time() == dt.time(10, 30)
        assert shown["place"]["town"] == "Rodgau" and shown["history"][-1]["action"] == "edit"
        wrong = client.patch(f"/api/v1/requests/{request_id}", json={"date": "2020-01-06"}, headers=auth(token))
        assert wrong.status_code == 422 and "past" in wrong.get_json()["errors"]["date"][0]

        offer, = act(offering.make_offers, session, coordinator, request_id, [volunteer.id])
        session.commit()
        refused = client.patch(f"/api/v1/requests/{request_id}", json={"start": "11:00"}, headers=auth(token))
        assert refused.status_code == 409 and refused.get_json()["type"] == "/api/v1/problems/conflict"

        req = session.get(HelpRequest, request_id)
        clock.set(req.starts_at - dt.timedelta(hours=3))
        cancelled = client.post(f"/api/v1/requests/{request_id}/cancel", json={"reason": "Termin verlegt"},
                                headers=auth(token))
        assert cancelled.status_code == 200
        assert cancelled.get_json()["status"] == "cancelled" and cancelled.get_json()["cancelled_late"] is True
        assert cancelled.get_json()["history"][-1]["note"] == "Termin verlegt"
        again = client.post(f"/api/v1/requests/{request_id}/cancel", json={"reason": "x"}, headers=auth(token))
        assert again.status_code == 409

    def test_the_history_keeps_the_offices_notes_from_the_agency(
            self, act, client, clock, session, coordinator, volunteer, token):
        request_id = file(client, token).get_json()["items"][0]["id"]
        offer, = act(offering.make_offers, session, coordinator, request_id, [volunteer.id])
        act(answers.accept, session, volunteer, offer.id)
        assignment = act(confirming.confirm, session, coordinator, offer.id)
        act(changes.step_back, session, volunteer, assignment.id, "Mein Kind ist krank")
        session.commit()
        shown = client.get(f"/api/v1/requests/{request_id}", headers=auth(token)).get_json()
        assert shown["status"] == "open" and shown["volunteer"] is None
        assert "Mein Kind ist krank" not in json.dumps(shown)
        step = next(h for h in shown["history"] if h["action"] == "step_back")
        assert step["by"] == "The volunteer" and step["note"] == ""


class TestIsolation:
    def test_a_token_sees_its_agency_and_offices_only(self, act, client, session, make_office, make_agency,
                                                      make_user, office, agency, coordinator, token):
        other_office = make_office(name="Stadt Offenbach")
        shared_other = make_request(session, other_office, agency, starts=berlin(monday()))
        agency.offices.append(other_office)
        other_agency = make_agency(offices=[office], name="Klinikum")
        foreign = make_request(session, office, other_agency, starts=berlin(monday()))
        session.commit()
        own_id = file(client, token, office_id=office.id).get_json()["items"][0]["id"]
        listed = client.get("/api/v1/requests", headers=auth(token)).get_json()["items"]
        assert [i["id"] for i in listed] == [own_id]
        for hidden in (shared_other.id, foreign.id):
            for call in (client.get(f"/api/v1/requests/{hidden}", headers=auth(token)),
                         client.patch(f"/api/v1/requests/{hidden}", json={"start": "11:00"}, headers=auth(token)),
                         client.post(f"/api/v1/requests/{hidden}/cancel", json={"reason": "x"}, headers=auth(token))):
                assert call.status_code == 404
        assert file(client, token, office_id=other_office.id).status_code == 422  # not this token's office
        other_coordinator = make_user(Role.COORDINATOR, office=other_office)
        theirs = issue(act, session, other_coordinator, agency, name="Ihr System")
        assert [i["id"] for i in client.get("/api/v1/requests", headers=auth(theirs)).get_json()["items"]] == [
            shared_other.id]
        klinikum = issue(act, session, coordinator, other_agency, name="KIS")
        assert client.get(f"/api/v1/requests/{own_id}", headers=auth(klinikum)).status_code == 404

    def test_records_of_other_agencies_cannot_be_read_or_answered(
            self, act, app, client, clock, session, make_agency, office, coordinator, volunteer, token):
        other_agency = make_agency(offices=[office], name="Klinikum")
        foreign = make_request(session, office, other_agency, starts=berlin(monday()))
        session.commit()
        offer, = act(offering.make_offers, session, coordinator, foreign.id, [volunteer.id])
        act(answers.accept, session, volunteer, offer.id)
        assignment = act(confirming.confirm, session, coordinator, offer.id)
        session.commit()
        clock.set(assignment.ends_at + dt.timedelta(hours=1))
        entry = act(records.record, session, volunteer, assignment.id, took_place(assignment))
        session.commit()
        assert client.get("/api/v1/records", headers=auth(token)).get_json()["items"] == []
        assert client.get(f"/api/v1/records/{entry.id}", headers=auth(token)).status_code == 404
        assert client.post(f"/api/v1/records/{entry.id}/confirm", json={"version": 1},
                           headers=auth(token)).status_code == 404
        session.expire_all()
        assert session.get(AssignmentRecord, entry.id).status is RecordStatus.SUBMITTED


def endpoint(act, session, coordinator, agency, url) -> str:
    added, secret = act(webhooks.add_endpoint, session, coordinator, agency, url, set(agency.office_ids),
                        allow_local=True)
    session.commit()
    return secret


class TestWebhooks:
    def test_each_status_change_is_one_signed_event(self, act, app, client, clock, session, coordinator, agency,
                                                    volunteer, token, webhook_sink):
        secret = endpoint(act, session, coordinator, agency, webhook_sink.url)
        stepped = file(client, token).get_json()["items"][0]["id"]
        offer, = act(offering.make_offers, session, coordinator, stepped, [volunteer.id])
        act(answers.accept, session, volunteer, offer.id)
        assignment = act(confirming.confirm, session, coordinator, offer.id)
        act(changes.step_back, session, volunteer, assignment.id, "Krank")
        act(offering.make_offers, session, coordinator, stepped, [volunteer.id], note="Wieder gesund")  # round 2
        session.commit()
        closed = file(client, token, client_reference="BG-2").get_json()["items"][0]["id"]
        act(changes.close_unfillable, session, coordinator, closed, UnfilledReason.NO_LANGUAGE, "", "")
        session.commit()
        cancelled = file(client, token, client_reference="BG-3").get_json()["items"][0]["id"]
        client.post(f"/api/v1/requests/{cancelled}/cancel", json={"reason": "Erledigt"}, headers=auth(token))
        left = file(client, token, client_reference="BG-4").get_json()["items"][0]["id"]
        session.commit()
        deliver(app)
        clock.set(session.get(HelpRequest, left).starts_at + dt.timedelta(minutes=1))
        act(lambda s, acting: requests_services.mark_unfilled(s, now=acting.now), session, None)
        session.commit()
        deliver(app)
        told = [(e["type"], e["data"]["request_id"]) for e in webhook_sink.events()]
        assert told[:6] == [
            ("request.offered", stepped), ("request.confirmed", stepped),
            ("request.volunteer_stepped_back", stepped), ("request.offered", stepped),
            ("request.not_fillable", closed), ("request.cancelled", cancelled)]
        assert sorted(told[6:]) == [("request.unfilled", stepped), ("request.unfilled", left)]  # both passed
        assert len({e["id"] for e in webhook_sink.events()}) == 8
        for delivery in webhook_sink.deliveries:
            header = delivery.headers["Lotsen-Signature"]
            sent = dt.datetime.fromtimestamp(int(header.split(",")[0].removeprefix("t=")), dt.timezone.utc)
            assert webhooks.verify(secret, header, delivery.body, now=sent + dt.timedelta(seconds=3))
            assert not webhooks.verify(secret, header, delivery.body + b" ", now=sent)
            assert not webhooks.verify(secret, header, delivery.body, now=sent + dt.timedelta(minutes=6))  # replay
            assert delivery.headers["Content-Type"] == "application/json"
        assert webhook_sink.events("request.volunteer_stepped_back")[0]["data"]["late"] is False
        assert "Krank" not in json.dumps(webhook_sink.events())
        deliver(app)
        assert len(webhook_sink.deliveries) == 8  # nothing twice

    def test_a_failing_receiver_is_retried_with_back_off_and_an_event_can_be_sent_again(
            self, act, app, client, clock, session, coordinator, agency, token, webhook_sink):
        endpoint(act, session, coordinator, agency, webhook_sink.url)
        request_id = file(client, token).get_json()["items"][0]["id"]
        client.post(f"/api/v1/requests/{request_id}/cancel", json={"reason": "Erledigt"}, headers=auth(token))
        webhook_sink.status = 500
        start = clock.set(now())
        deliver(app)
        row = session.scalar(select(OutboxMessage).where(OutboxMessage.channel == "webhook"))
        assert (row.status, row.attempts, row.last_error) == (OutboxStatus.PENDING, 1, "HTTP 500")
        assert row.due_at == start + outbox.backoff(1)
        webhook_sink.status = 204
        deliver(app)
        assert len(webhook_sink.deliveries) == 1  # not due yet
        clock.advance(minutes=2)
        deliver(app)
        session.rollback()
        assert (row.status, row.attempts, row.last_error) == (OutboxStatus.SENT, 2, "HTTP 204")
        first, second = webhook_sink.deliveries
        assert first.event["id"] == second.event["id"] and second.headers["Lotsen-Delivery-Attempt"] == "2"

        sign_in(client, coordinator.email)
        page = client.get(f"/agencies/{agency.id}/api/").get_data(as_text=True)
        assert "request.cancelled" in page and "HTTP 204" in page
        assert client.post(f"/agencies/{agency.id}/api/deliveries/{row.id}/resend").status_code == 302
        deliver(app)
        assert [d.event["id"] for d in webhook_sink.deliveries] == [first.event["id"]] * 3
        assert "api.webhook_resent" in session.scalars(select(AuditEvent.action)).all()

    def test_addresses_must_be_https_and_public(self, act, app, client, session, coordinator, agency):
        sign_in(client, coordinator.email)
        for url, words in [("http://example.org/hook", "must begin with https://"),
                           ("ftp://example.org/hook", "must begin with https://"),
                           ("https://user:pw@example.org/hook", "full address"),
                           ("nonsense", "full address")]:
            page = client.post(f"/agencies/{agency.id}/api/webhooks", data={"url": url}).get_data(as_text=True)
            assert words in html_text(page), url
        assert client.post(f"/agencies/{agency.id}/api/webhooks", data={"url": "https://example.org/hook"}) \
            .status_code == 200
        with pytest.raises(webhooks.WebhookError):
            webhooks.check_url("http://localhost:8000/hook", allow_local=False)
        assert webhooks.check_url("http://localhost:8000/hook", allow_local=True)
        # A delivery to an address of the instance's own network is refused where local ones are not allowed.
        endpoint(act, session, coordinator, agency, "https://localhost:9/hook")
        with app.app_context():
            message = OutboxMessage(payload={"endpoint_id": session.scalar(select(func.max(
                webhooks.WebhookEndpoint.id))), "body": "{}"}, attempts=1)
            with pytest.raises(webhooks.DeliveryError, match="non-public|not allowed") as refused:
                webhooks.deliver(session, message, allow_local=False, now=now())
            assert refused.value.permanent

    def test_a_removed_endpoint_gets_nothing_more(self, act, app, client, session, coordinator, agency, token,
                                                  webhook_sink):
        endpoint(act, session, coordinator, agency, webhook_sink.url)
        request_id = file(client, token).get_json()["items"][0]["id"]
        client.post(f"/api/v1/requests/{request_id}/cancel", json={"reason": "Erledigt"}, headers=auth(token))
        sign_in(client, coordinator.email)
        endpoint_id = session.scalar(select(webhooks.WebhookEndpoint.id))
        assert client.post(f"/agencies/{agency.id}/api/webhooks/{endpoint_id}/remove").status_code == 302
        deliver(app)
        assert webhook_sink.deliveries == []
        assert session.scalar(select(OutboxMessage.status).where(OutboxMessage.channel == "webhook")) \
            is OutboxStatus.CANCELLED


def html_text(page: str) -> str:
    import html

    return html.unescape(page)


@pytest.fixture
def postgresql_only(app):
    if not app.config["DATABASE_URL"].startswith("postgresql"):
        pytest.skip("concurrency is tested on PostgreSQL (SQLite serialises writers)")


class TestConcurrency:
    def test_three_workers_at_once_deliver_each_event_exactly_once(
            self, postgresql_only, act, app, client, session, coordinator, agency, token, webhook_sink):
        endpoint(act, session, coordinator, agency, webhook_sink.url)
        created = file(client, token, series={"recurrence": "weekly", "count": 26}).get_json()["items"]
        for item in created:
            assert client.post(f"/api/v1/requests/{item['id']}/cancel", json={"reason": "Kurs fällt aus"},
                               headers=auth(token)).status_code == 200
        start = threading.Barrier(3)

        def work():
            start.wait()
            outbox.deliver_due(app, limit=5)

        workers = [threading.Thread(target=work) for _ in range(3)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        ids = [d.event["id"] for d in webhook_sink.deliveries]
        assert len(ids) == 26 and len(set(ids)) == 26
        assert sorted(e["data"]["request_id"] for e in webhook_sink.events()) == sorted(i["id"] for i in created)

    def test_the_same_idempotency_key_at_the_same_moment_files_once(self, postgresql_only, app, session, token):
        start, answers_ = threading.Barrier(4), []

        def post():
            start.wait()
            answer = app.test_client().post("/api/v1/requests", json=body(),
                                            headers=auth(token, **{"Idempotency-Key": "doppelklick"}))
            answers_.append((answer.status_code, answer.get_json()))

        threads = [threading.Thread(target=post) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert [status for status, _body in answers_] == [201] * 4
        assert len({json.dumps(answer, sort_keys=True) for _status, answer in answers_}) == 1
        session.rollback()
        assert session.scalar(select(func.count()).select_from(HelpRequest)) == 1


def test_every_api_route_takes_a_token_and_nothing_else(app, client, coordinator):
    sign_in(client, coordinator.email)  # a browser's session opens no API route
    checked = 0
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if rule.endpoint.startswith("api."):
            assert view.lotsen_access == "token"
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                url = rule.rule.replace("<int:request_id>", "1").replace("<int:record_id>", "1")
                answer = client.open(url, method=method, json={})
                assert answer.status_code == 401, (method, url)
                assert answer.headers["Content-Type"] == "application/problem+json"
                checked += 1
        elif rule.rule.startswith("/api/"):
            assert rule.endpoint.startswith("api_docs.") and view.lotsen_access == "public"
    assert checked == 10


def test_the_openapi_document_and_its_offline_docs_page(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"] == "3.1.0"
    assert set(spec["paths"]) >= {"/api/v1/requests", "/api/v1/requests/{request_id}",
                                  "/api/v1/requests/{request_id}/cancel", "/api/v1/records",
                                  "/api/v1/records/{record_id}/confirm", "/api/v1/records/{record_id}/dispute"}
    assert spec["components"]["securitySchemes"]["token"] == {
        "type": "http", "scheme": "bearer", "description": spec["components"]["securitySchemes"]["token"]["description"]}
    problem = spec["components"]["responses"]["PROBLEM"]["content"]
    assert list(problem) == ["application/problem+json"]
    page = client.get("/api/v1/docs")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "script-src 'self'" in page.headers["Content-Security-Policy"]
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', text):
        with client.get(asset) as served:
            assert served.status_code == 200, asset
    assert "http" not in "".join(re.findall(r'src="([^"]+)"', text))  # nothing from elsewhere
