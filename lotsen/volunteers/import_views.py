"""Coordinators import an existing volunteer list from CSV: upload, dry run, confirm."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.file import FileAllowed, FileField, FileRequired
from sqlalchemy import select
from wtforms import BooleanField, HiddenField, SelectField
from wtforms.validators import Optional

from lotsen import clock, db
from lotsen.auth.models import Role
from lotsen.forms import Form, options
from lotsen.i18n import _, _l
from lotsen.jobs import services as jobs
from lotsen.jobs.models import Job, JobStatus
from lotsen.offices.models import Office
from lotsen.volunteers import import_job, importer
from lotsen.volunteers.views import bp
from lotsen.web import acting, form_failed, load, roles_required, show_error

EXAMPLE = "examples/volunteers-import.csv"


class UploadForm(Form):
    file = FileField(_l("CSV file"), validators=[
        FileRequired(_l("Choose the CSV file to import.")),
        FileAllowed(["csv", "txt"], _l("Choose a CSV file (ending in .csv)."))],
        description=_l("UTF-8, separated by semicolons or commas, at most %(mb)d MB and %(rows)d rows.",
                       mb=importer.MAX_BYTES // (1024 * 1024), rows=importer.MAX_ROWS))
    office_id = SelectField(_l("Office"), coerce=int, validators=[Optional()])


class PacketField(HiddenField):
    """The checked file, packed (importer.pack): longer than any text field may be."""

    max_text = 4 * importer.MAX_BYTES


class ConfirmForm(Form):
    # The checked file travels back compressed; on confirm it is read and checked again from scratch.
    content = PacketField()
    office_id = HiddenField()
    send_invitations = BooleanField(
        _l("Send each new volunteer an invitation email now"),
        description=_l("Otherwise you can send each invitation later from the person's account page."))


def _upload_form(session) -> UploadForm:
    form = UploadForm()
    if current_user.is_admin:
        offices = session.scalars(select(Office).order_by(Office.name))
        form.office_id.choices = options([(office.id, office.name) for office in offices])
    else:
        del form.office_id
    return form


def _office(session, office_id) -> Office | None:
    """Coordinators import into their own office whatever the form says; admins into the one they chose."""
    if not current_user.is_admin:
        return current_user.office
    try:
        return session.get(Office, int(office_id or 0))
    except (TypeError, ValueError):
        return None


def _page(form: UploadForm, sheet: importer.Sheet | None = None, confirm: ConfirmForm | None = None,
          office: Office | None = None, status: int = 200):
    return render_template("volunteers/import.html", form=form, sheet=sheet, confirm=confirm, office=office,
                           columns=importer.COLUMNS, example=EXAMPLE), status


@bp.route("/volunteers/import", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR, Role.ADMIN)
def import_volunteers():
    """Upload a volunteer list and see what it would do (dry run); confirming imports it as a whole."""
    session = db.session()
    form = _upload_form(session)
    if request.method == "POST" and "confirm" in request.form:
        return _confirm(session, form)
    if not form.validate_on_submit():
        return _page(form)
    office = _office(session, form.office_id.data if current_user.is_admin else None)
    if office is None:
        form.office_id.errors = [_("Choose the office.")]
        return _page(form)
    data = form.file.data.read(importer.MAX_BYTES + 1)
    try:
        sheet = importer.preview(session, office, data, today=clock.today())
    except importer.ImportFileError as error:
        show_error(form, error)
        return _page(form)
    confirm = None
    if not sheet.has_errors:
        packed = importer.pack(data)
        limit = request.max_form_memory_size
        if limit is not None and len(packed) > limit - 10_000:
            form.file.errors = [_("This file is too large to import at once. Please split it into several files.")]
            return _page(form)
        confirm = ConfirmForm(formdata=None, content=packed, office_id=office.id)
    return _page(form, sheet, confirm, office)


def _confirm(session, form: UploadForm):
    """Hand the checked file to the worker, which imports it as a whole (or nothing) while the page waits."""
    confirm = ConfirmForm()
    office = _office(session, confirm.office_id.data)
    data = importer.unpack(confirm.content.data or "") if confirm.validate() else None
    if data is None or office is None:
        form.form_errors.append(_("The checked file could not be taken over. Please upload it again."))
        form_failed()
        return _page(form, status=400)
    job = jobs.enqueue(session, acting(), import_job.KIND, office_id=office.id,
                       payload=import_job.payload(data, send_invitations=bool(confirm.send_invitations.data)))
    return redirect(url_for("volunteers.import_progress", job_id=job.id))


@bp.route("/volunteers/import/<int:job_id>")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def import_progress(job_id: int):
    """The import while the worker runs it: a progress bar (the page renews itself), then the outcome."""
    job = load(Job, job_id, "can_view")
    if job.kind != import_job.KIND:
        abort(404)
    return render_template("volunteers/import_progress.html", job=job, JobStatus=JobStatus,
                           refresh=not job.status.is_over)
