"""Coordinators offer and confirm; volunteers answer (signed in, or from the link in their mail)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from lotsen import clock, db
from lotsen import languages as catalogue
from lotsen.assignments import changes, dashboard, forms, offering, services
from lotsen.assignments.models import Assignment, AssignmentStatus, DeclineReason, Offer
from lotsen.auth.models import Role
from lotsen.errors import DomainError
from lotsen.forms import options
from lotsen.i18n import _
from lotsen.matching import services as matching
from lotsen.offices import settings as office_settings
from lotsen.offices.models import Agency, Municipality, Office
from lotsen.requests.models import HelpRequest
from lotsen.web import form_failed, public, roles_required, show_error

bp = Blueprint("assignments", __name__)

COORDINATING = (Role.COORDINATOR, Role.ADMIN)
PER_PAGE = 25


def _zone() -> str:
    return str(clock.zone().key)


def _may_coordinate(office_id: int) -> bool:
    return current_user.is_admin or (current_user.role is Role.COORDINATOR and current_user.office_id == office_id)


def _request_or_404(request_id: int) -> HelpRequest:
    found = db.session().get(HelpRequest, request_id)
    if found is None or not _may_coordinate(found.office_id):
        abort(404)
    return found


def _offer_for_coordinator(offer_id: int) -> Offer:
    offer = db.session().get(Offer, offer_id)
    if offer is None or not _may_coordinate(offer.request.office_id):
        abort(404)
    return offer


def _back_to(found: HelpRequest):
    return redirect(url_for("requests.show_request", request_id=found.id))


# ----------------------------------------------------------------------------------------------- dashboard

@bp.route("/coordination/")
@roles_required(*COORDINATING)
def dashboard_page():
    """Upcoming requests, the most urgent first, with what has happened to each."""
    session = db.session()
    form = forms.DashboardFilterForm(request.args)
    now = clock.now()
    municipalities = select(Municipality).order_by(Municipality.name)
    agencies = select(Agency).order_by(Agency.name)
    if not current_user.is_admin:
        municipalities = municipalities.where(Municipality.office_id == current_user.office_id)
        agencies = agencies.where(Agency.offices.any(Office.id == current_user.office_id))
    # Only languages someone is waiting for: a short list instead of the whole catalogue.
    languages = sorted(((code, catalogue.name(code)) for code in dashboard.languages_waiting(
        session, current_user, now=now)), key=lambda pair: pair[1])
    form.language.choices = options([("", _("All"))] + languages)
    form.municipality.choices = options([("", _("All"))] + [(str(m.id), m.name) for m in session.scalars(
        municipalities)])
    form.agency.choices = options([("", _("All"))] + [(str(a.id), a.name) for a in session.scalars(agencies)])
    valid = form.validate()
    filters = dashboard.Filters(
        language=form.language.data or "", kind=form.kind.data or "", status=form.status.data or "",
        municipality_id=int(form.municipality.data) if valid and form.municipality.data else None,
        agency_id=int(form.agency.data) if valid and form.agency.data else None,
        day=form.day.data if valid else None) if valid else dashboard.Filters()
    page = max(request.args.get("page", 1, type=int), 1)
    rows, total, counts = dashboard.overview(session, current_user, filters, now=now, zone=clock.zone(), page=page,
                                             per_page=PER_PAGE)
    return render_template("assignments/dashboard.html", form=form, rows=rows, total=total, counts=counts,
                           page=page, per_page=PER_PAGE, now=now, language_name=catalogue.name)


# ----------------------------------------------------------------------------------------------- offering

@bp.route("/requests/<int:request_id>/offers", methods=["POST"])
@roles_required(*COORDINATING)
def make_offers(request_id: int):
    """Ask the ticked volunteers, or the best candidates in waves."""
    found = _request_or_404(request_id)
    form = forms.OfferForm()
    form.volunteer_ids.choices = [(int(v), "") for v in request.form.getlist("volunteer_ids") if v.isdigit()]
    if not form.validate():
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for("matching.show_candidates", request_id=found.id))
    session, now = db.session(), clock.now()
    try:
        if form.how.data == "waves":
            office = found.office
            offers = offering.offer_in_waves(
                session, current_user, found, now=now, zone=_zone(),
                size=form.wave_size.data or office_settings.value(office, "wave_size"),
                interval_minutes=form.wave_interval_minutes.data or office_settings.value(
                    office, "wave_interval_minutes"))
        else:
            offers = offering.make_offers(session, current_user, found, form.volunteer_ids.data or [], now=now,
                                          zone=_zone(), note=form.note.data or "")
    except DomainError as error:
        show_error(form, error)
        flash(error.message, "error")
        return redirect(url_for("matching.show_candidates", request_id=found.id))
    flash(_("Asked %(names)s. They have been sent the offer.", names=", ".join(o.volunteer.name for o in offers)),
          "success")
    return _back_to(found)


@bp.route("/requests/<int:request_id>/offer-best", methods=["POST"])
@roles_required(*COORDINATING)
def offer_best(request_id: int):
    """Ask the best-ranked candidate who has not been asked yet (one click from the dashboard)."""
    found = _request_or_404(request_id)
    session, now = db.session(), clock.now()
    best = offering.next_candidates(session, found, 1, now, _zone())
    if not best:
        flash(_("Nobody is left to ask. Look at the near misses."), "error")
        return redirect(url_for("matching.show_candidates", request_id=found.id))
    try:
        offers = offering.make_offers(session, current_user, found, best, now=now, zone=_zone())
    except DomainError as error:
        form_failed()
        flash(error.message, "error")
        return _back_to(found)
    flash(_("Asked %(names)s. They have been sent the offer.", names=offers[0].volunteer.name), "success")
    if request.form.get("next") == "dashboard":
        return redirect(url_for("assignments.dashboard_page"))
    return _back_to(found)


def _coordinator_step(offer_id: int, step, success: str, needs_note: bool = False):
    offer = _offer_for_coordinator(offer_id)
    form = forms.NoteForm() if needs_note else None
    if needs_note and not form.validate():
        flash(_("Please give a reason."), "error")
        return _back_to(offer.request)
    try:
        step(db.session(), offer, form.note.data if form else "")
    except DomainError as error:
        form_failed()
        flash(error.message, "error")
    else:
        flash(success, "success")
    return _back_to(offer.request)


@bp.route("/offers/<int:offer_id>/confirm", methods=["POST"])
@roles_required(*COORDINATING)
def confirm_offer(offer_id: int):
    """Confirm an acceptance: the assignment is made and everyone is told."""
    return _coordinator_step(offer_id, lambda s, o, _note: services.confirm(s, current_user, o.id, now=clock.now()),
                             _("Confirmed. The volunteer and the agency have been told."))


@bp.route("/offers/<int:offer_id>/release", methods=["POST"])
@roles_required(*COORDINATING)
def release_offer(offer_id: int):
    """Do not confirm an acceptance (with a reason)."""
    return _coordinator_step(offer_id, lambda s, o, note: services.release(s, current_user, o.id, note,
                                                                           now=clock.now()),
                             _("The acceptance was not confirmed; the volunteer has been told."), needs_note=True)


@bp.route("/offers/<int:offer_id>/withdraw", methods=["POST"])
@roles_required(*COORDINATING)
def withdraw_offer(offer_id: int):
    """Take back an unanswered offer."""
    return _coordinator_step(offer_id, lambda s, o, _note: offering.withdraw_offer(s, current_user, o.id,
                                                                                   now=clock.now()),
                             _("The offer has been withdrawn."))


@bp.route("/requests/<int:request_id>/reassign", methods=["GET", "POST"])
@roles_required(*COORDINATING)
def reassign(request_id: int):
    """Give a confirmed request to another volunteer."""
    found = _request_or_404(request_id)
    session, now = db.session(), clock.now()
    form = forms.ReassignForm()
    current = services.live_assignment(session, found)
    ranked = matching.match(session, found, now, _zone()).ranked
    blocked = services.not_to_ask(session, found)
    people = services.names(session, [r.volunteer_id for r in ranked])
    form.volunteer_id.choices = options(
        (r.volunteer_id, people[r.volunteer_id]) for r in ranked if r.volunteer_id not in blocked)
    if form.validate_on_submit():
        try:
            changes.reassign(session, current_user, found, form.volunteer_id.data, form.note.data, now=now,
                             zone=_zone())
        except DomainError as error:
            show_error(form, error)
        else:
            flash(_("Reassigned. Both volunteers and the agency have been told."), "success")
            return _back_to(found)
    return render_template("assignments/reassign.html", req=found, form=form, current=current)


# ----------------------------------------------------------------------------------------------- answering

def _own_offer(offer_id: int) -> Offer:
    offer = db.session().get(Offer, offer_id)
    if offer is None or offer.volunteer_id != current_user.id:
        abort(404)
    return offer


def _offer_page(offer: Offer, *, token: str | None = None, status: int = 200):
    now = clock.now()
    return render_template("assignments/offer.html", offer=offer, req=offer.request, token=token,
                           closed=services.closed_message(offer, now), decline_form=forms.DeclineForm(),
                           language_name=catalogue.name, variety_name=catalogue.variety_name), status


def _answer(offer: Offer, action: str, reason: str, *, token: str | None):
    session, now = db.session(), clock.now()
    volunteer = offer.volunteer
    try:
        if action == "accept":
            answer = services.accept(session, volunteer, offer.id, now=now)
        elif action == "decline":
            answer = services.decline(session, volunteer, offer.id, DeclineReason(reason) if reason else None,
                                      now=now)
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
    offer = _own_offer(offer_id)
    if request.method == "POST":
        return _answer(offer, request.form.get("action", ""), request.form.get("reason", ""), token=None)
    return _offer_page(offer)


@bp.route("/answer/<token>", methods=["GET", "POST"])
@public
def answer_by_link(token: str):
    """The link in the offer mail: works on a phone without signing in; answering takes one more tap."""
    try:
        offer = services.offer_from_token(db.session(), token)
    except DomainError as error:
        return render_template("assignments/link_error.html", message=error.message), 400
    if request.method == "POST":
        return _answer(offer, request.form.get("action", ""), request.form.get("reason", ""), token=token)
    return _offer_page(offer, token=token)


@bp.route("/assignments/<int:assignment_id>/withdraw", methods=["GET", "POST"])
@roles_required(Role.VOLUNTEER)
def withdraw_assignment(assignment_id: int):
    """The volunteer cannot come after all: the office is alerted and finds someone else."""
    assignment = db.session().get(Assignment, assignment_id)
    if assignment is None or assignment.volunteer_id != current_user.id:
        abort(404)
    form = forms.WithdrawForm()
    if form.validate_on_submit():
        try:
            changes.withdraw(db.session(), current_user, assignment.id, form.reason.data, now=clock.now(),
                             zone=_zone())
        except DomainError as error:
            show_error(form, error)
        else:
            flash(_("You have stepped back. The office has been told and will find someone else."), "success")
            return redirect(url_for("home.index"))
    return render_template("assignments/withdraw.html", assignment=assignment, req=assignment.request, form=form,
                           language_name=catalogue.name)


@bp.route("/assignments/<int:assignment_id>/record", methods=["GET", "POST"])
@roles_required(Role.VOLUNTEER, Role.COORDINATOR, Role.ADMIN)
def record_assignment(assignment_id: int):
    """After the appointment: did it take place, how long, how far (the allowance is paid on this)."""
    assignment = db.session().get(Assignment, assignment_id)
    if assignment is None or not (assignment.volunteer_id == current_user.id
                                  or _may_coordinate(assignment.request.office_id)):
        abort(404)
    form = forms.RecordForm()
    if request.method == "GET":
        form.minutes.data = assignment.actual_minutes or assignment.request.duration_minutes
    if form.validate_on_submit():
        try:
            changes.record_outcome(db.session(), current_user, assignment.id, took_place=form.took_place.data == "yes",
                                   minutes=form.minutes.data, note=form.note.data or "", now=clock.now(),
                                   travel_km=float(form.travel_km.data) if form.travel_km.data is not None else None)
        except DomainError as error:
            show_error(form, error)
        else:
            flash(_("Thank you, it has been recorded."), "success")
            return redirect(url_for("home.index"))
    return render_template("assignments/record.html", assignment=assignment, req=assignment.request, form=form,
                           recorded=assignment.status is not AssignmentStatus.CONFIRMED)
