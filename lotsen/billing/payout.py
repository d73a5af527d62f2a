"""Paying a month: approved statements as one SEPA credit transfer (pain.001) and a CSV for the cash office.

The SEPA file is built and validated against the pain.001.001.03 schema by ``sepaxml``; it is stored with the
payout, so it can be downloaded again. Statements without complete bank details are left for later.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from sepaxml import SepaTransfer
from sqlalchemy import select
from sqlalchemy.orm import Session

from lotsen.acting import Acting
from lotsen.audit.services import record_by
from lotsen.billing.models import Payout, PayoutDetails, Statement, StatementStatus
from lotsen.billing.statements import StatementError
from lotsen.i18n import _
from lotsen.offices import settings as office_settings
from lotsen.offices.models import Office
from lotsen.spreadsheets import csv_text

SCHEMA = "pain.001.001.03"


def purpose(office: Office, year: int, month: int) -> str:
    return f"Aufwandsentschaedigung {month:02d}/{year} {office.name}"[:140]


def pay(session: Session, acting: Acting, office_id: int, year: int, month: int,
        execution_date: dt.date) -> tuple[Payout, list[Statement]]:
    """Pay the month's approved statements (with an amount and complete bank details) in one file.
    Returns the payout and the statements left out for missing bank details."""
    office = session.get(Office, office_id)
    payer = {"name": office_settings.value(office, "payer_name") or office.name,
             "IBAN": office_settings.value(office, "payer_iban"),
             "BIC": office_settings.value(office, "payer_bic") or None}
    try:
        IBAN(payer["IBAN"] or "")
    except SchwiftyException:
        raise StatementError(_("Enter the office's IBAN in the settings first (section “Assignment records and "
                               "allowances”).")) from None
    if execution_date < acting.now.astimezone(ZoneInfo(acting.zone)).date():  # the office's today
        raise StatementError(_("The execution date lies in the past."), "execution_date")
    approved = list(session.scalars(select(Statement).where(
        Statement.office_id == office_id, Statement.year == year, Statement.month == month,
        Statement.status == StatementStatus.APPROVED, Statement.total > 0).with_for_update()))
    details = {d.volunteer_id: d for d in session.scalars(select(PayoutDetails).where(
        PayoutDetails.volunteer_id.in_([s.volunteer_id for s in approved])))}
    payable = [s for s in approved if s.volunteer_id in details and details[s.volunteer_id].is_complete]
    missing = [s for s in approved if s not in payable]
    if not payable:
        raise StatementError(_("There is no approved statement with bank details to pay."))
    config = {"name": payer["name"], "IBAN": payer["IBAN"], "currency": "EUR", "batch": True}
    if payer["BIC"]:
        config["BIC"] = payer["BIC"]
    transfer = SepaTransfer(config, schema=SCHEMA, clean=True)
    for statement in payable:
        account = details[statement.volunteer_id]
        payment = {"name": account.account_holder, "IBAN": account.iban, "amount": int(statement.total * 100),
                   "execution_date": execution_date, "description": purpose(office, year, month),
                   "endtoend_id": f"LOTSEN-{statement.id}"}
        if account.bic:
            payment["BIC"] = account.bic
        transfer.add_payment(payment)
    xml = transfer.export(validate=True).decode("utf-8")
    payout = Payout(office_id=office_id, year=year, month=month, execution_date=execution_date, sepa_xml=xml,
                    total=sum((s.total for s in payable), Decimal("0")), count=len(payable),
                    created_at=acting.now, created_by_id=acting.actor.id if acting.actor else None)
    session.add(payout)
    for statement in payable:
        statement.status, statement.payout = StatementStatus.PAID, payout
    session.flush()
    record_by(session, acting, "payout.created", subject=payout, office_id=office_id,
              details={"year": year, "month": month, "count": payout.count, "total": str(payout.total),
                       "left_out": [s.id for s in missing]})
    return payout, missing


def cash_office_csv(session: Session, payout: Payout) -> str:
    """The payout for the municipal cash office (Kreiskasse): one row per payment."""
    office = session.get(Office, payout.office_id)
    rows = [["Empfaenger", "IBAN", "BIC", "Betrag", "Verwendungszweck", "Ausfuehrung", "Beleg"]]
    for statement in sorted(payout.statements, key=lambda s: s.volunteer.name):
        account = session.get(PayoutDetails, statement.volunteer_id)
        rows.append([account.account_holder, account.iban, account.bic, f"{statement.total:.2f}".replace(".", ","),
                     purpose(office, payout.year, payout.month), payout.execution_date.strftime("%d.%m.%Y"),
                     f"LOTSEN-{statement.id}"])
    return csv_text(rows)
