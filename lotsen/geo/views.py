"""An office's additions to the gazetteer: missing postcodes and local place names."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import ImmutableMultiDict

from lotsen import db, geo
from lotsen.auth.models import Role
from lotsen.forms import options
from lotsen.geo import forms, services
from lotsen.geo.models import OfficePostcode, PlaceAlias
from lotsen.i18n import _
from lotsen.offices.models import Office
from lotsen.web import load, office_in_charge, roles_required, submit

bp = Blueprint("places", __name__, url_prefix="/places")


def _list_url(office: Office) -> str:
    # Coordinators' URLs stay clean; admins need the office named to come back to it.
    return url_for("places.list_places", office_id=office.id if current_user.is_admin else None)


def _alias_form(office: Office, formdata: ImmutableMultiDict | None = None) -> forms.AliasForm:
    form = forms.AliasForm(formdata=formdata)
    form.municipality_id.choices = options((m.id, m.name) for m in office.municipalities)
    return form


def _page(office: Office, postcode_form: forms.PostcodeForm | None = None,
          alias_form: forms.AliasForm | None = None):
    """The list with both add forms; a failed POST passes its own form in, with errors and input."""
    session = db.session()
    postcodes = session.scalars(select(OfficePostcode).where(OfficePostcode.office_id == office.id)
                                .order_by(OfficePostcode.postcode)).all()
    aliases = session.scalars(select(PlaceAlias).where(PlaceAlias.office_id == office.id)
                              .options(selectinload(PlaceAlias.municipality)).order_by(PlaceAlias.alias)).all()
    if postcode_form is None:
        postcode_form = forms.PostcodeForm(formdata=None)
    if alias_form is None:
        alias_form = _alias_form(office)
    check_form = forms.PostcodeCheckForm(request.args, prefix="check")
    checked = None
    if request.method == "GET" and check_form.postcode.data:
        try:
            checked = services.locate(session, office.id, check_form.postcode.data)
        except services.PlaceError as error:
            message = error.message
            if geo.is_postcode(check_form.postcode.data):
                # A well-formed postcode nobody knows is what the add form below is for: point there, fill it in.
                message = _("Lotsen does not know the postcode %(postcode)s yet; you can add it below.",
                            postcode=check_form.postcode.data)
                postcode_form.postcode.data = postcode_form.postcode.data or check_form.postcode.data
            check_form.postcode.errors = [message]
    return render_template("places/list.html", office=office, postcodes=postcodes, aliases=aliases,
                           postcode_form=postcode_form, alias_form=alias_form, check_form=check_form,
                           checked=checked, added={row.postcode for row in postcodes})


@bp.route("/")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def list_places():
    """The office's added postcodes and local names, with forms to add more."""
    return _page(office_in_charge())


@bp.route("/postcodes", methods=["POST"])
@roles_required(Role.COORDINATOR, Role.ADMIN)
def add_postcode():
    """Add a postcode the offline data lacks."""
    office = office_in_charge()
    form = forms.PostcodeForm()
    if done := submit(form, lambda: services.add_postcode(
            db.session(), current_user, office.id, postcode=form.postcode.data, latitude=form.latitude.data,
            longitude=form.longitude.data, label=form.label.data or "")):
        flash(_("The postcode %(postcode)s has been added.", postcode=done.value.postcode), "success")
        return redirect(_list_url(office))
    return _page(office, postcode_form=form)


@bp.route("/aliases", methods=["POST"])
@roles_required(Role.COORDINATOR, Role.ADMIN)
def add_alias():
    """Let a district or local name stand for one of the office's municipalities."""
    office = office_in_charge()
    form = _alias_form(office, formdata=request.form)
    if done := submit(form, lambda: services.add_alias(db.session(), current_user, office.id, alias=form.alias.data,
                                                       municipality_id=form.municipality_id.data)):
        flash(_("%(alias)s now stands for %(municipality)s.", alias=done.value.alias,
                municipality=done.value.municipality.name), "success")
        return redirect(_list_url(office))
    return _page(office, alias_form=form)


def _remove(model: type[OfficePostcode] | type[PlaceAlias], row_id: int):
    office = office_in_charge()
    row = load(model, row_id, lambda found: found.office_id == office.id)
    name = row.postcode if isinstance(row, OfficePostcode) else row.alias
    services.remove_place(db.session(), current_user, office.id, row)
    flash(_("%(entry)s has been removed.", entry=name), "success")
    return redirect(_list_url(office))


@bp.route("/postcodes/<int:row_id>/remove", methods=["POST"])
@roles_required(Role.COORDINATOR, Role.ADMIN)
def remove_postcode(row_id: int):
    """Remove a postcode the office added."""
    return _remove(OfficePostcode, row_id)


@bp.route("/aliases/<int:row_id>/remove", methods=["POST"])
@roles_required(Role.COORDINATOR, Role.ADMIN)
def remove_alias(row_id: int):
    """Remove a local name the office added."""
    return _remove(PlaceAlias, row_id)
