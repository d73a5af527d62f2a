"""Coordinators find volunteers, keep their documents and trainings, and export the list."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import IntegerField, StringField
from wtforms.validators import Optional

from lotsen import clock, db
from lotsen import languages as catalogue
from lotsen.audit.services import record
from lotsen.auth.models import Role
from lotsen.forms import FilterSelect, Form, options
from lotsen.i18n import _, _l
from lotsen.offices import settings as office_settings
from lotsen.offices.models import Municipality, Office
from lotsen.volunteers import directory, forms, services
from lotsen.volunteers.models import Mode
from lotsen.volunteers.views import bp, target_profile
from lotsen.web import arg_id, download, page_number, roles_required, show_error, writes

MANAGERS = (Role.COORDINATOR, Role.ADMIN)


class FilterForm(Form):
    class Meta:
        csrf = False

    q = StringField(_l("Name or email"), validators=[Optional()])
    language = FilterSelect(_l("Language"), validators=[Optional()])
    municipality_id = FilterSelect(_l("Municipality"), coerce=int, validators=[Optional()])
    mode = FilterSelect(_l("Way of helping"), validators=[Optional()])
    status = FilterSelect(_l("Status"), validators=[Optional()])
    documents = FilterSelect(_l("Documents"), validators=[Optional()])
    office_id = IntegerField(validators=[Optional()])


STATUS_TITLES = {
    "matchable": _l("Can be asked"), "paused": _l("Paused"), "incomplete": _l("Documents missing"),
    "pending": _l("Awaiting vetting"), "invited": _l("Invited"), "deactivated": _l("Deactivated"),
}


def _filter_form(session, office: Office | None) -> FilterForm:
    form = FilterForm(request.args)
    office_ids = [office.id] if office else None
    municipalities = session.scalars(select(Municipality).where(Municipality.office_id.in_(office_ids))
                                     .order_by(Municipality.name)) if office_ids else []
    form.language.choices = options([("", _("All languages"))] + catalogue.choices())
    form.municipality_id.choices = options([(0, _("All municipalities"))] + [(m.id, m.name) for m in municipalities])
    form.mode.choices = options([("", _("All ways"))] + [
        ("on_site", Mode.ON_SITE.title), ("by_phone", Mode.PHONE.title), ("by_video", Mode.VIDEO.title)])
    form.status.choices = options([("", _("All states"))] + list(STATUS_TITLES.items()))
    form.documents.choices = options([("", _("Any")), ("expiring", _("Certificate expiring or expired")),
                                      ("missing", _("Declaration or certificate missing"))])
    return form


def _scope(session) -> Office | None:
    if current_user.is_admin:
        office_id = arg_id("office_id")
        return session.get(Office, office_id) if office_id else None
    return current_user.office


def _filters(form: FilterForm) -> directory.Filters:
    valid = form.validate()
    data = form.data if valid else {}
    return directory.Filters(q=data.get("q") or "", language=data.get("language") or "",
                             municipality_id=data.get("municipality_id") or None, mode=data.get("mode") or "",
                             status=data.get("status") or "", documents=data.get("documents") or "")


@bp.route("/volunteers/")
@roles_required(*MANAGERS)
def list_volunteers():
    """The pool, filtered by language, municipality, way of helping, status and documents."""
    session = db.session()
    office = _scope(session)
    form = _filter_form(session, office)
    filters = _filters(form)
    page = page_number()
    rows, total = directory.search(session, current_user, filters, today=clock.today(), office=office, page=page)
    today = clock.today()
    return render_template("volunteers/directory.html", form=form, rows=rows, total=total, page=page,
                           per_page=directory.PER_PAGE, summary=directory.language_summary,
                           matchable=services.is_matchable, paused=lambda p: services.is_paused_on(p, today))


@bp.route("/volunteers/export.csv")
@roles_required(*MANAGERS)
@writes
def export_volunteers():
    """The filtered list as a CSV file."""
    session = db.session()
    office = _scope(session)
    filters = _filters(_filter_form(session, office))
    body = directory.to_csv(session, current_user, filters, today=clock.today(), office=office)
    record(session, "volunteer.list_exported", actor=current_user, office_id=current_user.office_id,
           details={"filters": {k: v for k, v in vars(filters).items() if v}})
    return download(body, "text/csv", f"volunteers-{clock.today().isoformat()}.csv")


def _managed(user_id: int):
    return target_profile(user_id)


def _show(profile, documents_form):
    office = db.session().get(Office, profile.office_id)
    today = clock.today()
    return render_template(
        "volunteers/show.html", profile=profile, user=profile.user, documents_form=documents_form,
        training_form=forms.TrainingForm(), matchable=services.is_matchable(profile),
        paused=services.is_paused_on(profile, today), summary=directory.language_summary,
        expires_on=profile.certificate_expires_on(office_settings.value(office, "certificate_valid_years")),
        action_form=FlaskForm(), today=today)


@bp.route("/volunteers/<int:user_id>", methods=["GET"])
@roles_required(*MANAGERS)
def show_volunteer(user_id: int):
    """A volunteer as the office sees them: profile, documents, trainings, and what is missing."""
    profile = _managed(user_id)
    return _show(profile, forms.DocumentsForm(obj=profile))


@bp.route("/volunteers/<int:user_id>/documents", methods=["POST"])
@roles_required(*MANAGERS)
def update_documents(user_id: int):
    """Record the confidentiality declaration, the certificate check and notes."""
    profile = _managed(user_id)
    form = forms.DocumentsForm()
    if form.validate():
        try:
            services.update_documents(db.session(), current_user, profile,
                                      declaration_signed_on=form.declaration_signed_on.data,
                                      certificate_checked_on=form.certificate_checked_on.data,
                                      coordinator_notes=form.coordinator_notes.data or "", today=clock.today())
        except services.ProfileError as error:
            show_error(form, error)
        else:
            flash(_("Documents saved."), "success")
            return redirect(url_for("volunteers.show_volunteer", user_id=user_id))
    return _show(profile, form)


@bp.route("/volunteers/<int:user_id>/trainings", methods=["POST"])
@roles_required(*MANAGERS)
def add_training(user_id: int):
    """Record a completed training."""
    profile = _managed(user_id)
    form = forms.TrainingForm()
    if form.validate():
        try:
            services.add_training(db.session(), current_user, profile, kind=form.kind.data,
                                  title=form.title.data or "", completed_on=form.completed_on.data,
                                  today=clock.today())
        except services.ProfileError as error:
            flash(error.message, "error")
            return redirect(url_for("volunteers.show_volunteer", user_id=user_id))
        flash(_("Training recorded."), "success")
    else:
        flash(_("Please enter the training and the date it was completed."), "error")
    return redirect(url_for("volunteers.show_volunteer", user_id=user_id))


@bp.route("/volunteers/<int:user_id>/trainings/<int:training_id>/remove", methods=["POST"])
@roles_required(*MANAGERS)
def remove_training(user_id: int, training_id: int):
    """Remove a training recorded by mistake."""
    profile = _managed(user_id)
    try:
        services.remove_training(db.session(), current_user, profile, training_id)
    except services.ProfileError:
        abort(404)
    flash(_("Training removed."), "success")
    return redirect(url_for("volunteers.show_volunteer", user_id=user_id))

