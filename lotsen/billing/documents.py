"""Statements, yearly certificates and agency sheets as PDF (fpdf2) and CSV.

The PDFs embed Noto Sans (Latin, Cyrillic, Greek) with fallbacks for Arabic and Ethiopic script where a
document needs them (lotsen/fonts, SIL Open Font License), and then shape text with HarfBuzz, so names written
right to left or in Ge'ez come out as they are written.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from flask_babel import format_date, format_datetime
from fpdf import FPDF

from lotsen.billing.explain import describe, duration, money
from lotsen.billing.models import RecordOutcome, Statement
from lotsen.billing.rules import Line, LineKind
from lotsen.i18n import _
from lotsen.spreadsheets import csv_text

FONTS = Path(__file__).resolve().parent.parent / "fonts"


def _needs(texts, low: int, high: int) -> bool:
    return any(low <= ord(char) <= high for text in texts for char in text)


def _pdf(title: str, texts: list[str]) -> FPDF:
    """A new A4 document with its title; the Arabic and Ethiopic fallbacks are embedded only when ``texts``
    (the names and words it will show) need them."""
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator("Lotsen")
    pdf.add_font("noto", "", FONTS / "NotoSans-Regular.ttf")
    pdf.add_font("noto", "B", FONTS / "NotoSans-Bold.ttf")
    fallbacks = []
    if _needs(texts, 0x0600, 0x06FF) or _needs(texts, 0x0750, 0x077F) or _needs(texts, 0xFB50, 0xFEFF):
        pdf.add_font("arabic", "", FONTS / "NotoSansArabic-Regular.ttf")
        fallbacks.append("arabic")
    if _needs(texts, 0x1200, 0x139F) or _needs(texts, 0x2D80, 0x2DDF) or _needs(texts, 0xAB00, 0xAB2F):
        pdf.add_font("ethiopic", "", FONTS / "NotoSansEthiopic-Regular.ttf")
        fallbacks.append("ethiopic")
    if fallbacks:
        pdf.set_fallback_fonts(fallbacks, exact_match=False)
        pdf.set_text_shaping(True)  # HarfBuzz: joined Arabic letters, right-to-left runs in their order
    pdf.set_auto_page_break(True, margin=18)
    _page(pdf, title)
    return pdf


def _page(pdf: FPDF, title: str) -> None:
    pdf.add_page()
    pdf.set_font("noto", "B", 15)
    pdf.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("noto", "", 10)


def _text(pdf: FPDF, text: str, *, bold: bool = False, size: int = 10) -> None:
    pdf.set_font("noto", "B" if bold else "", size)
    pdf.multi_cell(0, 5.5, text, new_x="LMARGIN", new_y="NEXT")


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
            pdf = _pdf(title, texts)
        else:
            _page(pdf, title)
        _statement(pdf, statement, office)
    if pdf is None:
        pdf = _pdf(_("No statements"), texts)
    return bytes(pdf.output())


def _statement(pdf: FPDF, statement: Statement, office) -> None:
    _text(pdf, office.name)
    _text(pdf, _("Volunteer: %(name)s", name=statement.volunteer.name), bold=True)
    _text(pdf, _("Status: %(status)s", status=statement.status.title))
    pdf.ln(3)
    for item in statement.items:
        starts = dt.datetime.fromisoformat(item["starts_at"])
        _text(pdf, f"{format_datetime(starts, 'short')} – {RecordOutcome(item['outcome']).title}"
                   + (f" – {item['programme']}" if item["programme"] else ""), bold=True)
        for line in lines_of(item):
            _text(pdf, "    " + describe(line))
        _text(pdf, "    " + _("Subtotal: %(amount)s", amount=money(Decimal(item["total"]))))
        pdf.ln(1.5)
    pdf.ln(2)
    _text(pdf, _("Total: %(amount)s", amount=money(statement.total)), bold=True, size=12)
    _text(pdf, _("Time paid: %(time)s", time=duration(statement.minutes)))
    if statement.approved_at:
        _text(pdf, _("Approved on %(date)s by %(name)s", date=format_date(statement.approved_at),
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
    pdf = _pdf(_("Certificate of allowances paid in %(year)d", year=year), [office.name, volunteer.name])
    _text(pdf, office.name)
    _text(pdf, _("For: %(name)s", name=volunteer.name), bold=True)
    pdf.ln(3)
    _text(pdf, _("In %(year)d the volunteer was paid these expense allowances for voluntary work:", year=year))
    pdf.ln(1)
    total = Decimal("0")
    for statement in sorted(statements, key=lambda s: s.month):
        total += statement.total
        _text(pdf, f"{month_name(statement.year, statement.month)}: {money(statement.total)}")
    pdf.ln(2)
    _text(pdf, _("Total %(year)d: %(amount)s", year=year, amount=money(total)), bold=True, size=12)
    pdf.ln(2)
    _text(pdf, _("Paid as tax-free allowances for voluntary work (§ 3 Nr. 26 or 26a EStG), as far as the "
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
    pdf = _pdf(_("Assignments of %(agency)s in %(month)s", agency=agency.name, month=month_name(year, month)),
               [office.name, agency.name] + [row[2] for row in rows])
    _text(pdf, office.name)
    pdf.ln(2)
    total = Decimal("0")
    for _agency, starts, first_name, minutes, amount in rows:
        total += amount
        _text(pdf, f"{format_datetime(starts, 'short')} – {first_name} – {duration(minutes)} – {money(amount)}")
    pdf.ln(2)
    _text(pdf, _("Total: %(amount)s", amount=money(total)), bold=True, size=12)
    return bytes(pdf.output())


def agency_sheet_csv(rows: list[list]) -> str:
    return csv_text([[_("Agency"), _("Date"), _("Volunteer"), _("Minutes"), _("Amount")]] + [
        [agency_name, format_datetime(starts, "short"), first_name, minutes, f"{amount:.2f}"]
        for agency_name, starts, first_name, minutes, amount in rows])
