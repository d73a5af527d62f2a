"""The API's operations under /api/v1: an agency's system does what its caseworkers do, with a token.

Thin views as elsewhere: load within the token's reach, call the same services the pages call, and answer in
JSON. How a call is authenticated, throttled, scoped, audited and kept for retries: ``lotsen/api/calls.py``;
what it answers: ``lotsen/api/shapes.py``.
"""

from __future__ import annotations

import datetime as dt

from flask import g, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from lotsen import clock, db
from lotsen.api import schemas as s
from lotsen.api.calls import acting, blp, idempotent, load_record, load_request, operation, refusals
from lotsen.api.models import Scope
from lotsen.api.problems import ApiProblem
from lotsen.api.shapes import bad_cursor, cursor_of, read_cursor, record_out, request_detail, request_out
from lotsen.api.webhooks import EVENT_TYPES
from lotsen.assignments import changes
from lotsen.billing import records
from lotsen.billing.lifecycle import RecordStatus
from lotsen.billing.models import AssignmentRecord
from lotsen.i18n import _
from lotsen.offices.models import Agency, Office
from lotsen.requests import services
from lotsen.requests.lifecycle import RequestStatus
from lotsen.requests.models import HelpRequest
from lotsen.requests.timing import to_utc


# ----------------------------------------------------------------------------------------------- the token

@blp.route("/me")
@operation()
@blp.response(200, s.MeOut)
def me():
    """Show the token.

    Its agency, the offices it reaches, its scopes and expiry, and the webhook event types."""
    token, session = g.api_token, db.session()
    offices = session.scalars(select(Office).where(Office.id.in_(token.office_ids or [])).order_by(Office.name))
    return {"token": token.name, "agency": {"id": token.agency.id, "name": token.agency.name},
            "offices": [{"id": o.id, "name": o.name} for o in offices], "scopes": token.scopes,
            "expires_at": s.utc(token.expires_at), "webhook_events": EVENT_TYPES}


# ----------------------------------------------------------------------------------------------- requests

@blp.route("/requests")
@operation(Scope.READ_REQUESTS)
@blp.arguments(s.ListArgs, location="query", as_kwargs=True)
@blp.response(200, s.RequestPageOut)
def list_requests(status, starts_from, starts_before, reference, limit, cursor):
    """List the agency's requests.

    By start time; the next page follows ``next_cursor``."""
    client, zone = g.api_client, clock.zone()
    query = (select(HelpRequest).where(HelpRequest.agency_id == client.agency_id,
                                       HelpRequest.office_id.in_(sorted(client.office_ids)))
             .options(selectinload(HelpRequest.office)))
    if status:
        query = query.where(HelpRequest.status.in_([RequestStatus(value) for value in status]))
    if starts_from:
        query = query.where(HelpRequest.starts_at >= to_utc(starts_from, dt.time(), zone))
    if starts_before:
        query = query.where(HelpRequest.starts_at < to_utc(starts_before, dt.time(), zone))
    if reference.strip():
        query = query.where(func.lower(HelpRequest.client_reference).contains(reference.strip().lower(),
                                                                              autoescape=True))
    after = read_cursor(cursor, 2)
    if after is not None:
        try:
            moment, last_id = dt.datetime.fromisoformat(after[0]), int(after[1])
        except (TypeError, ValueError):
            raise bad_cursor() from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.timezone.utc)
        query = query.where((HelpRequest.starts_at > moment)
                            | ((HelpRequest.starts_at == moment) & (HelpRequest.id > last_id)))
    rows = db.session().scalars(query.order_by(HelpRequest.starts_at, HelpRequest.id).limit(limit + 1)).all()
    page, more = rows[:limit], len(rows) > limit
    return {"items": [request_out(r) for r in page],
            "next_cursor": cursor_of(s.utc(page[-1].starts_at).isoformat(), page[-1].id) if more else None}


def _data(body: dict) -> services.RequestData:
    inform = body.get("inform") or {}
    return services.RequestData(
        kind=body["kind"], language=body["language"], mode=body["mode"], day=body["date"], start=body["start"],
        duration_minutes=body["duration_minutes"], topic=body["topic"], variety=body["variety"],
        street=body["street"], postcode=body["postcode"], town=body["town"],
        gender_preference=body["gender_preference"], client_reference=body["client_reference"],
        contact_name=body["contact_name"], contact_phone=body["contact_phone"], notes=body["notes"],
        is_urgent=body["urgent"], involves=list(body["involves"]), inform_user_id=inform.get("caseworker_id"),
        inform_name=inform.get("name", ""), inform_email=inform.get("email", ""),
        inform_phone=inform.get("phone", ""))


@blp.route("/requests", methods=["POST"])
@operation(Scope.WRITE_REQUESTS)
@idempotent
@blp.arguments(s.RequestIn)
@blp.response(201, s.CreatedOut)
def create_request(body):
    """File a request or a series.

    One request, or a weekly or fortnightly series, under the same rules as the form: the office's lead time,
    excluded settings, maximum duration and the duplicate check, each answered as a field error. Send an
    ``Idempotency-Key`` header to retry safely."""
    session, client = db.session(), g.api_client
    agency = session.get(Agency, client.agency_id)
    reachable = services.offices_of(agency, client)
    office = next((o for o in reachable if o.id == body["office_id"]), None) if body["office_id"] else (
        reachable[0] if len(reachable) == 1 else None)
    if office is None:
        raise ApiProblem("validation", errors={"office_id": [_("Name one of the offices this token reaches.")]})
    series = body["series"] or {}
    with refusals(conflict_without_field=False):
        created = services.create_requests(
            session, client, office, agency, _data(body), now=clock.now(), zone=clock.zone(),
            recurrence=series.get("recurrence", ""), count=series.get("count", 1),
            allow_duplicate=body["allow_duplicate"], address=acting().address)
    return {"items": [request_out(r) for r in created]}, 201, {
        "Location": url_for("api.show_request", request_id=created[0].id)}


@blp.route("/requests/<int:request_id>")
@operation(Scope.READ_REQUESTS)
@blp.response(200, s.RequestDetailOut)
def show_request(request_id: int):
    """Show a request.

    Its status, its confirmed volunteer (first name and phone) and its history, as the agency may see them."""
    return request_detail(load_request(request_id))


@blp.route("/requests/<int:request_id>", methods=["PATCH"])
@operation(Scope.WRITE_REQUESTS)
@blp.arguments(s.RequestChangeIn)
@blp.response(200, s.RequestDetailOut)
def change_request(body, request_id: int):
    """Change a request's time or place.

    Possible while nobody has been asked yet (409 afterwards: the office is to be called)."""
    found = load_request(request_id)
    if not found.can_edit(g.api_client):
        raise ApiProblem("conflict", _("Only open requests can be changed. Please call the coordinating office."))
    zone = clock.zone()
    local = found.starts_at.astimezone(zone)
    data = services.RequestData(
        kind=found.kind.value, language=found.language, mode=body.get("mode", found.mode.value),
        day=body.get("date", local.date()), start=body.get("start", local.time()),
        duration_minutes=body.get("duration_minutes", found.duration_minutes), topic=found.topic.value,
        variety=found.variety, street=body.get("street", found.street), postcode=body.get("postcode", found.postcode),
        town=body.get("town", found.town),
        gender_preference=found.gender_preference.value if found.gender_preference else "",
        client_reference=found.client_reference, contact_name=found.contact_name,
        contact_phone=found.contact_phone, notes=found.notes, is_urgent=found.is_urgent)
    with refusals():
        services.update_request(db.session(), g.api_client, found, data, now=clock.now(), zone=zone,
                                allow_duplicate=True, address=acting().address)
    return request_detail(found)


@blp.route("/requests/<int:request_id>/cancel", methods=["POST"])
@operation(Scope.WRITE_REQUESTS)
@idempotent
@blp.arguments(s.CancelIn)
@blp.response(200, s.RequestDetailOut)
def cancel_request(body, request_id: int):
    """Cancel a request.

    With a reason; ``cancelled_late`` says whether it was closer to the start than the office's
    late-cancellation time."""
    found = load_request(request_id)
    if not found.can_cancel(g.api_client):
        raise ApiProblem("conflict", _("This request can no longer be cancelled."))
    with refusals():
        changes.cancel(db.session(), acting(), found.id, body["reason"])
    return request_detail(found)


# ----------------------------------------------------------------------------------------------- records

@blp.route("/records")
@operation(Scope.CONFIRM_RECORDS)
@blp.arguments(s.RecordListArgs, location="query", as_kwargs=True)
@blp.response(200, s.RecordPageOut)
def list_records(limit, cursor):
    """List records awaiting confirmation.

    The agency's assignment records waiting for its answer, oldest first."""
    client, now = g.api_client, clock.now()
    query = (select(AssignmentRecord).where(
        AssignmentRecord.agency_id == client.agency_id, AssignmentRecord.office_id.in_(sorted(client.office_ids)),
        AssignmentRecord.status == RecordStatus.SUBMITTED, AssignmentRecord.confirm_by >= now)
        .options(selectinload(AssignmentRecord.volunteer), selectinload(AssignmentRecord.assignment)))
    after = read_cursor(cursor, 1)
    if after is not None:
        if not isinstance(after[0], int):
            raise bad_cursor()
        query = query.where(AssignmentRecord.id > after[0])
    rows = db.session().scalars(query.order_by(AssignmentRecord.id).limit(limit + 1)).all()
    page, more = rows[:limit], len(rows) > limit
    return {"items": [record_out(r) for r in page], "next_cursor": cursor_of(page[-1].id) if more else None}


@blp.route("/records/<int:record_id>")
@operation(Scope.CONFIRM_RECORDS)
@blp.response(200, s.RecordOut)
def show_record(record_id: int):
    """Show a record.

    Date, times, duration and the volunteer's first name."""
    return record_out(load_record(record_id))


def _answer(record_id: int, version: int, *, confirmed: bool, comment: str = "") -> dict:
    entry = load_record(record_id)
    with refusals():
        records.answer(db.session(), acting(), entry.id, version, confirmed=confirmed, comment=comment, via="api")
    return record_out(entry)


@blp.route("/records/<int:record_id>/confirm", methods=["POST"])
@operation(Scope.CONFIRM_RECORDS)
@idempotent
@blp.arguments(s.AnswerIn)
@blp.response(200, s.RecordOut)
def confirm_record(body, record_id: int):
    """Confirm a record.

    Confirms the record's ``version`` as the agency, as the one-time link in the mail does."""
    return _answer(record_id, body["version"], confirmed=True)


@blp.route("/records/<int:record_id>/dispute", methods=["POST"])
@operation(Scope.CONFIRM_RECORDS)
@idempotent
@blp.arguments(s.DisputeIn)
@blp.response(200, s.RecordOut)
def dispute_record(body, record_id: int):
    """Dispute a record.

    Says what is not right with the record's ``version``; the office is told and decides."""
    return _answer(record_id, body["version"], confirmed=False, comment=body["comment"])
