"""A volunteer's bank details and tax-free allowance: entered by the volunteer (or the office), audited."""

from __future__ import annotations

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from sqlalchemy.orm import Session

from lotsen.acting import Acting
from lotsen.audit.services import record_by
from lotsen.auth.models import Role, User
from lotsen.auth.permissions import coordinates
from lotsen.billing.models import PayoutDetails, TaxAllowance
from lotsen.errors import DomainError
from lotsen.i18n import _


class BankError(DomainError):
    """Bank details that cannot be used as entered."""


def may_see(viewer, volunteer: User) -> bool:
    """The volunteer, and the coordinators of their office."""
    return viewer is not None and volunteer.role is Role.VOLUNTEER and (
        viewer.id == volunteer.id or coordinates(viewer, volunteer.office_id))


def details_of(session: Session, volunteer: User) -> PayoutDetails:
    return session.get(PayoutDetails, volunteer.id) or PayoutDetails(volunteer_id=volunteer.id, account_holder="",
                                                                      iban="", bic="")


def save(session: Session, acting: Acting, volunteer: User, *, account_holder: str, iban: str, bic: str,
         tax_allowance: str, on_buergergeld: bool) -> PayoutDetails:
    if not may_see(acting.actor, volunteer):
        raise BankError(_("Only the volunteer and their office can change these details."))
    compact = "".join((iban or "").split()).upper()
    if compact:
        try:
            compact = IBAN(compact).compact
        except SchwiftyException:
            raise BankError(_("This is not a valid IBAN. Please check it."), "iban") from None
        if not account_holder.strip():
            raise BankError(_("Please enter the account holder."), "account_holder")
    bic = "".join((bic or "").split()).upper()
    if bic:
        try:
            bic = str(BIC(bic))
        except SchwiftyException:
            raise BankError(_("This is not a valid BIC. Please check it, or leave it empty."), "bic") from None
    details = session.get(PayoutDetails, volunteer.id)
    if details is None:
        details = PayoutDetails(volunteer_id=volunteer.id)
        session.add(details)
    changed = [name for name, new in (("account_holder", account_holder.strip()), ("iban", compact), ("bic", bic),
                                      ("tax_allowance", TaxAllowance(tax_allowance)),
                                      ("on_buergergeld", on_buergergeld))
               if getattr(details, name) != new]
    details.account_holder, details.iban, details.bic = account_holder.strip(), compact, bic
    details.tax_allowance, details.on_buergergeld = TaxAllowance(tax_allowance), on_buergergeld
    details.updated_at = acting.now
    session.flush()
    if changed:  # what changed, never the IBAN itself
        record_by(session, acting, "payout_details.changed", subject=volunteer, office_id=volunteer.office_id,
                  details={"changed": changed, "iban": details.masked_iban})
    return details
