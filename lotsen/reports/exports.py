"""The report as an XLSX workbook (a sheet per section), and the period's raw lists of requests and
assignments for the office's own analysis: pseudonymous (case numbers, never client names or contacts),
volunteers by name only for the office itself."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from lotsen import clock
from lotsen import languages as catalogue
from lotsen.assignments.lifecycle import LIVE
from lotsen.assignments.models import Assignment
from lotsen.auth.models import User
from lotsen.billing.models import AssignmentRecord, Programme
from lotsen.i18n import _
from lotsen.offices.models import Agency, Municipality
from lotsen.reports.queries import Scope, records_in, requests_in
from lotsen.pdf import document, paragraph
from lotsen.reports.sections import Suppressed, Table, display
from lotsen.requests.models import HelpRequest
from lotsen.spreadsheets import safe_cell


def _cell(value, kind: str = ""):
    """Numbers stay numbers; text can never become a formula; suppressed counts are their words."""
    if value is None:
        return None
    if isinstance(value, Suppressed):
        return str(value)
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, (int, float, Decimal)):
        return float(value) * 100 if kind == "percent" else float(value) if isinstance(value, Decimal) else value
    if isinstance(value, dt.datetime):
        return value.astimezone(clock.zone()).replace(tzinfo=None)
    if isinstance(value, dt.date):
        return value
    return safe_cell(value)


def _sheet(book: Workbook, title: str, header: list[str], rows: list[list]) -> None:
    used = {sheet.title for sheet in book.worksheets}
    name = "".join(ch for ch in title if ch not in '[]:*?/\\')[:31] or "Sheet"
    number = 2
    while name in used:
        suffix = f" {number}"
        name, number = name[:31 - len(suffix)] + suffix, number + 1
    sheet = book.create_sheet(name)
    sheet.append([safe_cell(h) for h in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for index, column in enumerate(header, 1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, min(48, len(str(column)) + 4))
    sheet.freeze_panes = "A2"


def _bytes(book: Workbook) -> bytes:
    del book[book.sheetnames[0]]  # the empty sheet a new workbook starts with
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def workbook(tables: list[Table]) -> bytes:
    """Every section of the report as a sheet, in the page's order."""
    book = Workbook()
    for table in tables:
        _sheet(book, str(table.title), [c.heading for c in table.columns],
               [[_cell(row.get(c.key), c.kind) for c in table.columns] for row in table.rows])
    return _bytes(book)


def report_pdf(title: str, tables: list[Table]) -> bytes:
    """The whole report as a printable document: each section's table (the charts are on the page)."""
    texts = [title] + [str(row.get("label", "")) for table in tables for row in table.rows] + [
        column.group for table in tables for column in table.columns]
    widest = max((len(table.columns) for table in tables), default=0)
    pdf = document(title, texts, landscape=widest > 8)  # offices side by side
    for table in tables:
        pdf.ln(3)
        paragraph(pdf, str(table.title), bold=True, size=12)
        if table.note:
            paragraph(pdf, str(table.note), size=8)
        if not table.rows:
            paragraph(pdf, str(_("Nothing in this period.")))
            continue
        pdf.set_font("noto", "", 8 if len(table.columns) <= 12 else 6)
        with pdf.table(text_align="LEFT", first_row_as_headings=True, line_height=4.5) as grid:
            header = grid.row()
            for column in table.columns:
                header.cell(column.heading)
            for row in table.rows:
                cells = grid.row()
                for column in table.columns:
                    cells.cell(display(row.get(column.key), column.kind))
    return bytes(pdf.output())


def _volunteer_names(viewer, scope: Scope) -> bool:
    """Names only for the office's own coordinators (an admin's report across offices goes without)."""
    return len(scope.office_ids) == 1 and viewer.office_id == scope.office_ids[0]


def request_list(session: Session, scope: Scope, viewer) -> tuple[list[str], list[list]]:
    volunteer = aliased(User)
    names = _volunteer_names(viewer, scope)
    header = [_("Request"), _("Date and time"), _("Language"), _("Variety"), _("Who is needed"), _("How"),
              _("Topic"), _("Agency"), _("Agency type"), _("Municipality"), _("Status"), _("Urgent"),
              _("Cancelled late"), _("Reason not filled"), _("Reference"), _("Filed"), _("Volunteer confirmed")]
    if names:
        header.append(_("Volunteer"))
    query = (select(HelpRequest, Agency, Municipality.name, Assignment.confirmed_at, volunteer.name)
             .join(Agency, Agency.id == HelpRequest.agency_id)
             .outerjoin(Municipality, Municipality.id == HelpRequest.municipality_id)
             .outerjoin(Assignment, (Assignment.request_id == HelpRequest.id) & Assignment.status.in_(LIVE))
             .outerjoin(volunteer, volunteer.id == Assignment.volunteer_id)
             .where(requests_in(scope)).order_by(HelpRequest.starts_at, HelpRequest.id))
    rows = []
    for request, agency, municipality, confirmed_at, volunteer_name in session.execute(query):
        row = [request.id, request.starts_at, catalogue.name(request.language),
               catalogue.variety_name(request.language, request.variety) if request.variety else "",
               request.kind.title, request.mode.title, request.topic.title, agency.name, agency.type.title,
               municipality or "", request.status.title, request.is_urgent, request.cancelled_late,
               request.unfilled_reason.title if request.unfilled_reason else "", request.client_reference,
               request.created_at, confirmed_at]
        if names:
            row.append(volunteer_name or "")
        rows.append(row)
    return [str(h) for h in header], rows


def assignment_list(session: Session, scope: Scope, viewer) -> tuple[list[str], list[list]]:
    names = _volunteer_names(viewer, scope)
    header = [_("Record"), _("Start"), _("End"), _("Language"), _("Agency"), _("What happened"), _("Minutes"),
              _("Waiting time"), _("Travel time"), _("Kilometres"), _("Status"), _("Programme"), _("Amount")]
    if names:
        header.append(_("Volunteer"))
    query = (select(AssignmentRecord, HelpRequest.language, Agency.name, Programme.name, User.name)
             .join(Assignment, Assignment.id == AssignmentRecord.assignment_id)
             .join(HelpRequest, HelpRequest.id == Assignment.request_id)
             .join(Agency, Agency.id == AssignmentRecord.agency_id)
             .join(User, User.id == AssignmentRecord.volunteer_id)
             .outerjoin(Programme, Programme.id == AssignmentRecord.programme_id)
             .where(records_in(scope)).order_by(AssignmentRecord.starts_at, AssignmentRecord.id))
    rows = []
    for record, language, agency, programme, volunteer_name in session.execute(query):
        row = [record.id, record.starts_at, record.ends_at, catalogue.name(language), agency, record.outcome.title,
               record.minutes, record.waiting_minutes, record.travel_minutes, record.travel_km,
               record.status.title, programme or "", record.amount]
        if names:
            row.append(volunteer_name)
        rows.append(row)
    return [str(h) for h in header], rows


def list_workbook(title: str, header: list[str], rows: list[list]) -> bytes:
    book = Workbook()
    _sheet(book, title, header, [[_cell(value) for value in row] for row in rows])
    return _bytes(book)


def list_csv_rows(header: list[str], rows: list[list]) -> list[list]:
    def text(value):
        if isinstance(value, dt.datetime):
            return value.astimezone(clock.zone()).strftime("%Y-%m-%d %H:%M")
        if isinstance(value, bool):
            return str(_("yes") if value else _("no"))
        return "" if value is None else value
    return [header] + [[text(value) for value in row] for row in rows]
