"""The report page: a period, the sections with their charts and tables, and each section as CSV."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user
from sqlalchemy import select

from lotsen import clock, db
from lotsen.audit.services import record
from lotsen.auth.models import Role
from lotsen.auth.permissions import coordinates
from lotsen.i18n import _, format_date
from lotsen.offices.models import Office
from lotsen.reports import charts, exports, period, queries, sections
from lotsen.spreadsheets import csv_text
from lotsen.web import download, roles_required, writes

bp = Blueprint("reports", __name__, url_prefix="/reports")
KINDS = ("month", "quarter", "year", "range")
LONGEST = dt.timedelta(days=5 * 366)


def _int(name: str, low: int, high: int, default: int) -> int:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() and low <= int(raw) <= high else default


def _date(name: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def chosen_period() -> tuple[str, period.Period, str]:
    """The period the arguments ask for (the current year by default), and what was wrong with them, if anything."""
    today = clock.today()
    kind = request.args.get("period", "year")
    kind = kind if kind in KINDS else "year"
    year = _int("year", 2000, 2200, today.year)
    if kind == "month":
        return kind, period.month(year, _int("number", 1, 12, today.month)), ""
    if kind == "quarter":
        return kind, period.quarter(year, _int("number", 1, 4, (today.month - 1) // 3 + 1)), ""
    if kind == "range":
        start, last = _date("from"), _date("to")
        if start is None or last is None or not 2000 <= start.year <= 2200 or not 2000 <= last.year <= 2200:
            return kind, period.year(year), str(_("Please give both days of the range."))
        if last < start:
            return kind, period.year(year), str(_("The range ends before it begins."))
        chosen = period.Period(start, last + dt.timedelta(days=1))
        if chosen.end - chosen.start > LONGEST:
            return kind, period.year(year), str(_("A range covers at most five years."))
        return kind, chosen, ""
    return kind, period.year(year), ""


def _offices() -> tuple[list[Office], tuple[int, ...], str]:
    """The offices the report covers: the coordinator's own; an admin's choice of one, or all."""
    session = db.session()
    if current_user.is_admin:
        everything = list(session.scalars(select(Office).order_by(Office.name)))
        wanted = request.args.get("office_id", "all")
        if wanted.isdigit() and any(o.id == int(wanted) for o in everything):
            return everything, (int(wanted),), wanted
        return everything, tuple(o.id for o in everything), "all"
    if current_user.office_id is None or not coordinates(current_user, current_user.office_id):
        abort(404)
    return [current_user.office], (current_user.office_id,), str(current_user.office_id)


def _compared(offices: list[Office]) -> tuple[list[Office], str]:
    """The offices an admin puts side by side (two up to ``MAX_COMPARED``, in the list's order), and what was
    wrong with the choice, if anything."""
    if not current_user.is_admin:
        return [], ""
    wanted = {int(v) for v in request.args.getlist("compare") if v.isdigit() and len(v) < 12}
    chosen = [office for office in offices if office.id in wanted]
    if len(chosen) > sections.MAX_COMPARED:
        return [], str(_("Compare at most %(n)d offices at a time.", n=sections.MAX_COMPARED))
    if len(chosen) == 1:
        return [], str(_("Choose at least two offices to compare them."))
    return chosen, ""


def _scope() -> queries.Scope:
    _kind, chosen, _problem = chosen_period()
    _listed, office_ids, _choice = _offices()
    return queries.Scope(office_ids, chosen, clock.zone())


def _build(only: str | None = None):
    kind, chosen, problem = chosen_period()
    offices, office_ids, office_choice = _offices()
    compared, wrong = _compared(offices)
    publish = request.args.get("publish") == "1"
    if compared:
        tables = sections.compare(db.session(), [(o.name, queries.Scope((o.id,), chosen, clock.zone()))
                                                 for o in compared], publish=publish, only=only)
    else:
        tables = sections.build(db.session(), queries.Scope(office_ids, chosen, clock.zone()), publish=publish,
                                only=only)
    return kind, chosen, problem or wrong, offices, office_choice, compared, publish, tables


def _query() -> dict:
    """The page's arguments, for its links (the offices compared are a repeated argument)."""
    return {key: values if len(values) > 1 else values[0] for key, values in request.args.lists()}


@bp.route("/")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def report_page():
    kind, chosen, problem, offices, office_choice, compared, publish, tables = _build()
    return render_template("reports/report.html", kind=kind, period=chosen, problem=problem, offices=offices,
                           office_choice=office_choice, compared=compared, publish=publish, tables=tables,
                           today=clock.today(), describe=charts.describe, plain=sections.plain, query=_query(),
                           max_compared=sections.MAX_COMPARED)


def _table(key: str) -> sections.Table:
    """The one section a CSV or chart asks for (only its figures are queried)."""
    *_rest, tables = _build(only=key)
    found = next(iter(tables), None)
    if found is None:
        abort(404)
    return found


@bp.route("/<key>.csv")
@roles_required(Role.COORDINATOR, Role.ADMIN)
@writes
def section_csv(key: str):
    table = _table(key)
    record(db.session(), "report.exported", actor=current_user, office_id=current_user.office_id,
           details={"section": key, "args": _query()})
    rows = [[c.heading for c in table.columns]] + [
        [sections.plain(row.get(c.key), c.kind) for c in table.columns] for row in table.rows]
    return download(csv_text(rows), "text/csv", f"{key}.csv")


@bp.route("/<key>.svg")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def section_chart(key: str):
    table = _table(key)
    if not table.chart:
        abort(404)
    # The chart's own style sheet is inside the SVG; it holds no script.
    return Response(charts.svg(table), mimetype="image/svg+xml",
                    headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.route("/report.<any(xlsx, pdf):kind>")
@roles_required(Role.COORDINATOR, Role.ADMIN)
@writes
def report_file(kind: str):
    """The whole report as a workbook (a sheet per section) or as a printable document (the tables)."""
    _kind, chosen, *_rest, publish, tables = _build()
    record(db.session(), "report.exported", actor=current_user, office_id=current_user.office_id,
           details={"section": "all", "format": kind, "args": _query()})
    if kind == "xlsx":
        body, mimetype = exports.workbook(tables), XLSX
    else:
        title = _("Report %(from)s – %(to)s",
                  **{"from": format_date(chosen.start), "to": format_date(chosen.last_day)})
        body, mimetype = exports.report_pdf(str(title), tables), "application/pdf"
    return download(body, mimetype, f"report-{chosen.start}-{chosen.last_day}.{kind}")


@bp.route("/lists/<any(requests, assignments):which>.<any(csv, xlsx):kind>")
@roles_required(Role.COORDINATOR, Role.ADMIN)
@writes
def raw_list(which: str, kind: str):
    """The period's requests or assignment records, one row each, for the office's own analysis."""
    scope = _scope()
    chosen = scope.period
    build = exports.request_list if which == "requests" else exports.assignment_list
    header, rows = build(db.session(), scope, current_user)
    record(db.session(), "report.list_exported", actor=current_user, office_id=current_user.office_id,
           details={"list": which, "format": kind, "rows": len(rows), "args": _query()})
    name = f"{which}-{chosen.start}-{chosen.last_day}.{kind}"
    if kind == "xlsx":
        title = str(_("Requests") if which == "requests" else _("Assignment records"))
        return download(exports.list_workbook(title, header, rows), XLSX, name)
    return download(csv_text(exports.list_csv_rows(header, rows)), "text/csv", name)
