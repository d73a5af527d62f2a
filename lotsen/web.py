"""Request plumbing: one commit per request, error pages, security headers, role guards."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote as url_quote

from flask import Flask, Response, abort, current_app, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from lotsen import clock, db, security
from lotsen.acting import Acting
from lotsen.api import problems
from lotsen.auth.models import Role
from lotsen.auth.permissions import coordinates
from lotsen.errors import DomainError
from lotsen.offices.models import Office

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)


MAX_ID = 2**31 - 1  # ids are 32-bit integers in the database: a larger one names nothing (404, not an error)
MAX_PAGE = 10_000


class IdConverter(IntegerConverter):
    """``<int:...>`` in routes: a whole number from 0 up to MAX_ID; anything else does not match (404)."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002  (werkzeug's name)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def page_number() -> int:
    """The ``?page=`` of a list, between 1 and MAX_PAGE whatever was sent."""
    return min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)


def arg_id(name: str) -> int | None:
    """An id from the query string, or None when missing or out of range."""
    value = request.args.get(name, type=int)
    return value if value is not None and 0 < value <= MAX_ID else None


def public(view):
    """Mark a view as open to anonymous visitors (the route test checks every view is marked)."""
    view.lotsen_access = "public"
    return view


def roles_required(*roles: Role, pending_ok: bool = False):
    """Let signed-in users with one of ``roles`` in; others get 403, anonymous visitors the login page.

    Volunteers still awaiting vetting are let in only where ``pending_ok`` says so.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            if current_user.is_pending and not pending_ok:
                abort(403)
            return view(*args, **kwargs)

        guarded = login_required(wrapped)
        guarded.lotsen_access = frozenset(roles)
        guarded.lotsen_pending_ok = pending_ok
        return guarded

    return decorator


def any_user(view):
    """Any signed-in user, including a volunteer who is still awaiting vetting."""
    return roles_required(*Role, pending_ok=True)(view)


def writes(view):
    """Mark a view that writes although it is read with GET (an export leaves a row in the audit log): its
    request begins as a writer (``db.session``), so on SQLite it waits for another writer instead of failing
    with "database is locked" when it comes to write."""
    view.lotsen_writes = True
    return view


def acting() -> Acting:
    """Who acts in this request, from where, and now: what services are told instead of reading it."""
    user = current_user._get_current_object() if current_user.is_authenticated else None
    return Acting(user, clock.now(), str(clock.zone().key), request.remote_addr or "")


def load(model, ident: int, check: str | Callable = "can_view", *args):
    """Load, check, act: the record with this id, or 404 when it is missing or the signed-in user may not see it.

    ``check`` names a predicate of the record asked with the user (and ``args``), e.g. ``"can_coordinate"``,
    or is a function of the record. Missing and forbidden look alike, so ids of others reveal nothing.
    """
    record = db.session().get(model, ident)
    if record is None:
        abort(404)
    allowed = getattr(record, check)(current_user, *args) if isinstance(check, str) else check(record)
    if not allowed:
        abort(404)
    return record


def office_in_charge(*, first_for_admins: bool = False):
    """The office a page works on: the one an admin names with ``?office_id=``, else the coordinator's own;
    404 unless the user coordinates it. An admin who names none is sent to choose one, or
    (``first_for_admins``, for pages that let them switch) given the first office by name."""
    session = db.session()
    office_id = arg_id("office_id") or current_user.office_id
    if office_id is None and current_user.is_admin:
        if not first_for_admins:
            abort(redirect(url_for("offices.list_offices")))  # abort carries the redirect
        office_id = session.scalar(select(Office.id).order_by(Office.name).limit(1))
    office = session.get(Office, office_id) if office_id else None
    if office is None or not coordinates(current_user, office.id):
        abort(404)
    return office


@dataclass(frozen=True)
class Done:
    """A change that was made; ``value`` is what the service returned."""

    value: Any = None


def submit(form, change: Callable[[], Any]) -> Done | None:
    """The form post of every page that changes something: validate the form, then make the change.

    Returns ``Done`` once the change was made. Returns None while the form is not (validly) sent, and when the
    service refused the change: its error then stands beside its field and the request's writes are discarded,
    so the caller shows the form again with the input kept.
    """
    if not form.validate_on_submit():
        return None
    try:
        return Done(change())
    except DomainError as error:
        show_error(form, error)
        return None


def show_error(form, error: DomainError) -> None:
    """Show a refused change beside its field (or above the form) and discard the request's writes."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = list(field.errors) + [error.message]
    else:
        form.form_errors.append(error.message)
    form_failed()


def form_failed() -> None:
    """Discard whatever the request flushed: the form is shown again with its errors."""
    g.lotsen_rollback = True
    db.session().rollback()


def _commit(response):
    db_session = g.get("db_session")
    if db_session is None:
        return response
    if response.status_code < 400 and not g.get("lotsen_rollback"):
        db_session.commit()
    else:
        db_session.rollback()
    return response


def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.endpoint != "static":
        # Pages carry personal data: never keep them in shared caches or the browser's history cache.
        response.headers.setdefault("Cache-Control", "no-store")
    if current_app.config.get("HSTS"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def is_api() -> bool:
    """The request is one to the API (/api/...): it is answered in problem details, never in HTML."""
    return request.path.startswith("/api/") and request.endpoint != "api_docs.docs"


def _error_page(error: HTTPException):
    if error.code is None or error.code < 400:
        return error  # routing redirects such as a missing trailing slash
    if is_api():
        if error.code == 429:
            security.event("throttled", api=True)
        return problems.of_http(error)
    _log_refusal(error.code)
    template = error.code if error.code in (400, 403, 404, 405, 413, 429) else "generic"
    return render_template(f"errors/{template}.html", error=error), error.code


def _log_refusal(code: int) -> None:
    """Refused access on a guarded route, and throttling, go to the security log."""
    view = current_app.view_functions.get(request.endpoint or "")
    guarded = view is not None and getattr(view, "lotsen_access", "public") != "public"
    if code == 429:
        security.event("throttled", user=_user_id())
    elif code in (401, 403) or (code == 404 and guarded):
        security.event("access.refused", status=code, user=_user_id(), endpoint=request.endpoint or "")


def _user_id() -> int | None:
    return current_user.id if current_user and current_user.is_authenticated else None


def _csrf_error(error: CSRFError):
    security.event("csrf.refused", user=_user_id())
    return render_template("errors/csrf.html", error=error), 400


def _server_error(error):
    original = getattr(error, "original_exception", error)
    log.error("unhandled error on %s %s", request.method, request.path, exc_info=original)
    db_session = g.get("db_session")
    if db_session is not None:
        db_session.rollback()
    if is_api():
        return problems.response("server-error")
    return render_template("errors/500.html"), 500


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = IdConverter
    app.after_request(_security_headers)
    # Registered last so it runs first: the commit happens before headers are added.
    app.after_request(_commit)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _error_page)
    app.register_error_handler(500, _server_error)
    app.register_error_handler(problems.ApiProblem, problems.of_problem)


def download(body: bytes | str, mimetype: str, filename: str) -> Response:
    """A file to save: every download of Lotsen. Its Content-Disposition names the file as it is for browsers
    that read RFC 6266's ``filename*``, with an ASCII stand-in for the rest."""
    fallback = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_" for ch in filename)
    disposition = f'attachment; filename="{fallback}"'
    if fallback != filename:
        disposition += f"; filename*=UTF-8''{url_quote(filename, safe='')}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": disposition})
