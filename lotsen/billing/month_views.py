"""The office's month: draw up statements (a worker job), approve them, pay them as one SEPA file; the
volunteers' bank details, statements and yearly certificates; the agencies' sheets."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lotsen import clock, db
from lotsen.audit.services import record
from lotsen.auth.models import Role, User
from lotsen.auth.permissions import coordinates
from lotsen.billing import bank, documents, forms, payout, pricing, statements
from lotsen.billing.lifecycle import RecordStatus
from lotsen.billing.models import AssignmentRecord, Payout, PayoutDetails, Statement, StatementStatus
from lotsen.billing.views import COORDINATING, bp, month_arg, shift_month
from lotsen.i18n import _, ngettext
from lotsen.jobs import services as jobs
from lotsen.jobs.models import Job, JobStatus
from lotsen.offices import settings as office_settings
from lotsen.offices.models import Agency, Office
from lotsen.web import acting, download, load, office_in_charge, roles_required, submit, writes


# ------------------------------------------------------------------------------------------- the month

@bp.route("/month")
@roles_required(*COORDINATING)
def month_page():
    """The month's statements: draw up, approve, pay; what is still waiting for the agencies."""
    session, office = db.session(), office_in_charge(first_for_admins=True)
    year, month = month_arg()
    start, end = pricing.month_bounds(year, month)
    listed = statements.statements_of(session, office.id, year, month)
    details = {d.volunteer_id: d for d in session.scalars(select(PayoutDetails).where(
        PayoutDetails.volunteer_id.in_([s.volunteer_id for s in listed])))}
    waiting = list(session.scalars(select(AssignmentRecord).where(
        AssignmentRecord.office_id == office.id, AssignmentRecord.starts_at >= start, AssignmentRecord.starts_at < end,
        AssignmentRecord.status.in_([RecordStatus.SUBMITTED, RecordStatus.DISPUTED]))
        .order_by(AssignmentRecord.starts_at)))
    running = session.scalar(select(Job).where(Job.kind == statements.KIND, Job.office_id == office.id,
                                               Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING])))
    payouts = list(session.scalars(select(Payout).where(Payout.office_id == office.id, Payout.year == year,
                                                        Payout.month == month).order_by(Payout.id)))
    agencies = []
    if office_settings.value(office, "agency_sheets"):
        agencies = list(session.scalars(select(Agency).where(Agency.id.in_(select(AssignmentRecord.agency_id).where(
            AssignmentRecord.office_id == office.id, AssignmentRecord.starts_at >= start,
            AssignmentRecord.starts_at < end))).order_by(Agency.name)))
    totals = statements.year_totals(session, [s.volunteer_id for s in listed], {year})  # one query, not one each
    tallies = {s.volunteer_id: statements.tally_of(details.get(s.volunteer_id),
                                                   totals.get((s.volunteer_id, year), Decimal("0")))
               for s in listed}
    pay_form = forms.PayForm(formdata=None, execution_date=clock.today() + dt.timedelta(days=2))
    offices = list(session.scalars(select(Office).order_by(Office.name))) if current_user.is_admin else []
    return render_template("billing/month.html", office=office, offices=offices, year=year, month=month,
                           statements=listed,
                           details=details, waiting=waiting, running=running, payouts=payouts, agencies=agencies,
                           tallies=tallies, pay_form=pay_form, month_start=dt.date(year, month, 1),
                           previous=shift_month(year, month, -1), following=shift_month(year, month, 1),
                           StatementStatus=StatementStatus)


@bp.route("/month/close", methods=["POST"])
@roles_required(*COORDINATING)
def close_month():
    """Hand the month's closing to the worker; the page shows its progress."""
    office = office_in_charge(first_for_admins=True)
    year, month = month_arg()
    job = jobs.enqueue(db.session(), acting(), statements.KIND, office_id=office.id,
                       payload={"year": year, "month": month})
    return redirect(url_for("billing.month_job", job_id=job.id))


@bp.route("/month/jobs/<int:job_id>")
@roles_required(*COORDINATING)
def month_job(job_id: int):
    job = load(Job, job_id, lambda j: j.kind == statements.KIND and coordinates(current_user, j.office_id))
    return render_template("billing/month_job.html", job=job, JobStatus=JobStatus, refresh=not job.status.is_over,
                           month=f"{job.result.get('year') or job.payload.get('year')}-"
                                 f"{int(job.result.get('month') or job.payload.get('month')):02d}")


@bp.route("/month/approve", methods=["POST"])
@roles_required(*COORDINATING)
def approve_statements():
    office = office_in_charge(first_for_admins=True)
    year, month = month_arg()
    ids = [int(i) for i in request.form.getlist("statement_id") if i.isdigit()]
    if not ids:  # "approve all drafts"
        ids = [s.id for s in statements.statements_of(db.session(), office.id, year, month)
               if s.status is StatementStatus.DRAFT]
    try:
        approved = statements.approve(db.session(), acting(), ids, office.id)
    except statements.StatementError as error:
        flash(error.message, "error")
    else:
        flash(ngettext("%(num)d statement approved.", "%(num)d statements approved.", len(approved)), "success")
    return redirect(url_for("billing.month_page", office_id=office.id, month=f"{year:04d}-{month:02d}"))


@bp.route("/month/pay", methods=["POST"])
@roles_required(*COORDINATING)
def pay_month():
    office = office_in_charge(first_for_admins=True)
    year, month = month_arg()
    form = forms.PayForm()
    if done := submit(form, lambda: payout.pay(db.session(), acting(), office.id, year, month,
                                               form.execution_date.data)):
        made, missing = done.value
        flash(ngettext("The SEPA file for %(num)d payment is ready to download.",
                       "The SEPA file for %(num)d payments is ready to download.", made.count), "success")
        if missing:
            flash(_("Left out for missing bank details: %(names)s", names=", ".join(s.volunteer.name for s in missing)),
                  "warning")
    else:
        flash(" ".join(str(e) for e in form.form_errors + list(form.execution_date.errors))
              or _("Please enter the execution date."), "error")
    return redirect(url_for("billing.month_page", office_id=office.id, month=f"{year:04d}-{month:02d}"))


@bp.route('/payouts/<int:payout_id>/<any(sepa, "cash-office"):file>.<any(xml, csv):kind>')
@roles_required(*COORDINATING)
@writes
def payout_file(payout_id: int, file: str, kind: str):
    """The payout's SEPA file for the bank (sepa.xml), or its list for the cash office (cash-office.csv)."""
    made = load(Payout, payout_id, "can_view")
    if (file, kind) not in (("sepa", "xml"), ("cash-office", "csv")):
        abort(404)
    record(db.session(), "payout.downloaded", actor=current_user, subject=made, office_id=made.office_id,
           details={"file": file})
    stem = f"{made.year}-{made.month:02d}-{made.id}"
    if file == "sepa":
        return download(made.sepa_xml, "application/xml", f"sepa-{stem}.xml")
    return download(payout.cash_office_csv(db.session(), made), "text/csv", f"kasse-{stem}.csv")


# ------------------------------------------------------------------------------------------- statements

@bp.route("/statements/<int:statement_id>")
@roles_required(Role.VOLUNTEER, *COORDINATING)
def show_statement(statement_id: int):
    statement = load(Statement, statement_id, "can_view")
    items = [(item, dt.datetime.fromisoformat(item["starts_at"]), Decimal(item["total"]),
              [documents.describe(line) for line in documents.lines_of(item)]) for item in statement.items]
    return render_template("billing/statement.html", statement=statement, items=items,
                           month_start=dt.date(statement.year, statement.month, 1),
                           tally=statements.tally(db.session(), statement.volunteer_id, statement.year))


@bp.route("/statements/<int:statement_id>.<any(pdf, csv):kind>")
@roles_required(Role.VOLUNTEER, *COORDINATING)
@writes
def statement_file(statement_id: int, kind: str):
    statement = load(Statement, statement_id, "can_view")
    office = db.session().get(Office, statement.office_id)
    record(db.session(), "statement.exported", actor=current_user, subject=statement, office_id=office.id,
           details={"format": kind})
    name = f"abrechnung-{statement.year}-{statement.month:02d}-{statement.id}.{kind}"
    if kind == "pdf":
        return download(documents.statement_pdf(statement, office), "application/pdf", name)
    return download(documents.statement_csv(statement), "text/csv", name)


@bp.route("/month/statements.pdf")
@roles_required(*COORDINATING)
@writes
def month_statements_pdf():
    """All statements of the month in one document, each on its own page: the month's file for the records."""
    session, office = db.session(), office_in_charge(first_for_admins=True)
    year, month = month_arg()
    listed = statements.statements_of(session, office.id, year, month)
    record(session, "statement.exported", actor=current_user, office_id=office.id,
           details={"format": "pdf", "year": year, "month": month, "statements": len(listed)})
    return download(documents.statements_pdf(listed, office), "application/pdf",
                     f"abrechnungen-{year}-{month:02d}.pdf")


@bp.route("/certificates/<int:user_id>/<int:year>.pdf")
@roles_required(Role.VOLUNTEER, *COORDINATING)
@writes
def certificate(user_id: int, year: int):
    """The year's payments, for the tax office or the Jobcenter."""
    session = db.session()
    volunteer = session.get(User, user_id)
    if volunteer is None or not bank.may_see(current_user, volunteer) or not 2000 <= year <= 2200:
        abort(404)
    paid = list(session.scalars(select(Statement).where(Statement.volunteer_id == volunteer.id,
                                                        Statement.year == year,
                                                        Statement.status == StatementStatus.PAID)))
    office = session.get(Office, volunteer.office_id)
    record(session, "certificate.exported", actor=current_user, subject=volunteer, office_id=office.id,
           details={"year": year})
    return download(documents.certificate_pdf(volunteer, year, paid, office), "application/pdf",
                     f"bescheinigung-{year}-{volunteer.id}.pdf")


# ------------------------------------------------------------------------------------------- agency sheets

@bp.route("/month/agencies/<int:agency_id>.<any(pdf, csv):kind>")
@roles_required(*COORDINATING)
@writes
def agency_sheet(agency_id: int, kind: str):
    """One agency's confirmed assignments of the month with amounts (for offices that charge agencies)."""
    session, office = db.session(), office_in_charge(first_for_admins=True)
    agency = session.get(Agency, agency_id)
    if agency is None or office.id not in agency.office_ids or not office_settings.value(office, "agency_sheets"):
        abort(404)
    year, month = month_arg()
    start, end = pricing.month_bounds(year, month)
    volunteer_ids = session.scalars(select(AssignmentRecord.volunteer_id).where(
        AssignmentRecord.office_id == office.id, AssignmentRecord.agency_id == agency.id,
        AssignmentRecord.starts_at >= start, AssignmentRecord.starts_at < end).distinct()).all()
    # Each volunteer's month is priced whole (the caps span agencies); the sheet shows this agency's part.
    priced = [p for month_of_one in pricing.price_month(session, office, year, month,
                                                         volunteer_ids=list(volunteer_ids)).values()
              for p in month_of_one if p.record.agency_id == agency.id]
    rows = documents.agency_rows(priced, {agency.id: agency})
    record(session, "agency_sheet.exported", actor=current_user, subject=agency, office_id=office.id,
           details={"year": year, "month": month, "format": kind})
    name = f"einrichtung-{agency.id}-{year}-{month:02d}.{kind}"
    if kind == "pdf":
        return download(documents.agency_sheet_pdf(office, agency, year, month, rows), "application/pdf", name)
    return download(documents.agency_sheet_csv(rows), "text/csv", name)


# ------------------------------------------------------------------------------------------- bank details

@bp.route("/profile/payout", methods=["GET", "POST"])
@bp.route("/volunteers/<int:user_id>/payout", methods=["GET", "POST"])
@roles_required(Role.VOLUNTEER, *COORDINATING)
def payout_details(user_id: int | None = None):
    """Bank details and the tax-free allowance; the year's total against its limit; the certificates."""
    session = db.session()
    volunteer = session.get(User, user_id) if user_id else current_user._get_current_object()
    if volunteer is None or not bank.may_see(current_user, volunteer):
        abort(404)
    details = bank.details_of(session, volunteer)
    form = forms.PayoutDetailsForm(obj=details if request.method == "GET" else None)
    if request.method == "GET":
        form.tax_allowance.data = details.tax_allowance.value if details.tax_allowance else "volunteering"
    if submit(form, lambda: bank.save(session, acting(), volunteer, account_holder=form.account_holder.data or "",
                                      iban=form.iban.data or "", bic=form.bic.data or "",
                                      tax_allowance=form.tax_allowance.data,
                                      on_buergergeld=bool(form.on_buergergeld.data))):
        flash(_("Saved."), "success")
        return redirect(request.path)
    year = clock.today().year
    own = list(session.scalars(select(Statement).where(
        Statement.volunteer_id == volunteer.id, Statement.status != StatementStatus.DRAFT)
        .options(selectinload(Statement.payout)).order_by(Statement.year.desc(), Statement.month.desc())))
    return render_template("billing/payout_details.html", form=form, volunteer=volunteer, own=own,
                           tally=statements.tally(session, volunteer.id, year), year=year,
                           years=sorted({s.year for s in own if s.status is StatementStatus.PAID}, reverse=True))
