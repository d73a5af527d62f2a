"""Coordinators import an existing volunteer list from CSV: upload, dry run, confirm."""

from __future__ import annotations

import base64
import binascii
import zlib

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from sqlalchemy import select
from wtforms import BooleanField, HiddenField, SelectField
from wtforms.validators import Optional

from lotsen import clock, db
from lotsen.auth.models import Role
from lotsen.errors import DomainError
from lotsen.forms import options
from lotsen.i18n import _, _l, ngettext
from lotsen.offices.models import Office
from lotsen.volunteers import importer
from lotsen.volunteers.views import bp
from lotsen.web import form_failed, roles_required, show_error

EXAMPLE = "examples/volunteers-import.csv"


class UploadForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[
        FileRequired(_l("Choose the CSV file to import.")),
        FileAllowed(["csv", "txt"], _l("Choose a CSV file (ending in .csv)."))],
        description=_l("UTF-8, separated by semicolons or commas, at most %(mb)d MB and %(rows)d rows.",
                       mb=importer.MAX_BYTES // (1024 * 1024), rows=importer.MAX_ROWS))
    office_id = SelectField(_l("Office"), coerce=int, validators=[Optional()])


class ConfirmForm(FlaskForm):
    # The checked file travels back compressed; on confirm it is read and checked again from scratch.
    content = HiddenField()
    office_id = HiddenField()
    send_invitations = BooleanField(
        _l("Send each new volunteer an invitation email now"),
        description=_l("Otherwise you can send each invitation later from the person's account page."))


def pack(data: bytes) -> str:
    """The file's bytes as text for a hidden field."""
    return base64.urlsafe_b64encode(zlib.compress(data, 9)).decode("ascii")


def unpack(text: str) -> bytes | None:
    """The bytes ``pack`` produced, or None if the text is not such a packet or unpacks beyond the size limit."""
    try:
        inflater = zlib.decompressobj()
        data = inflater.decompress(base64.urlsafe_b64decode(text.encode("ascii")), importer.MAX_BYTES + 1)
    except (binascii.Error, ValueError, zlib.error):
        return None
    if inflater.unconsumed_tail or not inflater.eof:
        return None
    return data


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
        packed = pack(data)
        limit = request.max_form_memory_size
        if limit is not None and len(packed) > limit - 10_000:
            form.file.errors = [_("This file is too large to import at once. Please split it into several files.")]
            return _page(form)
        confirm = ConfirmForm(formdata=None, content=packed, office_id=office.id)
    return _page(form, sheet, confirm, office)


def _confirm(session, form: UploadForm):
    """Read and check the carried file again; import it only if every row is still valid."""
    confirm = ConfirmForm()
    office = _office(session, confirm.office_id.data)
    data = unpack(confirm.content.data or "") if confirm.validate() else None
    if data is None or office is None:
        form.form_errors.append(_("The checked file could not be taken over. Please upload it again."))
        form_failed()
        return _page(form, status=400)
    try:
        rows = importer.parse(data, today=clock.today()).rows
        counts = importer.import_rows(session, current_user._get_current_object(), office, rows,
                                      send_invitations=confirm.send_invitations.data, today=clock.today())
    except importer.ImportRefused as refused:
        form.form_errors.append(refused.message)
        form_failed()
        return _page(form, importer.Sheet(refused.rows, []), None, office)
    except DomainError as error:  # the file as a whole, or a change the profile services refuse
        show_error(form, error)
        return _page(form)
    flash(_("Import done: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.", **counts), "success")
    if confirm.send_invitations.data and counts["created"]:
        flash(ngettext("%(num)d invitation will be sent.", "%(num)d invitations will be sent.", counts["created"]),
              "info")
    return redirect(url_for("volunteers.list_volunteers", office_id=office.id if current_user.is_admin else None))
