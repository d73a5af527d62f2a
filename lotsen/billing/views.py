"""Assignment records: recorded by the volunteer, confirmed by the agency (link or signed in), decided and
priced by the office; the office's programmes and rates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lotsen import clock, db
from lotsen import languages as catalogue
from lotsen.assignments.models import Assignment
from lotsen.auth.models import Role
from lotsen.auth.permissions import coordinates
from lotsen.billing import explain, forms, links, pricing, programmes, records
from lotsen.billing.lifecycle import RecordStatus
from lotsen.billing.models import AssignmentRecord, Programme, RecordFacts, RecordOutcome
from lotsen.errors import DomainError
from lotsen.i18n import _
from lotsen.offices.models import Office
from lotsen.requests.timing import NonexistentTime, to_utc
from lotsen.web import acting, arg_id, load, office_in_charge, public, roles_required, submit

bp = Blueprint("billing", __name__)

COORDINATING = (Role.COORDINATOR, Role.ADMIN)


# ------------------------------------------------------------------------------------------- the record

def _facts(form, assignment: Assignment) -> records.Facts:
    """The form's local times on the assignment's day (an end before the start is the next day), as UTC."""
    zone = clock.zone()
    day = assignment.starts_at.astimezone(zone).date()
    try:
        starts = to_utc(day, form.starts.data, zone)
        ends = to_utc(day + dt.timedelta(days=1) if form.ends.data <= form.starts.data else day, form.ends.data,
                      zone)
    except NonexistentTime:
        raise records.RecordError(_("This time does not exist on that day: the clocks went forward."),
                                  "starts") from None
    return records.Facts(RecordOutcome(form.outcome.data), starts, ends, form.mode.data,
                         waiting_minutes=form.waiting_minutes.data or 0, travel_minutes=form.travel_minutes.data or 0,
                         travel_km=Decimal(form.travel_km.data or 0), note=form.note.data or "")


def _prefill(form, *, starts_at: dt.datetime, ends_at: dt.datetime, mode: str,
             outcome: RecordOutcome = RecordOutcome.TOOK_PLACE, waiting_minutes: int | None = None,
             travel_minutes: int | None = None, travel_km: Decimal | None = None) -> None:
    """The form as it opens: a new record from the plan, a change from the current version."""
    zone = clock.zone()
    form.outcome.data, form.mode.data = outcome.value, mode
    form.starts.data, form.ends.data = starts_at.astimezone(zone).time(), ends_at.astimezone(zone).time()
    form.waiting_minutes.data, form.travel_minutes.data, form.travel_km.data = (waiting_minutes, travel_minutes,
                                                                               travel_km)


def record_page(assignment: Assignment):
    """The volunteer (or a coordinator) records an assignment: the view behind
    ``assignments.record_assignment``."""
    existing = db.session().scalar(select(AssignmentRecord).where(AssignmentRecord.assignment_id == assignment.id))
    if existing is not None:
        return redirect(url_for("billing.show_record", record_id=existing.id))
    form = forms.RecordForm()
    if request.method == "GET":
        _prefill(form, starts_at=assignment.starts_at, ends_at=assignment.ends_at,
                 mode=assignment.request.mode.value)
    if done := submit(form, lambda: records.record(db.session(), acting(), assignment.id, _facts(form, assignment))):
        flash(_("Thank you, it has been recorded. The agency is asked to confirm it."), "success")
        return redirect(url_for("billing.show_record", record_id=done.value.id))
    return render_template("billing/record_form.html", form=form, assignment=assignment, req=assignment.request,
                           entry=None, language_name=catalogue.name)


@bp.route("/records/<int:record_id>")
@roles_required(Role.VOLUNTEER, Role.CASEWORKER, *COORDINATING)
def show_record(record_id: int):
    """A record: what the agency sees is the date, the times, the duration and the volunteer's first name."""
    entry = load(AssignmentRecord, record_id, "can_view")
    as_agency = entry.is_agency(current_user)
    priced = None if as_agency else pricing.price_record(db.session(), entry)
    decide_form = forms.DecideForm(formdata=None)
    choice = None
    if entry.can_choose_programme(current_user):
        choice = forms.ProgrammeChoiceForm(formdata=None, programme_id=entry.programme_id)
        choice.programme_id.choices = [(p.id, p.name) for p in programmes.programmes_of(db.session(),
                                                                                        entry.office_id)]
    return render_template("billing/record.html", entry=entry, req=entry.assignment.request, as_agency=as_agency,
                           lines=explain.explained(priced.allowance) if priced else [],
                           total=priced.total if priced and priced.allowance else None, now=clock.now(),
                           answer_form=forms.AnswerForm(formdata=None), decide_form=decide_form, choice=choice,
                           language_name=catalogue.name)


@bp.route("/records/<int:record_id>/edit", methods=["GET", "POST"])
@roles_required(Role.VOLUNTEER, *COORDINATING)
def revise_record(record_id: int):
    entry = load(AssignmentRecord, record_id, "can_revise")
    form = forms.RecordForm()
    form.outcome.choices = [(o.value, o.title) for o in RecordOutcome]
    if request.method == "GET":
        _prefill(form, **{name: getattr(entry, name) for name in RecordFacts.FIELDS})
    if submit(form, lambda: records.revise(db.session(), acting(), entry.id, _facts(form, entry.assignment))):
        flash(_("The record has been changed. The agency is asked to confirm it again."), "success")
        return redirect(url_for("billing.show_record", record_id=entry.id))
    return render_template("billing/record_form.html", form=form, assignment=entry.assignment,
                           req=entry.assignment.request, entry=entry, language_name=catalogue.name)


@bp.route("/records/<int:record_id>/answer", methods=["POST"])
@roles_required(Role.CASEWORKER)
def answer_record(record_id: int):
    """A caseworker of the agency confirms or disputes, signed in."""
    entry = load(AssignmentRecord, record_id, "is_agency")
    return _answer(entry, entry.version, via="signed_in",
                   back=url_for("billing.show_record", record_id=entry.id))


def _answer(entry: AssignmentRecord, version: int, *, via: str, back: str, token: str | None = None):
    form = forms.AnswerForm()
    confirmed = request.form.get("action") == "confirm"
    if done := submit(form, lambda: records.answer(db.session(), acting(), entry.id, version, confirmed=confirmed,
                                                   comment=form.comment.data or "", via=via)):
        flash(_("Thank you: the record is confirmed.") if done.value.status is RecordStatus.CONFIRMED else
              _("Thank you: the office has been told what is not right and will get back to you."), "success")
        return redirect(back)
    if token is not None:
        return _link_page(entry, version, token, form), 409 if not form.errors.get("comment") else 200
    flash(" ".join(str(e) for e in form.form_errors + list(form.comment.errors)) or _("Please try again."), "error")
    return redirect(back)


@bp.route("/confirm/<token>", methods=["GET", "POST"])
@public
def confirm_by_link(token: str):
    """The link in the agency's mail: no password; confirming or disputing takes one more tap."""
    try:
        entry, version = links.record_from_token(db.session(), token)
    except DomainError as error:
        return render_template("assignments/link_error.html", message=error.message), 400
    if request.method == "POST":
        return _answer(entry, version, via="link", back=url_for("billing.confirm_by_link", token=token), token=token)
    return _link_page(entry, version, token, forms.AnswerForm(formdata=None))


def _link_page(entry: AssignmentRecord, version: int, token: str, form):
    return render_template("billing/confirm.html", entry=entry, req=entry.assignment.request, token=token,
                           current=entry.version == version, now=clock.now(), form=form,
                           language_name=catalogue.name)


@bp.route("/records/<int:record_id>/decide", methods=["POST"])
@roles_required(*COORDINATING)
def decide_record(record_id: int):
    entry = load(AssignmentRecord, record_id, lambda r: r.can_decide(current_user, clock.now()))
    form = forms.DecideForm()
    if submit(form, lambda: records.decide(db.session(), acting(), entry.id, form.note.data)):
        flash(_("The record is confirmed by the office."), "success")
    else:
        flash(_("Please note what was decided and why."), "error")
    return redirect(url_for("billing.show_record", record_id=entry.id))


@bp.route("/records/<int:record_id>/programme", methods=["POST"])
@roles_required(*COORDINATING)
def choose_programme(record_id: int):
    entry = load(AssignmentRecord, record_id, "can_choose_programme")
    form = forms.ProgrammeChoiceForm()
    form.programme_id.choices = [(p.id, p.name) for p in programmes.programmes_of(db.session(), entry.office_id)]
    if submit(form, lambda: records.choose_programme(db.session(), acting(), entry.id, form.programme_id.data)):
        flash(_("Saved."), "success")
    return redirect(url_for("billing.show_record", record_id=entry.id))


# ------------------------------------------------------------------------------------------- lists

def month_arg() -> tuple[int, int]:
    today = clock.today()
    raw = request.args.get("month", "")
    try:
        year, month = (int(part) for part in raw.split("-", 1))
        if 2000 <= year <= 2200 and 1 <= month <= 12:
            return year, month
    except ValueError:
        pass
    return today.year, today.month


@bp.route("/records")
@roles_required(Role.VOLUNTEER, Role.CASEWORKER, *COORDINATING)
def list_records():
    """Coordinators: the office's records of a month, by status. Volunteers: their own, with the month's and
    the year's totals. Caseworkers: their agency's records, those waiting for an answer first."""
    session = db.session()
    year, month = month_arg()
    start, end = pricing.month_bounds(year, month)
    query = (select(AssignmentRecord).where(AssignmentRecord.starts_at >= start, AssignmentRecord.starts_at < end)
             .options(selectinload(AssignmentRecord.volunteer), selectinload(AssignmentRecord.programme))
             .order_by(AssignmentRecord.starts_at, AssignmentRecord.id))
    totals = year_total = None
    if current_user.role is Role.VOLUNTEER:
        entries = list(session.scalars(query.where(AssignmentRecord.volunteer_id == current_user.id)))
        year_start, _ = pricing.month_bounds(year, 1)
        offices = session.scalars(select(AssignmentRecord.office_id).where(
            AssignmentRecord.volunteer_id == current_user.id, AssignmentRecord.starts_at >= year_start,
            AssignmentRecord.starts_at < end).distinct()).all()
        # The year so far priced once per office it was worked for; the month's amounts are part of it.
        year_so_far = [p for office_id in offices for p in pricing.price_volunteer(
            session, session.get(Office, office_id), current_user.id, year, month, from_january=True)]
        totals = {p.record.id: p.total for p in year_so_far if p.record.starts_at >= start}
        year_total = sum((p.total for p in year_so_far), Decimal("0"))
    elif current_user.role is Role.CASEWORKER:
        entries = [e for e in session.scalars(query.where(AssignmentRecord.agency_id == current_user.agency_id))
                   if e.is_agency(current_user)]
    else:
        office_id = arg_id("office_id") or current_user.office_id
        if office_id is None or not coordinates(current_user, office_id):
            abort(404)
        entries = list(session.scalars(query.where(AssignmentRecord.office_id == office_id)))
    return render_template("billing/records.html", entries=entries, year=year, month=month, totals=totals,
                           month_total=sum(totals.values(), Decimal("0")) if totals is not None else None,
                           year_total=year_total, now=clock.now(), language_name=catalogue.name,
                           previous=shift_month(year, month, -1), following=shift_month(year, month, 1),
                           month_start=dt.date(year, month, 1))


def shift_month(year: int, month: int, by: int) -> str:
    index = year * 12 + (month - 1) + by
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


# ------------------------------------------------------------------------------------------- programmes

@bp.route("/programmes")
@roles_required(*COORDINATING)
def list_programmes():
    office = office_in_charge(first_for_admins=True)
    return _programmes_page(office)


def _programmes_page(office: Office, *, programme_form=None, rate_forms=None):
    listed = programmes.programmes_of(db.session(), office.id)
    rate_forms = rate_forms or {}
    for programme in listed:
        if programme.id not in rate_forms:
            form = forms.RateForm(formdata=None, prefix=f"rate{programme.id}")
            current = programme.rate_on(clock.today())
            _fill_rate_form(form, current.rule if current else None)
            form.valid_from.data = clock.today().replace(day=1) if clock.today().day == 1 else \
                (clock.today().replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            rate_forms[programme.id] = form
    return render_template("billing/programmes.html", office=office, programmes=listed,
                           programme_form=programme_form or forms.ProgrammeForm(formdata=None),
                           rate_forms=rate_forms, explain_rule=explain.rule_summary)


def _fill_rate_form(form, rule) -> None:
    if rule is None:
        return
    data = rule.to_json()
    for key, value in data.items():
        if key == "zones":
            form.zones.data = ", ".join(f"{upto}={amount}" for upto, amount in value)
        elif hasattr(form, key):
            form[key].data = getattr(rule, key) if key not in ("travel",) else value


@bp.route("/programmes/new", methods=["POST"])
@bp.route("/programmes/<int:programme_id>", methods=["POST"])
@roles_required(*COORDINATING)
def save_programme(programme_id: int | None = None):
    programme = load(Programme, programme_id, "can_manage") if programme_id else None
    office = db.session().get(Office, programme.office_id) if programme else office_in_charge(first_for_admins=True)
    form = forms.ProgrammeForm()
    if submit(form, lambda: programmes.save_programme(db.session(), acting(), office.id, programme,
                                                      name=form.name.data, kinds=form.kinds.data or [],
                                                      is_active=form.is_active.data)):
        flash(_("Saved."), "success")
        return redirect(url_for("billing.list_programmes", office_id=office.id))
    return _programmes_page(office, programme_form=form)


@bp.route("/programmes/<int:programme_id>/rates", methods=["POST"])
@roles_required(*COORDINATING)
def add_rate(programme_id: int):
    programme = load(Programme, programme_id, "can_manage")
    office = db.session().get(Office, programme.office_id)
    form = forms.RateForm(prefix=f"rate{programme.id}")
    if submit(form, lambda: programmes.add_rate(db.session(), acting(), programme, form.valid_from.data,
                                                programmes.rule_from(form.data))):
        flash(_("The new rate has been saved."), "success")
        return redirect(url_for("billing.list_programmes", office_id=office.id))
    return _programmes_page(office, rate_forms={programme.id: form})
