"""Mail preferences, the private calendar feed, and the coordinators' view of mail that could not be sent."""

from __future__ import annotations

import datetime as dt
import secrets

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from lotsen import clock, db
from lotsen.assignments import calendar
from lotsen.assignments.models import Assignment, AssignmentStatus
from lotsen.audit.services import record
from lotsen.auth.models import Role, User
from lotsen.auth.permissions import coordinates
from lotsen.forms import Form, options
from lotsen.i18n import _, _l
from lotsen.notifications import kinds, outbox
from lotsen.notifications.models import OutboxMessage, OutboxStatus
from lotsen.offices.forms import CheckboxListField
from lotsen.urls import domain, external_url
from lotsen.web import any_user, load, public, roles_required

bp = Blueprint("notifications", __name__)
FEED_DAYS = 90  # how far back the calendar feed reaches


class PreferencesForm(Form):
    wanted = CheckboxListField(_l("Send me these mails"))


@bp.route("/account/notifications", methods=["GET", "POST"])
@any_user
def preferences():
    """Which optional mails to receive (the language is the account's), and the private calendar link."""
    categories = kinds.FOR_ROLE[current_user.role.value]
    form = PreferencesForm()
    form.wanted.choices = options((c.value, c.title) for c in categories)
    if request.method == "GET":
        form.wanted.data = [c.value for c in categories if c.value not in (current_user.mail_opt_out or [])]
    if form.validate_on_submit():
        current_user.mail_opt_out = sorted(c.value for c in categories if c.value not in (form.wanted.data or []))
        record(db.session(), "account.mail_preferences", actor=current_user, subject=current_user,
               office_id=current_user.office_id, details={"opted_out": current_user.mail_opt_out})
        flash(_("Your mail preferences have been saved."), "success")
        return redirect(url_for("notifications.preferences"))
    feed_url = (external_url("notifications.calendar_feed", token=current_user.calendar_token)
                if current_user.calendar_token else None)
    return render_template("notifications/preferences.html", form=form, has_choices=bool(categories),
                           feed_url=feed_url)


@bp.route("/account/calendar", methods=["POST"])
@roles_required(Role.VOLUNTEER)
def calendar_link():
    """Create a new private calendar link (the old one stops working), or switch it off."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    if request.form.get("action") == "revoke":
        current_user.calendar_token = None
        flash(_("Your calendar link has been switched off."), "success")
    else:
        current_user.calendar_token = secrets.token_urlsafe(32)
        flash(_("Your new calendar link is ready. The old one no longer works."), "success")
    record(db.session(), "account.calendar_link", actor=current_user, subject=current_user,
           office_id=current_user.office_id, details={"active": current_user.calendar_token is not None})
    return redirect(url_for("notifications.preferences"))


@bp.route("/calendar/<token>.ics")
@public
def calendar_feed(token: str):
    """A volunteer's assignments as an iCalendar feed, for subscribing from a phone's calendar."""
    session = db.session()
    user = session.scalar(select(User).where(User.calendar_token == token)) if len(token) >= 32 else None
    if user is None or not user.is_active:
        abort(404)
    now = clock.now()
    assignments = session.scalars(
        select(Assignment).where(Assignment.volunteer_id == user.id,
                                 Assignment.status.in_([AssignmentStatus.CONFIRMED, AssignmentStatus.COMPLETED]),
                                 Assignment.ends_at >= now - dt.timedelta(days=FEED_DAYS))
        .order_by(Assignment.starts_at)).all()
    body = calendar.feed(assignments, domain(), user.locale, now=now)
    response = Response(body, mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.route("/outbox/")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def list_outbox():
    """Mail that could not be delivered (with retry), and how much is waiting."""
    session = db.session()
    scope = select(OutboxMessage).where(OutboxMessage.channel == "email")  # webhooks: the agency's API page
    if not current_user.is_admin:
        scope = scope.where(OutboxMessage.office_id == current_user.office_id)
    failed = session.scalars(scope.where(OutboxMessage.status == OutboxStatus.FAILED)
                             .order_by(OutboxMessage.created_at.desc()).limit(200)).all()
    counted = scope.subquery()
    counts = dict(session.execute(select(counted.c.status, func.count()).group_by(counted.c.status)).all())
    return render_template("notifications/outbox.html", failed=failed,
                           counts={status: counts.get(status, 0) for status in OutboxStatus})


@bp.route("/outbox/<int:message_id>/retry", methods=["POST"])
@roles_required(Role.COORDINATOR, Role.ADMIN)
def retry_message(message_id: int):
    """Send a failed mail again at the worker's next tick."""
    message = load(OutboxMessage, message_id, lambda m: coordinates(current_user, m.office_id))
    if message.status is OutboxStatus.FAILED:
        outbox.retry(db.session(), message, clock.now())
        record(db.session(), "outbox.retry", actor=current_user, subject=message, office_id=message.office_id)
        flash(_("The mail will be sent again shortly."), "success")
    return redirect(url_for("notifications.list_outbox"))
