"""The API under /api/v1: an agency's system does what its caseworkers do, with a token.

Thin views as elsewhere: load within the token's reach, check the scope, call the same services the pages
call, and answer in JSON. Every call is authenticated by its bearer token alone (never a browser's
session cookie, so CSRF does not apply), throttled per token, and audited.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import hashlib
import json

from flask import current_app, g, request, url_for
from flask_smorest import Blueprint
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lotsen import clock, db, security
from lotsen import languages as catalogue
from lotsen.acting import Acting
from lotsen.api import tokens
from lotsen.api import schemas as s
from lotsen.api.models import ApiToken, IdempotentResponse, Scope
from lotsen.api.problems import ApiProblem
from lotsen.assignments import changes
from lotsen.assignments.loading import live_assignment
from lotsen.audit.services import record_by
from lotsen.billing import records
from lotsen.billing.lifecycle import RecordStatus
from lotsen.billing.models import AssignmentRecord
from lotsen.errors import DomainError
from lotsen.extensions import csrf, limiter
from lotsen.forms import unsafe_text
from lotsen.i18n import _
from lotsen.offices.models import Agency, Office
from lotsen.requests import services
from lotsen.requests.history import history_for
from lotsen.requests.lifecycle import RequestStatus
from lotsen.requests.models import HelpRequest
from lotsen.requests.timing import to_utc
from lotsen.volunteers.models import Mode
from lotsen.volunteers.services import phone_of

blp = Blueprint("api", __name__, url_prefix="/api/v1", description=(
    "Requests, their history and the assignment records of one agency, for the agency's own systems."))
csrf.exempt(blp)

# What a refused change names, in the API's words (the forms' field names otherwise).
FIELD_NAMES = {"day": "date", "confirm_duplicate": "allow_duplicate", "inform_user_id": "inform.caseworker_id",
               "inform_name": "inform.name", "inform_email": "inform.email", "inform_phone": "inform.phone",
               "count": "series.count", "recurrence": "series.recurrence", "is_urgent": "urgent"}
PROBLEM_RESPONSES = (400, 401, 403, 404, 405, 409, 413, 415, 422, 429)


# ----------------------------------------------------------------------------------------------- plumbing

def _bearer() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def throttle_key() -> str:
    """Calls are counted per token (by its hash: the token itself is never kept, not even in Redis)."""
    raw = _bearer()
    return "api:" + (tokens.digest(raw)[:32] if raw else f"anonymous:{request.remote_addr}")


limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=throttle_key)(blp)


@blp.before_request
def authenticate():
    raw = _bearer()
    token = tokens.find(db.session(), raw) if raw else None
    if token is None or not token.is_live(clock.now()):
        security.event("api.refused", reason="missing" if not raw else "invalid" if token is None else
                       "revoked" if token.revoked_at else "expired", token=getattr(token, "id", None))
        raise ApiProblem("unauthorized", _("Send a valid token: Authorization: Bearer <token>.") if not raw else
                         _("This token is not valid, has expired or was revoked."))
    g.api_token, g.api_client = token, tokens.client(token)


@blp.after_request
def audit_use(response):
    """Every call is kept in the audit log, with the token and the answer; a refused one too."""
    token = g.get("api_token")
    if token is None:
        return response
    session = db.session()
    refused = response.status_code >= 400 or g.get("lotsen_rollback")
    if refused:  # the call's writes go; the record of the call stays
        session.rollback()
        db.begin_writing(session)  # (SQLite: as a writer from the start, so it waits for others instead of failing)
        token = session.get(ApiToken, token.id)
    token.last_used_at = clock.now()
    record_by(session, _acting(), "api.used", subject=token, office_id=min(token.office_ids or [0]) or None,
              details={"method": request.method, "path": request.path[:200], "status": response.status_code})
    if refused:
        session.commit()
    return response


def _acting() -> Acting:
    return Acting(g.api_client, clock.now(), str(clock.zone().key), request.remote_addr or "")


def needs(scope: Scope):
    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if not g.api_token.allows(scope):
                raise ApiProblem("forbidden", _("This token lacks the permission “%(scope)s”.", scope=scope.title))
            return view(*args, **kwargs)

        wrapped._apidoc.setdefault("manual_doc", {})["security"] = [{"token": [scope.value]}]
        return wrapped

    return decorator


def idempotent(view):
    """``Idempotency-Key`` on a POST: the first answer is kept (with the call's changes, in its transaction)
    and given again to a retry with the same key; the same key with another body is refused."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return view(*args, **kwargs)
        if not 1 <= len(key) <= 255 or unsafe_text(key):
            raise ApiProblem("validation", errors={"Idempotency-Key": [_("Use at most 255 plain characters.")]})
        session, token_id = db.session(), g.api_token.id
        fingerprint = hashlib.sha256(b"\n".join([request.method.encode(), request.path.encode(),
                                                 request.get_data()])).hexdigest()
        kept = _kept(session, token_id, key)
        if kept is None:
            try:
                with session.begin_nested():
                    session.add(IdempotentResponse(token_id=token_id, key=key, fingerprint=fingerprint,
                                                   created_at=clock.now()))
                    session.flush()
            except IntegrityError:  # the same key at this very moment: the first call has committed meanwhile
                kept = _kept(session, token_id, key)
        if kept is not None:
            if kept.fingerprint != fingerprint:
                raise ApiProblem("idempotency-key-reused")
            replay = current_app.response_class(kept.body, status=kept.status_code, mimetype="application/json")
            if kept.location:
                replay.headers["Location"] = kept.location
            replay.headers["Idempotent-Replayed"] = "true"
            return replay
        answer = view(*args, **kwargs)
        entry = _kept(session, token_id, key)
        entry.status_code, entry.body = answer.status_code, answer.get_data(as_text=True)
        entry.location = answer.headers.get("Location", "")[:500]
        return answer

    return wrapped


def _kept(session, token_id: int, key: str) -> IdempotentResponse | None:
    return session.scalar(select(IdempotentResponse).where(IdempotentResponse.token_id == token_id,
                                                           IdempotentResponse.key == key))


def refused(error: DomainError, *, conflict_without_field: bool = True) -> ApiProblem:
    """A service's refusal as the API says it: a field error (422), or a conflict with the state (409)."""
    if error.field or not conflict_without_field:
        name = FIELD_NAMES.get(error.field or "", error.field or "_schema")
        return ApiProblem("validation", errors={name: [error.message]},
                          duplicates=[d.id for d in getattr(error, "duplicates", [])] or None)
    return ApiProblem("conflict", error.message)


def _load_request(request_id: int) -> HelpRequest:
    found = db.session().get(HelpRequest, request_id)
    if found is None or not found.can_view(g.api_client):
        raise ApiProblem("not-found")
    return found


def _load_record(record_id: int) -> AssignmentRecord:
    found = db.session().get(AssignmentRecord, record_id)
    if found is None or not found.is_agency(g.api_client):
        raise ApiProblem("not-found")
    return found


def documented(view):
    """The problems every operation may answer, in the OpenAPI document."""
    for status in PROBLEM_RESPONSES:
        view = blp.alt_response(status, response="PROBLEM")(view)
    return view


# ----------------------------------------------------------------------------------------------- shapes

def request_out(req: HelpRequest) -> dict:
    on_site = req.mode is Mode.ON_SITE
    return {
        "id": req.id, "status": req.status.value, "status_title": str(req.status.title),
        "office": {"id": req.office.id, "name": req.office.name}, "kind": req.kind.value,
        "language": req.language, "language_name": catalogue.name(req.language), "variety": req.variety,
        "mode": req.mode.value, "starts_at": s.utc(req.starts_at), "ends_at": s.utc(req.ends_at),
        "duration_minutes": req.duration_minutes,
        "place": {"street": req.street, "postcode": req.postcode, "town": req.town} if on_site else None,
        "topic": req.topic.value,
        "gender_preference": req.gender_preference.value if req.gender_preference else None,
        "client_reference": req.client_reference, "contact_name": req.contact_name,
        "contact_phone": req.contact_phone, "notes": req.notes, "urgent": req.is_urgent,
        "series_id": req.series_id, "cancelled_late": req.cancelled_late,
        "unfilled_reason": req.unfilled_reason.value if req.unfilled_reason else None,
        "created_at": s.utc(req.created_at), "updated_at": s.utc(req.updated_at),
    }


def request_detail(req: HelpRequest) -> dict:
    """Everything the agency may see of a request: its confirmed volunteer's first name and phone, and the
    history as ``requests.history`` lets the agency read it."""
    session = db.session()
    assignment = live_assignment(session, req)
    volunteer = {"first_name": assignment.volunteer.first_name,
                 "phone": phone_of(session, assignment.volunteer_id)} if assignment is not None else None
    history = [{"at": s.utc(entry.at), "action": entry.action, "title": entry.title, "by": entry.who,
                "note": entry.note, "late": entry.late} for entry in history_for(req, g.api_client)]
    return {**request_out(req), "volunteer": volunteer, "history": history}


def record_out(entry: AssignmentRecord) -> dict:
    return {"id": entry.id, "request_id": entry.assignment.request_id, "version": entry.version,
            "status": entry.status.value, "outcome": entry.outcome.value, "starts_at": s.utc(entry.starts_at),
            "ends_at": s.utc(entry.ends_at), "minutes": entry.minutes,
            "volunteer_first_name": entry.volunteer.first_name if entry.volunteer else "",
            "confirm_by": s.utc(entry.confirm_by), "answered_at": s.utc(entry.answered_at)}


def _cursor(*values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _read_cursor(cursor: str, count: int) -> list | None:
    if not cursor:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if isinstance(values, list) and len(values) == count:
            return values
    except (ValueError, binascii.Error, UnicodeDecodeError):
        pass
    raise ApiProblem("validation", errors={"cursor": [_("Use the next_cursor of the previous page.")]})


# ----------------------------------------------------------------------------------------------- the token

@blp.route("/me")
@documented
@blp.response(200, s.MeOut)
def me():
    """Show the token.

    Its agency, the offices it reaches, its scopes and expiry, and the webhook event types."""
    token, session = g.api_token, db.session()
    offices = session.scalars(select(Office).where(Office.id.in_(token.office_ids or [])).order_by(Office.name))
    from lotsen.api.webhooks import EVENT_TYPES

    return {"token": token.name, "agency": {"id": token.agency.id, "name": token.agency.name},
            "offices": [{"id": o.id, "name": o.name} for o in offices], "scopes": token.scopes,
            "expires_at": s.utc(token.expires_at), "webhook_events": EVENT_TYPES}


# ----------------------------------------------------------------------------------------------- requests

@blp.route("/requests")
@documented
@needs(Scope.READ_REQUESTS)
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
    after = _read_cursor(cursor, 2)
    if after is not None:
        try:
            moment, last_id = dt.datetime.fromisoformat(after[0]), int(after[1])
        except (TypeError, ValueError):
            raise ApiProblem("validation", errors={"cursor": [_("Use the next_cursor of the previous page.")]}) \
                from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.timezone.utc)
        query = query.where((HelpRequest.starts_at > moment)
                            | ((HelpRequest.starts_at == moment) & (HelpRequest.id > last_id)))
    rows = db.session().scalars(query.order_by(HelpRequest.starts_at, HelpRequest.id).limit(limit + 1)).all()
    page, more = rows[:limit], len(rows) > limit
    return {"items": [request_out(r) for r in page],
            "next_cursor": _cursor(s.utc(page[-1].starts_at).isoformat(), page[-1].id) if more else None}


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
@documented
@needs(Scope.WRITE_REQUESTS)
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
    reachable = [o for o in services.offices_of(agency, client)]
    office = next((o for o in reachable if o.id == body["office_id"]), None) if body["office_id"] else (
        reachable[0] if len(reachable) == 1 else None)
    if office is None:
        raise ApiProblem("validation", errors={"office_id": [_("Name one of the offices this token reaches.")]})
    series = body["series"] or {}
    try:
        created = services.create_requests(
            session, client, office, agency, _data(body), now=clock.now(), zone=clock.zone(),
            recurrence=series.get("recurrence", ""), count=series.get("count", 1),
            allow_duplicate=body["allow_duplicate"])
    except DomainError as error:
        raise refused(error, conflict_without_field=False) from None
    return {"items": [request_out(r) for r in created]}, 201, {
        "Location": url_for("api.show_request", request_id=created[0].id)}


@blp.route("/requests/<int:request_id>")
@documented
@needs(Scope.READ_REQUESTS)
@blp.response(200, s.RequestDetailOut)
def show_request(request_id: int):
    """Show a request.

    Its status, its confirmed volunteer (first name and phone) and its history, as the agency may see them."""
    return request_detail(_load_request(request_id))


@blp.route("/requests/<int:request_id>", methods=["PATCH"])
@documented
@needs(Scope.WRITE_REQUESTS)
@blp.arguments(s.RequestChangeIn)
@blp.response(200, s.RequestDetailOut)
def change_request(body, request_id: int):
    """Change a request's time or place.

    Possible while nobody has been asked yet (409 afterwards: the office is to be called)."""
    found = _load_request(request_id)
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
    try:
        services.update_request(db.session(), g.api_client, found, data, now=clock.now(), zone=zone,
                                allow_duplicate=True)
    except DomainError as error:
        raise refused(error) from None
    return request_detail(found)


@blp.route("/requests/<int:request_id>/cancel", methods=["POST"])
@documented
@needs(Scope.WRITE_REQUESTS)
@idempotent
@blp.arguments(s.CancelIn)
@blp.response(200, s.RequestDetailOut)
def cancel_request(body, request_id: int):
    """Cancel a request.

    With a reason; ``cancelled_late`` says whether it was closer to the start than the office's
    late-cancellation time."""
    found = _load_request(request_id)
    if not found.can_cancel(g.api_client):
        raise ApiProblem("conflict", _("This request can no longer be cancelled."))
    try:
        changes.cancel(db.session(), _acting(), found.id, body["reason"])
    except DomainError as error:
        raise refused(error) from None
    return request_detail(found)


# ----------------------------------------------------------------------------------------------- records

@blp.route("/records")
@documented
@needs(Scope.CONFIRM_RECORDS)
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
    after = _read_cursor(cursor, 1)
    if after is not None:
        if not isinstance(after[0], int):
            raise ApiProblem("validation", errors={"cursor": [_("Use the next_cursor of the previous page.")]})
        query = query.where(AssignmentRecord.id > after[0])
    rows = db.session().scalars(query.order_by(AssignmentRecord.id).limit(limit + 1)).all()
    page, more = rows[:limit], len(rows) > limit
    return {"items": [record_out(r) for r in page], "next_cursor": _cursor(page[-1].id) if more else None}


@blp.route("/records/<int:record_id>")
@documented
@needs(Scope.CONFIRM_RECORDS)
@blp.response(200, s.RecordOut)
def show_record(record_id: int):
    """Show a record.

    Date, times, duration and the volunteer's first name."""
    return record_out(_load_record(record_id))


def _answer(record_id: int, version: int, *, confirmed: bool, comment: str = "") -> dict:
    entry = _load_record(record_id)
    try:
        records.answer(db.session(), _acting(), entry.id, version, confirmed=confirmed, comment=comment, via="api")
    except DomainError as error:
        raise refused(error) from None
    return record_out(entry)


@blp.route("/records/<int:record_id>/confirm", methods=["POST"])
@documented
@needs(Scope.CONFIRM_RECORDS)
@idempotent
@blp.arguments(s.AnswerIn)
@blp.response(200, s.RecordOut)
def confirm_record(body, record_id: int):
    """Confirm a record.

    Confirms the record's ``version`` as the agency, as the one-time link in the mail does."""
    return _answer(record_id, body["version"], confirmed=True)


@blp.route("/records/<int:record_id>/dispute", methods=["POST"])
@documented
@needs(Scope.CONFIRM_RECORDS)
@idempotent
@blp.arguments(s.DisputeIn)
@blp.response(200, s.RecordOut)
def dispute_record(body, record_id: int):
    """Dispute a record.

    Says what is not right with the record's ``version``; the office is told and decides."""
    return _answer(record_id, body["version"], confirmed=False, comment=body["comment"])
