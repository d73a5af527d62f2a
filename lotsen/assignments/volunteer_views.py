"""Volunteers: answering offers (signed in, or from the mail's link), their assignment page with its
calendar entry, stepping back, and recording the assignment afterwards. Routes on the assignments blueprint."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from lotsen import clock, db
from lotsen import languages as catalogue
from lotsen.assignments import answers, calendar, changes, forms, links
from lotsen.assignments.models import Assignment, DeclineReason, Offer
from lotsen.assignments.views import bp
from lotsen.auth.models import Role
from lotsen.billing import views as billing_views
from lotsen.billing.models import AssignmentRecord
from lotsen.errors import DomainError
from lotsen.i18n import _, force_locale, usable_locale
from lotsen.requests.informing import informed
from lotsen.urls import domain
from lotsen.volunteers.services import phone_of
from lotsen.web import acting, download, form_failed, load, public, roles_required, submit


def _offer_page(offer: Offer, *, token: str | None = None, status: int = 200):
    return render_template("assignments/offer.html", offer=offer, req=offer.request, token=token,
                           closed=answers.closed_message(offer, clock.now()), decline_form=forms.DeclineForm(),
                           language_name=catalogue.name, variety_name=catalogue.variety_name), status


def _answer(offer: Offer, action: str, reason: str, *, token: str | None):
    """Accept or decline, as the offer's volunteer (signed in, or holding the link)."""
    session = db.session()
    as_volunteer = acting().by(offer.volunteer)
    try:
        if action == "accept":
            answer = answers.accept(session, as_volunteer, offer.id)
        elif action == "decline":
            choice = DeclineReason(reason) if reason in {r.value for r in DeclineReason} else None
            answer = answers.decline(session, as_volunteer, offer.id, choice)
        else:
            abort(400)
    except DomainError as error:
        form_failed()
        flash(error.message, "error")
        return _offer_page(db.session().get(Offer, offer.id), token=token, status=409)
    flash({
        "accepted": _("Thank you! The office will confirm shortly."),
        "confirmed": _("Thank you! You are confirmed for this assignment."),
        "taken": _("Another volunteer was quicker and has already taken this request. Thank you all the same!"),
        "declined": _("Thank you for letting us know."),
    }[answer.outcome], "warning" if answer.outcome == "taken" else "success")
    return _offer_page(answer.offer, token=token)


@bp.route("/offers/<int:offer_id>", methods=["GET", "POST"])
@roles_required(Role.VOLUNTEER)
def show_offer(offer_id: int):
    """An offer as its volunteer sees it: what, when, where; accept or decline."""
    offer = load(Offer, offer_id, "is_addressed_to")
    if request.method == "POST":
        return _answer(offer, request.form.get("action", ""), request.form.get("reason", ""), token=None)
    return _offer_page(offer)


@bp.route("/answer/<token>", methods=["GET", "POST"])
@public
def answer_by_link(token: str):
    """The link in the offer mail: works on a phone without signing in; answering takes one more tap. The
    page speaks the volunteer's account language (as the mail did), not the phone's."""
    try:
        offer = links.offer_from_token(db.session(), token)
    except DomainError as error:
        return render_template("assignments/link_error.html", message=error.message), 400
    with force_locale(usable_locale(offer.volunteer.locale)):
        if request.method == "POST":
            return _answer(offer, request.form.get("action", ""), request.form.get("reason", ""), token=token)
        return _offer_page(offer, token=token)


@bp.route("/assignments/<int:assignment_id>")
@roles_required(Role.VOLUNTEER, Role.COORDINATOR, Role.ADMIN)
def show_assignment(assignment_id: int):
    """One assignment: date, time, place with address, contact for the day, the office's notes, the calendar
    entry, and "I cannot come"."""
    assignment = load(Assignment, assignment_id, "can_view")
    req = assignment.request
    record = db.session().scalar(select(AssignmentRecord).where(AssignmentRecord.assignment_id == assignment.id))
    return render_template("assignments/assignment.html", assignment=assignment, req=req, now=clock.now(),
                           record=record,
                           contact=informed(req), volunteer_phone=phone_of(db.session(), assignment.volunteer_id),
                           language_name=catalogue.name, variety_name=catalogue.variety_name)


@bp.route("/assignments/<int:assignment_id>/calendar.ics")
@roles_required(Role.VOLUNTEER, Role.COORDINATOR, Role.ADMIN)
def assignment_calendar(assignment_id: int):
    """The assignment as a calendar entry to import (cancelled, once it no longer stands)."""
    assignment = load(Assignment, assignment_id, "can_view")
    entry = calendar.invitation(assignment, domain(), current_user.locale, now=clock.now(),
                                cancelled=not assignment.is_live, method="PUBLISH")
    return download(entry["text"], "text/calendar", entry["filename"])


@bp.route("/assignments/<int:assignment_id>/withdraw", methods=["GET", "POST"])
@roles_required(Role.VOLUNTEER)
def step_back(assignment_id: int):
    """The volunteer cannot come after all: the office is alerted and finds someone else."""
    assignment = load(Assignment, assignment_id, "is_volunteer")
    form = forms.WithdrawForm()
    if submit(form, lambda: changes.step_back(db.session(), acting(), assignment.id, form.reason.data)):
        flash(_("You have stepped back. The office has been told and will find someone else."), "success")
        return redirect(url_for("home.start"))
    return render_template("assignments/withdraw.html", assignment=assignment, req=assignment.request, form=form,
                           now=clock.now(), language_name=catalogue.name)


@bp.route("/assignments/<int:assignment_id>/record", methods=["GET", "POST"])
@roles_required(Role.VOLUNTEER, Role.COORDINATOR, Role.ADMIN)
def record_assignment(assignment_id: int):
    """After the appointment: what happened, when, how long the way was (the allowance is paid on this)."""
    assignment = load(Assignment, assignment_id, "can_view")
    return billing_views.record_page(assignment)