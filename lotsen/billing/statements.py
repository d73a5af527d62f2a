"""The office's month: statements drawn up from confirmed records, approved, paid; the year's tally.

``draw_up`` runs in the worker (the month's closing, a job with progress): it prices every volunteer's month
and writes a draft statement each, leaving approved and paid ones as they are. Approving fixes the records
a statement holds; a later change needs the office to reopen nothing: such records simply cannot change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from lotsen.acting import Acting
from lotsen.audit.services import record_by
from lotsen.billing import pricing
from lotsen.billing.lifecycle import RecordStatus
from lotsen.billing.models import AssignmentRecord, PayoutDetails, Statement, StatementStatus, TaxAllowance
from lotsen.errors import DomainError
from lotsen.i18n import _
from lotsen.jobs.models import Job
from lotsen.jobs.services import register
from lotsen.notifications.outbox import mail_coordinators, mail_user
from lotsen.offices.models import Office

KIND = "close_month"
YEARLY_LIMITS = {TaxAllowance.VOLUNTEERING: Decimal("960"), TaxAllowance.TRAINER: Decimal("3300")}
BUERGERGELD_LIMIT = Decimal("3000")  # § 11a SGB II: what people on Bürgergeld keep of such allowances a year
WARN_AT = Decimal("0.8")


class StatementError(DomainError):
    """A statement that cannot be drawn up, approved or paid as asked."""


def _items(priced: list[pricing.Priced]) -> list[dict]:
    return [{"record": p.record.id, "starts_at": p.record.starts_at.isoformat(), "outcome": p.record.outcome.value,
             "programme": p.record.programme.name if p.record.programme else "", "total": str(p.total),
             "minutes": p.allowance.paid_minutes if p.allowance else 0,
             "lines": [[line.kind.value, str(line.quantity), str(line.rate), str(line.amount), line.percent]
                       for line in (p.allowance.lines if p.allowance else ())]}
            for p in priced]


def draw_up(session: Session, acting: Acting, office_id: int, year: int, month: int,
            progress: Callable[[int, int], None] | None = None) -> dict:
    """Draft statements for every volunteer with confirmed records in the month; approved and paid statements
    stay. Returns what the closing page shows."""
    office = session.get(Office, office_id)
    start, end = pricing.month_bounds(year, month)
    in_month = (AssignmentRecord.office_id == office_id, AssignmentRecord.starts_at >= start,
                AssignmentRecord.starts_at < end)
    waiting = session.scalar(select(func.count(AssignmentRecord.id)).where(
        *in_month, AssignmentRecord.status.in_([RecordStatus.SUBMITTED, RecordStatus.DISPUTED])))
    existing = {s.volunteer_id: s for s in session.scalars(select(Statement).where(
        Statement.office_id == office_id, Statement.year == year, Statement.month == month))}
    priced_by_volunteer = pricing.price_month(session, office, year, month)
    volunteers = sorted(v for v, priced in priced_by_volunteer.items() if priced)
    drafted = 0
    for done, volunteer_id in enumerate(volunteers, 1):
        statement = existing.get(volunteer_id)
        if statement is not None and statement.status is not StatementStatus.DRAFT:
            continue
        priced = priced_by_volunteer[volunteer_id]
        if statement is None:
            statement = Statement(office_id=office_id, volunteer_id=volunteer_id, year=year, month=month)
            session.add(statement)
        statement.items = _items(priced)
        statement.total = sum((p.total for p in priced), Decimal("0"))
        statement.minutes = sum(p.allowance.paid_minutes for p in priced if p.allowance)
        statement.created_at = acting.now
        drafted += 1
        if progress is not None and done % 100 == 0:
            progress(done, len(volunteers))
    # Drafts of volunteers whose records are no longer confirmed go.
    for volunteer_id, statement in existing.items():
        if volunteer_id not in volunteers and statement.status is StatementStatus.DRAFT:
            session.delete(statement)
    session.flush()
    record_by(session, acting, "month.drawn_up", office_id=office_id,
              details={"year": year, "month": month, "statements": drafted, "waiting_records": waiting})
    return {"year": year, "month": month, "statements": drafted, "waiting_records": waiting}


@register(KIND)
def _close_month_job(session: Session, acting: Acting, job: Job, progress) -> dict:
    payload = job.payload
    return draw_up(session, acting, job.office_id, payload["year"], payload["month"], progress)


def approve(session: Session, acting: Acting, statement_ids: list[int], office_id: int) -> list[Statement]:
    """Approve drafts of the office: their records are fixed; the volunteer sees the statement; the year's
    tally is checked against the volunteer's tax-free allowance."""
    statements = list(session.scalars(select(Statement).where(
        Statement.id.in_(statement_ids), Statement.office_id == office_id,
        Statement.status == StatementStatus.DRAFT).with_for_update()))
    if not statements:
        raise StatementError(_("There is no draft statement to approve."))
    totals = year_totals(session, [s.volunteer_id for s in statements], {s.year for s in statements})
    details = {d.volunteer_id: d for d in session.scalars(select(PayoutDetails).where(
        PayoutDetails.volunteer_id.in_([s.volunteer_id for s in statements])))}
    fixed = []
    for statement in statements:
        before = totals.get((statement.volunteer_id, statement.year), Decimal("0"))
        statement.status, statement.approved_at = StatementStatus.APPROVED, acting.now
        statement.approved_by_id = acting.actor.id if acting.actor else None
        fixed += [{"id": item["record"], "statement_id": statement.id, "amount": Decimal(item["total"]),
                   "paid_minutes": item.get("minutes", 0)} for item in statement.items]
        totals[(statement.volunteer_id, statement.year)] = before + statement.total
        _warn_if_nearing(session, statement, details.get(statement.volunteer_id), before, before + statement.total)
    if fixed:
        session.execute(update(AssignmentRecord), fixed)  # by primary key, in one round of statements
    session.flush()
    record_by(session, acting, "statements.approved", office_id=office_id,
              details={"statements": [s.id for s in statements],
                       "total": str(sum((s.total for s in statements), Decimal("0")))})
    return statements


def year_total(session: Session, volunteer_id: int, year: int) -> Decimal:
    """What the volunteer has been granted this year: approved and paid statements, across offices."""
    return year_totals(session, [volunteer_id], {year}).get((volunteer_id, year), Decimal("0.00"))


def year_totals(session: Session, volunteer_ids: list[int], years: set[int]) -> dict[tuple[int, int], Decimal]:
    """(volunteer, year) -> the approved and paid total, for many volunteers in one query."""
    rows = session.execute(select(Statement.volunteer_id, Statement.year, func.sum(Statement.total)).where(
        Statement.volunteer_id.in_(volunteer_ids), Statement.year.in_(years),
        Statement.status.in_([StatementStatus.APPROVED, StatementStatus.PAID]))
        .group_by(Statement.volunteer_id, Statement.year))
    return {(volunteer_id, year): Decimal(total or 0).quantize(Decimal("0.01")) for volunteer_id, year, total in rows}


@dataclass(frozen=True)
class Tally:
    total: Decimal
    limit: Decimal
    allowance: TaxAllowance
    buergergeld: bool

    @property
    def share(self) -> Decimal:
        return self.total / self.limit if self.limit else Decimal("0")

    @property
    def is_near(self) -> bool:
        return self.share >= WARN_AT

    @property
    def is_over(self) -> bool:
        return self.total > self.limit


def tally(session: Session, volunteer_id: int, year: int, total: Decimal | None = None) -> Tally:
    """The year's total against the lower of the volunteer's tax-free allowance and, where they say it
    applies, what Bürgergeld leaves them."""
    return tally_of(session.get(PayoutDetails, volunteer_id),
                    year_total(session, volunteer_id, year) if total is None else total)


def tally_of(details: PayoutDetails | None, total: Decimal) -> Tally:
    allowance = details.tax_allowance if details else TaxAllowance.VOLUNTEERING
    buergergeld = bool(details and details.on_buergergeld)
    limit = min(YEARLY_LIMITS[allowance], BUERGERGELD_LIMIT) if buergergeld else YEARLY_LIMITS[allowance]
    return Tally(total, limit, allowance, buergergeld)


def _warn_if_nearing(session: Session, statement: Statement, details: PayoutDetails | None, before: Decimal,
                     after: Decimal) -> None:
    """When an approval takes the year past 80 % of the limit, or past the limit, volunteer and
    coordinators are told (once for each threshold)."""
    limit = tally_of(details, after).limit
    for threshold in (limit * WARN_AT, limit):
        if before < threshold <= after:
            context = {"volunteer": statement.volunteer, "year": statement.year, "total": after, "limit": limit,
                       "over": threshold == limit}
            mail_user(session, statement.volunteer, "billing/tally_warning", office_id=statement.office_id,
                      **context)
            mail_coordinators(session, statement.office_id, "billing/tally_warning_office", **context)


def statements_of(session: Session, office_id: int, year: int, month: int) -> list[Statement]:
    return list(session.scalars(select(Statement).where(
        Statement.office_id == office_id, Statement.year == year, Statement.month == month)
        .order_by(Statement.volunteer_id)))

