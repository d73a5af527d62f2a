"""Statements, yearly certificates and agency sheets as PDF (``lotsen.pdf``: fonts for every script the
names are written in) and CSV."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_babel import format_date, format_datetime
from fpdf import FPDF

from lotsen.billing.explain import describe, duration, money
from lotsen.billing.models import RecordOutcome, Statement
from lotsen.billing.rules import Line, LineKind
from lotsen.i18n import _
from lotsen.pdf import document, new_page, paragraph
from lotsen.spreadsheets import csv_text

def lines_of(item: dict) -> list[Line]:
    return [Line(LineKind(kind), Decimal(quantity), Decimal(rate), Decimal(amount), percent)
            for kind, quantity, rate, amount, percent in item["lines"]]


def month_name(year: int, month: int) -> str:
    return format_date(dt.date(year, month, 1), "LLLL yyyy")


def statement_pdf(statement: Statement, office) -> bytes:
    """The volunteer's month, each record explained line by line."""
    return statements_pdf([statement], office)


def statements_pdf(statements: list[Statement], office) -> bytes:
    """Statements in one document, each on its own page (the month's file for the office)."""
    texts = [office.name] + [s.volunteer.name for s in statements] + [
        item["programme"] for s in statements for item in s.items]
    pdf = None
    for statement in statements:
        title = _("Allowance statement %(month)s", month=month_name(statement.year, statement.month))
        if pdf is None:
            pdf = document(title, texts)
        else:
            new_page(pdf, title)
        _statement(pdf, statement, office)
    if pdf is None:
        pdf = document(_("No statements"), texts)
    return bytes(pdf.output())


def _statement(pdf: FPDF, statement: Statement, office) -> None:
    paragraph(pdf, office.name)
    paragraph(pdf, _("Volunteer: %(name)s", name=statement.volunteer.name), bold=True)
    paragraph(pdf, _("Status: %(status)s", status=statement.status.title))
    pdf.ln(3)
    for item in statement.items:
        starts = dt.datetime.fromisoformat(item["starts_at"])
        paragraph(pdf, f"{format_datetime(starts, 'short')} – {RecordOutcome(item['outcome']).title}"
                   + (f" – {item['programme']}" if item["programme"] else ""), bold=True)
        for line in lines_of(item):
            paragraph(pdf, "    " + describe(line))
        paragraph(pdf, "    " + _("Subtotal: %(amount)s", amount=money(Decimal(item["total"]))))
        pdf.ln(1.5)
    pdf.ln(2)
    paragraph(pdf, _("Total: %(amount)s", amount=money(statement.total)), bold=True, size=12)
    paragraph(pdf, _("Time paid: %(time)s", time=duration(statement.minutes)))
    if statement.approved_at:
        paragraph(pdf, _("Approved on %(date)s by %(name)s", date=format_date(statement.approved_at),
                     name=statement.approved_by.name if statement.approved_by else "–"))


def statement_csv(statement: Statement) -> str:
    rows = [[_("Date"), _("What happened"), _("Programme"), _("Line"), _("Amount")]]
    for item in statement.items:
        starts = format_datetime(dt.datetime.fromisoformat(item["starts_at"]), "short")
        outcome = RecordOutcome(item["outcome"]).title
        rows += [[starts, outcome, item["programme"], describe(line), f"{line.amount:.2f}"] for line in lines_of(item)]
    rows.append(["", "", "", _("Total"), f"{statement.total:.2f}"])
    return csv_text(rows)


def certificate_pdf(volunteer, year: int, statements: list[Statement], office) -> bytes:
    """The year's payments for the tax office or the Jobcenter (Bescheinigung über Aufwandsentschädigungen)."""
    pdf = document(_("Certificate of allowances paid in %(year)d", year=year), [office.name, volunteer.name])
    paragraph(pdf, office.name)
    paragraph(pdf, _("For: %(name)s", name=volunteer.name), bold=True)
    pdf.ln(3)
    paragraph(pdf, _("In %(year)d the volunteer was paid these expense allowances for voluntary work:", year=year))
    pdf.ln(1)
    total = Decimal("0")
    for statement in sorted(statements, key=lambda s: s.month):
        total += statement.total
        paragraph(pdf, f"{month_name(statement.year, statement.month)}: {money(statement.total)}")
    pdf.ln(2)
    paragraph(pdf, _("Total %(year)d: %(amount)s", year=year, amount=money(total)), bold=True, size=12)
    pdf.ln(2)
    paragraph(pdf, _("Paid as tax-free allowances for voluntary work (§ 3 Nr. 26 or 26a EStG), as far as the "
                 "yearly limits allow. People on Bürgergeld report these payments to their Jobcenter."))
    return bytes(pdf.output())


def agency_rows(priced: list, agencies: dict) -> list[list]:
    """(agency, date, volunteer's first name, duration, amount) for each confirmed record of the month."""
    rows = []
    for entry in priced:
        record = entry.record
        rows.append([agencies[record.agency_id].name, record.starts_at, record.volunteer.first_name,
                     record.minutes, entry.total])
    return sorted(rows, key=lambda row: (row[0], row[1]))


def agency_sheet_pdf(office, agency, year: int, month: int, rows: list[list]) -> bytes:
    pdf = document(_("Assignments of %(agency)s in %(month)s", agency=agency.name, month=month_name(year, month)),
               [office.name, agency.name] + [row[2] for row in rows])
    paragraph(pdf, office.name)
    pdf.ln(2)
    total = Decimal("0")
    for _agency, starts, first_name, minutes, amount in rows:
        total += amount
        paragraph(pdf, f"{format_datetime(starts, 'short')} – {first_name} – {duration(minutes)} – {money(amount)}")
    pdf.ln(2)
    paragraph(pdf, _("Total: %(amount)s", amount=money(total)), bold=True, size=12)
    return bytes(pdf.output())


def agency_sheet_csv(rows: list[list]) -> str:
    return csv_text([[_("Agency"), _("Date"), _("Volunteer"), _("Minutes"), _("Amount")]] + [
        [agency_name, format_datetime(starts, "short"), first_name, minutes, f"{amount:.2f}"]
        for agency_name, starts, first_name, minutes, amount in rows])
