"""The API access page of an agency: tokens (issued, shown once, revoked), webhook endpoints and their recent
deliveries. For the coordinators of the offices the agency works with, admins, and the agency's lead
caseworker where the office allows it."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from lotsen import clock, db
from lotsen.api import tokens, webhooks
from lotsen.api.forms import TokenForm, WebhookForm
from lotsen.api.models import WebhookEndpoint
from lotsen.auth.models import Role
from lotsen.i18n import _
from lotsen.notifications.models import OutboxMessage
from lotsen.offices.models import Agency, Office
from lotsen.web import Done, acting, load, roles_required, submit

bp = Blueprint("api_access", __name__, url_prefix="/agencies/<int:agency_id>/api")
ROLES = (Role.CASEWORKER, Role.COORDINATOR, Role.ADMIN)


def _agency(agency_id: int) -> Agency:
    """The agency, or 404 unless the signed-in user may manage its API access."""
    return load(Agency, agency_id, lambda agency: tokens.can_manage(db.session(), current_user, agency))


def _endpoints(agency: Agency, mine: set[int] | None = None) -> list[WebhookEndpoint]:
    """The agency's active endpoints for an office whose access the user manages (``mine``, if known)."""
    mine = tokens.grantable_offices(db.session(), current_user, agency) if mine is None else mine
    return [e for e in db.session().scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.agency_id == agency.id, WebhookEndpoint.is_active.is_(True)).order_by(WebhookEndpoint.id))
        if mine & set(e.office_ids or [])]


def _page(agency: Agency, *, token_form=None, webhook_form=None, new_token: str = "", new_secret: str = ""):
    session = db.session()
    offices = tokens.grantable_offices(session, current_user, agency)
    token_form = token_form or TokenForm(formdata=None)
    if token_form.expires_on.data is None:
        token_form.expires_on.data = clock.today() + dt.timedelta(days=365)
    endpoints = _endpoints(agency, offices)
    office_names = {o.id: o.name for o in session.scalars(select(Office).where(Office.id.in_(sorted(offices))))}
    return render_template(
        "api/access.html", agency=agency, tokens=tokens.tokens_of(session, current_user, agency),
        token_form=token_form, webhook_form=webhook_form or WebhookForm(formdata=None), endpoints=endpoints,
        deliveries=webhooks.deliveries(session, endpoints), action_form=FlaskForm(), new_token=new_token,
        new_secret=new_secret, office_names=office_names, now=clock.now(),
        max_days=current_app.config["API_TOKEN_MAX_DAYS"])


@bp.route("/")
@roles_required(*ROLES)
def show(agency_id: int):
    return _page(_agency(agency_id))


@bp.route("/tokens", methods=["POST"])
@roles_required(*ROLES)
def issue_token(agency_id: int):
    """Issue a token: it is shown on the answer to this post, once, and never again."""
    agency = _agency(agency_id)
    form = TokenForm()
    done = submit(form, lambda: tokens.issue(
        db.session(), acting(), agency, name=form.name.data, scopes=form.scopes.data or [],
        expires_on=form.expires_on.data, zone=clock.zone(), max_days=current_app.config["API_TOKEN_MAX_DAYS"]))
    if isinstance(done, Done):
        flash(_("The token “%(name)s” has been issued. Copy it now: it is not shown again.",
                name=done.value[0].name), "success")
        return _page(agency, new_token=done.value[1])
    return _page(agency, token_form=form)


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@roles_required(*ROLES)
def revoke_token(agency_id: int, token_id: int):
    agency = _agency(agency_id)
    token = _posted_for(tokens.tokens_of(db.session(), current_user, agency), token_id)
    tokens.revoke(db.session(), acting(), token)
    flash(_("The token “%(name)s” has been revoked; it no longer works.", name=token.name), "success")
    return redirect(url_for("api_access.show", agency_id=agency.id))


@bp.route("/webhooks", methods=["POST"])
@roles_required(*ROLES)
def add_webhook(agency_id: int):
    agency = _agency(agency_id)
    form = WebhookForm()
    offices = tokens.grantable_offices(db.session(), current_user, agency)
    done = submit(form, lambda: webhooks.add_endpoint(
        db.session(), acting(), agency, form.url.data, offices,
        allow_local=current_app.config["WEBHOOK_ALLOW_LOCAL"]))
    if isinstance(done, Done):
        flash(_("The endpoint has been added. Copy its signing secret now: it is not shown again."), "success")
        return _page(agency, new_secret=done.value[1])
    return _page(agency, webhook_form=form)


def _posted_for(items: list, ident: int):
    """The token or endpoint with this id among those the user manages, on a valid form post; 404 otherwise."""
    found = next((item for item in items if item.id == ident), None)
    if found is None or not FlaskForm().validate_on_submit():
        abort(404)
    return found


@bp.route("/webhooks/<int:endpoint_id>/remove", methods=["POST"])
@roles_required(*ROLES)
def remove_webhook(agency_id: int, endpoint_id: int):
    agency = _agency(agency_id)
    webhooks.remove_endpoint(db.session(), acting(), _posted_for(_endpoints(agency), endpoint_id))
    flash(_("The endpoint has been removed."), "success")
    return redirect(url_for("api_access.show", agency_id=agency.id))


@bp.route("/deliveries/<int:message_id>/resend", methods=["POST"])
@roles_required(*ROLES)
def resend_delivery(agency_id: int, message_id: int):
    """Send an event once more (same id), e.g. after the receiver was fixed."""
    agency = _agency(agency_id)
    delivery = db.session().get(OutboxMessage, message_id)
    subjects = {e.subject for e in _endpoints(agency)}
    if delivery is None or delivery.channel != "webhook" or delivery.subject not in subjects \
            or not FlaskForm().validate_on_submit():
        abort(404)
    webhooks.send_again(db.session(), acting(), delivery)
    flash(_("The event will be sent again within a minute."), "success")
    return redirect(url_for("api_access.show", agency_id=agency.id))
