"""Offices (admins), their settings (coordinators), and agencies (coordinators, admins)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lotsen import db
from lotsen.auth.models import Role
from lotsen.auth.permissions import can_manage_agency, visible_agencies
from lotsen.forms import options
from lotsen.i18n import _
from lotsen.offices import forms, services
from lotsen.offices import settings as office_settings
from lotsen.offices.models import Agency, AgencyType, Office
from lotsen.web import office_in_charge, roles_required, show_error, submit

bp = Blueprint("offices", __name__, url_prefix="/offices")
agencies_bp = Blueprint("agencies", __name__, url_prefix="/agencies")


@bp.route("/")
@roles_required(Role.ADMIN)
def list_offices():
    """All offices of this instance."""
    offices = db.session().scalars(select(Office).options(selectinload(Office.municipalities)).order_by(Office.name))
    return render_template("offices/list.html", offices=offices.all())


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:office_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_office(office_id: int | None = None):
    """Create or change an office and its municipalities."""
    office = db.session().get(Office, office_id) if office_id else None
    if office_id and office is None:
        abort(404)
    form = forms.OfficeForm(obj=office if request.method == "GET" else None)
    if request.method == "GET" and office is not None:
        form.municipalities.data = "\n".join(m.name for m in office.municipalities)
    if done := submit(form, lambda: services.save_office(
            db.session(), current_user, office, name=form.name.data, slug=form.slug.data, kind=form.kind.data,
            email=form.email.data, phone=form.phone.data or "", municipalities=form.municipality_names())):
        flash(_("The office %(name)s has been saved.", name=done.value.name), "success")
        return redirect(url_for("offices.list_offices"))
    return render_template("offices/edit.html", form=form, office=office)


@bp.route("/settings", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR, Role.ADMIN)
def edit_settings():
    """The office's own rules: lead time, durations, excluded settings, reminders, allowances."""
    office = office_in_charge()
    form = forms.settings_form(office_settings.all_values(office), formdata=request.form if request.method == "POST"
                               else None)
    if form.validate_on_submit():
        changed = services.update_settings(db.session(), current_user, office, forms.settings_from_form(form))
        flash(_("Settings saved.") if changed else _("Nothing was changed."), "success" if changed else "info")
        return redirect(url_for("offices.edit_settings", office_id=office.id))
    sections = {}
    for setting in office_settings.SETTINGS:
        sections.setdefault(setting.section, []).append((setting, form[setting.key]))
    return render_template("offices/settings.html", form=form, office=office, sections=sections)


@agencies_bp.route("/")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def list_agencies():
    """Agencies that work with the coordinator's office (admins: all)."""
    query = visible_agencies(current_user).options(selectinload(Agency.offices)).order_by(Agency.name)
    type_filter = request.args.get("type", "")
    if type_filter in {t.value for t in AgencyType}:
        query = query.where(Agency.type == AgencyType(type_filter))
    agencies = db.session().scalars(query).all()
    return render_template("agencies/list.html", agencies=agencies, type_filter=type_filter,
                           types=AgencyType.choices(),
                           editable={a.id for a in agencies if can_manage_agency(current_user, a)})


@agencies_bp.route("/new", methods=["GET", "POST"])
@agencies_bp.route("/<int:agency_id>/edit", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR, Role.ADMIN)
def edit_agency(agency_id: int | None = None):
    """Create or change an agency; admins also choose which offices it works with."""
    session = db.session()
    agency = session.get(Agency, agency_id) if agency_id else None
    if agency_id and (agency is None or not can_manage_agency(current_user, agency)):
        abort(404)
    form = forms.AgencyForm(obj=agency if request.method == "GET" else None)
    all_offices = session.scalars(select(Office).order_by(Office.name)).all()
    if current_user.is_admin:
        form.office_ids.choices = options((o.id, o.name) for o in all_offices)
        if request.method == "GET" and agency is not None:
            form.office_ids.data = sorted(agency.office_ids)
    else:
        del form.office_ids  # which offices an agency works with is the admins' decision
    if form.validate_on_submit():
        if current_user.is_admin:
            offices = [o for o in all_offices if o.id in set(form.office_ids.data or [])]
        else:
            # Coordinators keep the agency's other links and cannot drop their own office.
            offices = list(agency.offices) if agency else []
            if current_user.office not in offices:
                offices.append(current_user.office)
        fields = {name: form[name].data for name in ("name", "type", "email", "phone", "street", "postcode", "town",
                                                      "is_active")}
        try:
            agency = services.save_agency(session, current_user, agency, offices, **fields)
        except services.OfficeError as error:
            show_error(form, error)
        else:
            flash(_("The agency %(name)s has been saved.", name=agency.name), "success")
            return redirect(url_for("agencies.list_agencies"))
    return render_template("agencies/edit.html", form=form, agency=agency)
