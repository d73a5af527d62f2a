"""Coordinators: the dashboard, offering, confirming, reassigning, and closing what cannot be filled.

The volunteers' side (answers, their assignment page, stepping back, recording) is in volunteer_views.py,
on the same blueprint. Every view loads its record and asks its ``can_*`` first (``web.load``).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from lotsen import clock, db
from lotsen import languages as catalogue
from lotsen.assignments import changes, confirming, dashboard, forms, offering
from lotsen.assignments.loading import live_assignment
from lotsen.assignments.models import Offer
from lotsen.auth.directory import names
from lotsen.auth.models import Role
from lotsen.errors import DomainError
from lotsen.forms import options
from lotsen.i18n import _
from lotsen.matching import services as matching
from lotsen.offices import settings as office_settings
from lotsen.offices.models import Agency, Municipality, Office
from lotsen.requests.lifecycle import UnfilledReason
from lotsen.requests.models import HelpRequest
from lotsen.web import acting, load, page_number, roles_required, submit

bp = Blueprint("assignments", __name__)

COORDINATING = (Role.COORDINATOR, Role.ADMIN)
PER_PAGE = 25


def _back_to(found: HelpRequest):
    return redirect(url_for("requests.show_request", request_id=found.id))


def _refused(error: DomainError) -> None:
    flash(error.message, "error")


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
    page = page_number()
    rows, total, counts = dashboard.overview(session, current_user, filters, now=now, zone=clock.zone(), page=page,
                                             per_page=PER_PAGE)
    return render_template("assignments/dashboard.html", form=form, rows=rows, total=total, counts=counts,
                           page=page, per_page=PER_PAGE, now=now, language_name=catalogue.name)


# ----------------------------------------------------------------------------------------------- offering

@bp.route("/requests/<int:request_id>/offers", methods=["POST"])
@roles_required(*COORDINATING)
def make_offers(request_id: int):
    """Ask the ticked volunteers, or the best candidates in waves."""
    found = load(HelpRequest, request_id, "can_coordinate")
    form = forms.OfferForm()
    form.volunteer_ids.choices = [(int(v), "") for v in request.form.getlist("volunteer_ids") if v.isdigit()]
    if not form.validate():
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for("matching.show_candidates", request_id=found.id))
    try:
        if form.how.data == "waves":
            offers = offering.offer_in_waves(
                db.session(), acting(), found.id,
                size=form.wave_size.data or office_settings.value(found.office, "wave_size"),
                interval_minutes=form.wave_interval_minutes.data or office_settings.value(
                    found.office, "wave_interval_minutes"))
        else:
            offers = offering.make_offers(db.session(), acting(), found.id, form.volunteer_ids.data or [],
                                          note=form.note.data or "")
    except DomainError as error:
        _refused(error)
        return redirect(url_for("matching.show_candidates", request_id=found.id))
    flash(_("Asked %(names)s. They have been sent the offer.", names=", ".join(o.volunteer.name for o in offers)),
          "success")
    return _back_to(found)


@bp.route("/requests/<int:request_id>/offer-best", methods=["POST"])
@roles_required(*COORDINATING)
def offer_best(request_id: int):
    """Ask the best-ranked candidate who has not been asked yet (one click from the dashboard)."""
    found = load(HelpRequest, request_id, "can_coordinate")
    try:
        offers = offering.offer_best(db.session(), acting(), found.id)
    except DomainError as error:
        _refused(error)
        return redirect(url_for("matching.show_candidates", request_id=found.id))
    flash(_("Asked %(names)s. They have been sent the offer.", names=offers[0].volunteer.name), "success")
    if request.form.get("next") == "dashboard":
        return redirect(url_for("assignments.dashboard_page"))
    return _back_to(found)


def _offer_step(offer_id: int, step, success: str, *, needs_note: bool = False):
    """A coordinator's step on one offer of their office's request."""
    offer = load(Offer, offer_id, lambda o: o.request.can_coordinate(current_user))
    form = forms.NoteForm() if needs_note else None
    if needs_note and not form.validate():
        flash(_("Please give a reason."), "error")
        return _back_to(offer.request)
    try:
        step(offer, form.note.data if form else "")
    except DomainError as error:
        _refused(error)
    else:
        flash(success, "success")
    return _back_to(offer.request)


@bp.route("/offers/<int:offer_id>/confirm", methods=["POST"])
@roles_required(*COORDINATING)
def confirm_offer(offer_id: int):
    """Confirm an acceptance: the assignment is made and everyone is told."""
    return _offer_step(offer_id, lambda o, _note: confirming.confirm(db.session(), acting(), o.id),
                       _("Confirmed. The volunteer and the agency have been told."))


@bp.route("/offers/<int:offer_id>/release", methods=["POST"])
@roles_required(*COORDINATING)
def release_offer(offer_id: int):
    """Do not confirm an acceptance (with a reason)."""
    return _offer_step(offer_id, lambda o, note: confirming.release(db.session(), acting(), o.id, note),
                       _("The acceptance was not confirmed; the volunteer has been told."), needs_note=True)


@bp.route("/offers/<int:offer_id>/withdraw", methods=["POST"])
@roles_required(*COORDINATING)
def withdraw_offer(offer_id: int):
    """Take back an unanswered offer."""
    return _offer_step(offer_id, lambda o, _note: offering.withdraw_offer(db.session(), acting(), o.id),
                       _("The offer has been withdrawn."))


# ----------------------------------------------------------------------------------------------- changes

@bp.route("/requests/<int:request_id>/reassign", methods=["GET", "POST"])
@roles_required(*COORDINATING)
def reassign(request_id: int):
    """Give a confirmed request to another volunteer."""
    found = load(HelpRequest, request_id, "can_coordinate")
    session, now = db.session(), clock.now()
    form = forms.ReassignForm()
    current = live_assignment(session, found)
    ranked = matching.match(session, found, now, str(clock.zone().key)).ranked
    held = set(offering.blocked(session, found)) | offering.stepped_back(session, found)
    people = names(session, [r.volunteer_id for r in ranked])
    form.volunteer_id.choices = options(
        (r.volunteer_id, people[r.volunteer_id]) for r in ranked if r.volunteer_id not in held)
    if submit(form, lambda: changes.reassign(session, acting(), found.id, form.volunteer_id.data, form.note.data)):
        flash(_("Reassigned. Both volunteers and the agency have been told."), "success")
        return _back_to(found)
    return render_template("assignments/reassign.html", req=found, form=form, current=current)


@bp.route("/requests/<int:request_id>/close", methods=["GET", "POST"])
@roles_required(*COORDINATING)
def close_request(request_id: int):
    """Close a request that cannot be filled: the agency is told why and what to do instead."""
    found = load(HelpRequest, request_id, "can_coordinate")
    form = forms.CloseForm()
    form.reason.choices = options([("", _("Choose …"))] + [(r.value, r.title) for r in UnfilledReason.closing()])
    if request.method == "GET":
        form.alternative.data = office_settings.value(found.office, "alternative_service")
    if submit(form, lambda: changes.close_unfillable(db.session(), acting(), found.id, UnfilledReason(form.reason.data),
                                                     form.note.data or "", form.alternative.data or "")):
        flash(_("The request is closed. The agency has been told, with the alternative you named."), "success")
        return _back_to(found)
    return render_template("assignments/close.html", req=found, form=form, language_name=catalogue.name)
