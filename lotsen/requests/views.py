"""Caseworkers file and follow their agency's requests; coordinators see and file for all their agencies."""

from __future__ import annotations

import secrets

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from lotsen import clock, db
from lotsen import languages as catalogue
from lotsen.assignments import changes
from lotsen.assignments.loading import assignments_of, live_assignment, offers_of
from lotsen.auth.models import Role, User, UserStatus, caseworker_offices
from lotsen.auth.permissions import visible_agencies
from lotsen.forms import options
from lotsen.geo import services as places
from lotsen.i18n import _, format_date, get_locale
from lotsen.offices import settings as office_settings
from lotsen.offices.models import Agency
from lotsen.requests import forms, services
from lotsen.requests.history import history_for
from lotsen.requests.informing import informed
from lotsen.requests.lifecycle import RequestStatus
from lotsen.requests.models import HelpRequest
from lotsen.volunteers.services import phone_of
from lotsen.web import acting, load, page_number, roles_required, show_error, submit

bp = Blueprint("requests", __name__, url_prefix="/requests")
ROLES = (Role.CASEWORKER, Role.COORDINATOR, Role.ADMIN)
PER_PAGE = 50


def _data(form) -> services.RequestData:
    return services.RequestData(
        kind=form.kind.data, language=form.language.data, mode=form.mode.data, day=form.day.data,
        start=form.start.data, duration_minutes=form.duration_minutes.data, topic=form.topic.data,
        variety=form.variety.data or "", street=form.street.data or "", postcode=form.postcode.data or "",
        town=form.town.data or "", gender_preference=form.gender_preference.data or "",
        client_reference=form.client_reference.data or "", contact_name=form.contact_name.data or "",
        contact_phone=form.contact_phone.data or "", notes=form.notes.data or "", is_urgent=form.is_urgent.data,
        involves=form.involves.data or [],
        inform_user_id=int(form.inform_user_id.data) if (form.inform_user_id.data or "").isdigit() else None,
        inform_name=form.inform_name.data or "", inform_email=form.inform_email.data or "",
        inform_phone=form.inform_phone.data or "")


def _caseworker_choices(form, agencies: list[Agency]) -> None:
    """The office filing for an agency picks the person to inform among the agencies' caseworkers."""
    if current_user.role is Role.CASEWORKER:
        form.inform_user_id.choices = options([("", "")])
        return
    query = (select(User.id, User.name, Agency.name).join(Agency, Agency.id == User.agency_id)
             .where(User.role == Role.CASEWORKER, User.status == UserStatus.ACTIVE,
                    User.agency_id.in_([a.id for a in agencies])).order_by(Agency.name, User.name))
    if not current_user.is_admin:  # a shared agency's caseworkers who work with other offices only are not ours
        query = query.where(User.id.in_(select(caseworker_offices.c.user_id)
                                        .where(caseworker_offices.c.office_id == current_user.office_id)))
    people = db.session().execute(query).all()
    form.inform_user_id.choices = options([("", _("Another contact (name them below)"))] + [
        (str(user_id), f"{name} – {agency}") for user_id, name, agency in people])


def _agencies(session) -> list[Agency]:
    if current_user.role is Role.CASEWORKER:
        return [current_user.agency]
    return list(session.scalars(visible_agencies(current_user).where(Agency.is_active.is_(True))
                                .order_by(Agency.name)))


def _form_page(template: str, form, **context):
    session = db.session()
    office_ids = {current_user.office_id} if current_user.office_id else {
        o.id for a in _agencies(session) for o in services.offices_of(a, current_user)}
    place_names = sorted({name for office_id in office_ids for name in places.place_names(session, office_id)})
    return render_template(template, form=form, language_choices=catalogue.choices(), place_names=place_names,
                           **context)


@bp.route("/")
@roles_required(*ROLES)
def list_requests():
    """The agency's requests (caseworkers) or the office's (coordinators), filtered."""
    session = db.session()
    now = clock.now()
    form = forms.RequestFilterForm(request.args)
    form.status.choices = options([("", _("All states"))] + RequestStatus.choices())
    page = page_number()
    form.validate()
    rows, total = services.search(session, current_user, status=form.status.data or "",
                                  reference=form.reference.data or "", when=form.when.data or "upcoming", now=now,
                                  page=page, per_page=PER_PAGE)
    return render_template("requests/list.html", form=form, rows=rows, total=total, page=page, per_page=PER_PAGE,
                           language_name=catalogue.name)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*ROLES)
def new_request():
    """File a request (a coordinator may file one on behalf of an agency, e.g. taken by phone)."""
    session = db.session()
    agencies = _agencies(session)
    form = forms.RequestForm()
    form.set_varieties()
    _caseworker_choices(form, agencies)
    form.agency_id.choices = options((a.id, a.name) for a in agencies)
    chosen = next((a for a in agencies if a.id == form.agency_id.data), agencies[0] if agencies else None)
    if chosen is None:
        abort(404)
    office_choices = services.offices_of(chosen, current_user)
    if current_user.role is Role.COORDINATOR:
        office_choices = [current_user.office]
    if not office_choices:  # a caseworker whom no office works with (any more)
        flash(_("No coordinating office works with your account at the moment. Please contact the office."),
              "error")
        return redirect(url_for("home.start"))
    form.office_id.choices = options((o.id, o.name) for o in office_choices)
    office = next((o for o in office_choices if o.id == form.office_id.data), office_choices[0])
    if request.method == "GET":
        form.duration_minutes.data = office_settings.value(office, "default_duration_minutes")
        form.count.data = 4
        form.submission_key.data = secrets.token_urlsafe(24)
    if form.validate_on_submit():
        try:
            created = services.create_requests(
                session, current_user, office, chosen, _data(form), now=clock.now(), zone=clock.zone(),
                recurrence=form.recurrence.data or "", count=form.count.data or 1,
                allow_duplicate=form.confirm_duplicate.data, submission_key=(form.submission_key.data or "")[:64],
                address=request.remote_addr or "")
        except services.AlreadyFiled as error:
            flash(error.message, "info")
            return redirect(url_for("requests.show_request", request_id=error.request.id))
        except services.RequestError as error:
            show_error(form, error)
            return _form_page("requests/form.html", form, duplicates=getattr(error, "duplicates", []),
                              alternative=office_settings.value(office, "alternative_service"), editing=None)
        flash(_("Your request has been sent to the coordinating office.") if len(created) == 1 else
              _("Your %(n)d requests have been sent to the coordinating office.", n=len(created)), "success")
        for filed in created:
            if flag := holiday_flag(filed):
                flash(_("Please note: %(date)s is %(holiday)s. Is the agency open that day?",
                        date=format_date(filed.starts_at.astimezone(clock.zone()), "full"), holiday=flag), "warning")
        return redirect(url_for("requests.show_request", request_id=created[0].id))
    return _form_page("requests/form.html", form, duplicates=[], editing=None,
                      alternative=office_settings.value(office, "alternative_service"))


@bp.route("/<int:request_id>")
@roles_required(*ROLES)
def show_request(request_id: int):
    """A request with its history."""
    found = load(HelpRequest, request_id, "can_view")
    session = db.session()
    coordinating = found.can_coordinate(current_user)
    assignment = live_assignment(session, found)
    return render_template("requests/show.html", req=found, language_name=catalogue.name,
                           variety_name=catalogue.variety_name, history=history_for(found, current_user),
                           coordinating=coordinating, assignment=assignment, contact=informed(found),
                           volunteer_phone=phone_of(session, assignment.volunteer_id) if assignment else "",
                           offers=offers_of(session, found, with_volunteers=True) if coordinating else [],
                           assignments={a.offer_id: a for a in assignments_of(session, found) if a.offer_id}
                           if coordinating else {}, now=clock.now(), holiday=holiday_flag(found))


def holiday_flag(req: HelpRequest) -> str | None:
    """The public holiday (or 24/31 December) the request falls on, named in the reader's language."""
    day = req.starts_at.astimezone(clock.zone()).date()
    return office_settings.holiday_calendar(req.office).flag(day, str(get_locale()))


@bp.route("/<int:request_id>/edit", methods=["GET", "POST"])
@roles_required(*ROLES)
def edit_request(request_id: int):
    """Change a request while it is still open."""
    found = load(HelpRequest, request_id, "can_view")
    if not found.can_edit(current_user):
        flash(_("Only open requests can be changed. Please call the coordinating office."), "error")
        return redirect(url_for("requests.show_request", request_id=found.id))
    form = forms.EditRequestForm(obj=None)
    form.set_varieties()
    _caseworker_choices(form, [found.agency])
    if request.method == "GET":
        local = found.starts_at.astimezone(clock.zone())
        form.process(data={
            "kind": found.kind.value, "language": catalogue.name(found.language), "variety": found.variety,
            "mode": found.mode.value, "day": local.date(), "start": local.time(),
            "duration_minutes": found.duration_minutes, "street": found.street, "postcode": found.postcode,
            "town": found.town, "topic": found.topic.value,
            "gender_preference": found.gender_preference.value if found.gender_preference else "",
            "client_reference": found.client_reference, "contact_name": found.contact_name,
            "contact_phone": found.contact_phone, "notes": found.notes, "is_urgent": found.is_urgent,
            "inform_user_id": str(found.inform_user_id or ""), "inform_name": found.inform_name,
            "inform_email": found.inform_email, "inform_phone": found.inform_phone})
    if form.validate_on_submit():
        try:
            services.update_request(db.session(), current_user, found, _data(form), now=clock.now(),
                                    zone=clock.zone(), allow_duplicate=form.confirm_duplicate.data,
                                    address=request.remote_addr or "")
        except services.RequestError as error:
            show_error(form, error)
            return _form_page("requests/form.html", form, duplicates=getattr(error, "duplicates", []),
                              editing=found, alternative=office_settings.value(found.office, "alternative_service"))
        flash(_("The request has been changed."), "success")
        return redirect(url_for("requests.show_request", request_id=found.id))
    return _form_page("requests/form.html", form, duplicates=[], editing=found,
                      alternative=office_settings.value(found.office, "alternative_service"))


@bp.route("/<int:request_id>/cancel", methods=["GET", "POST"])
@roles_required(*ROLES)
def cancel_request(request_id: int):
    """Cancel a request with a reason; a late cancellation is marked as such."""
    found = load(HelpRequest, request_id, "can_view")
    form = forms.CancelForm()
    if done := submit(form, lambda: changes.cancel(db.session(), acting(), found.id, form.reason.data)):
        late = done.value
        flash(_("The request has been cancelled (late cancellation).") if late else
              _("The request has been cancelled."), "warning" if late else "success")
        return redirect(url_for("requests.show_request", request_id=found.id))
    hours = office_settings.value(found.office, "late_cancellation_hours")
    late_now = services.is_late(found, clock.now())
    return render_template("requests/cancel.html", req=found, form=form, late_now=late_now, hours=hours)

