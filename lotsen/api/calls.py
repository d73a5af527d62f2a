"""How a call to the API is handled: the blueprint, its bearer token (never a browser's session cookie, so
CSRF does not apply), its throttle per token, its scope, its audit record, ``Idempotency-Key``, and refusals
as problem details. The operations themselves are in ``lotsen/api/views.py``."""

from __future__ import annotations

import contextlib
import functools
import hashlib

from flask import current_app, g, request
from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lotsen import clock, db, security
from lotsen.acting import Acting
from lotsen.api import tokens
from lotsen.api.models import ApiToken, IdempotentResponse, Scope
from lotsen.api.problems import ApiProblem
from lotsen.audit.services import record_by
from lotsen.billing.models import AssignmentRecord
from lotsen.errors import DomainError
from lotsen.extensions import csrf, limiter
from lotsen.forms import unsafe_text
from lotsen.i18n import _
from lotsen.requests.models import HelpRequest

blp = Blueprint("api", __name__, url_prefix="/api/v1", description=(
    "Requests, their history and the assignment records of one agency, for the agency's own systems."))
csrf.exempt(blp)

# What a refused change names, in the API's words (the forms' field names otherwise).
FIELD_NAMES = {"day": "date", "confirm_duplicate": "allow_duplicate", "inform_user_id": "inform.caseworker_id",
               "inform_name": "inform.name", "inform_email": "inform.email", "inform_phone": "inform.phone",
               "count": "series.count", "recurrence": "series.recurrence", "is_urgent": "urgent"}
PROBLEM_RESPONSES = (400, 401, 403, 404, 405, 409, 413, 415, 422, 429)


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
    record_by(session, acting(), "api.used", subject=token, office_id=min(token.office_ids or [0]) or None,
              details={"method": request.method, "path": request.path[:200], "status": response.status_code})
    if refused:
        session.commit()
    return response


def acting() -> Acting:
    return Acting(g.api_client, clock.now(), str(clock.zone().key), request.remote_addr or "")


def operation(scope: Scope | None = None):
    """An operation of the API: the problems it may answer in the OpenAPI document, and the scope its token
    needs (named in the document too)."""

    def decorator(view):
        if scope is not None:
            checked = view

            @functools.wraps(checked)
            def view(*args, **kwargs):
                if not g.api_token.allows(scope):
                    raise ApiProblem("forbidden", _("This token lacks the permission “%(scope)s”.",
                                                    scope=scope.title))
                return checked(*args, **kwargs)

            view._apidoc.setdefault("manual_doc", {})["security"] = [{"token": [scope.value]}]
        for status in PROBLEM_RESPONSES:
            view = blp.alt_response(status, response="PROBLEM")(view)
        return view

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
            entry = IdempotentResponse(token_id=token_id, key=key, fingerprint=fingerprint, created_at=clock.now())
            try:
                with session.begin_nested():
                    session.add(entry)
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
        entry.status_code, entry.body = answer.status_code, answer.get_data(as_text=True)
        entry.location = answer.headers.get("Location", "")[:500]
        return answer

    return wrapped


def _kept(session, token_id: int, key: str) -> IdempotentResponse | None:
    return session.scalar(select(IdempotentResponse).where(IdempotentResponse.token_id == token_id,
                                                           IdempotentResponse.key == key))


@contextlib.contextmanager
def refusals(*, conflict_without_field: bool = True):
    """A service's refusal inside becomes the API's answer: a field error (422), or a conflict with the state
    (409; with ``conflict_without_field`` False, a refusal without a field is a validation error too)."""
    try:
        yield
    except DomainError as error:
        if error.field or not conflict_without_field:
            name = FIELD_NAMES.get(error.field or "", error.field or "_schema")
            raise ApiProblem("validation", errors={name: [error.message]},
                             duplicates=[d.id for d in getattr(error, "duplicates", [])] or None) from None
        raise ApiProblem("conflict", error.message) from None


def load_request(request_id: int) -> HelpRequest:
    found = db.session().get(HelpRequest, request_id)
    if found is None or not found.can_view(g.api_client):
        raise ApiProblem("not-found")
    return found


def load_record(record_id: int) -> AssignmentRecord:
    found = db.session().get(AssignmentRecord, record_id)
    if found is None or not found.is_agency(g.api_client):
        raise ApiProblem("not-found")
    return found
