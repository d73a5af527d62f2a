"""Whom the agency's side hears from about a request: the person named when it was filed.

A caseworker filing for their agency is that person. A coordinator filing for an agency (a request
taken by phone or mail) names a caseworker of that agency or a contact with name, email and phone;
confirmations, changes and cancellations go there, never to the coordinator who typed it in.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from lotsen.auth.models import Role, User, UserStatus
from lotsen.i18n import _
from lotsen.notifications.outbox import mail_user, queue_mail
from lotsen.offices.models import Agency
from lotsen.requests.errors import RequestError
from lotsen.requests.models import HelpRequest

AGENCY_LOCALE = "de"  # a contact without an account reads German


@dataclass(frozen=True)
class Informed:
    name: str
    email: str
    phone: str = ""


def _caseworker(request: HelpRequest):
    if request.inform_user is not None:
        return request.inform_user
    if request.created_by is not None and request.created_by.role is Role.CASEWORKER:
        return request.created_by  # filed before a person to inform was named: the caseworker who filed it
    return None


def is_informed_person(request: HelpRequest, user) -> bool:
    """Whether ``user`` is the person the agency's side is told through (who need not be told of their own steps)."""
    person = _caseworker(request)
    return user is not None and person is not None and person.id == user.id


def informed(request: HelpRequest) -> Informed | None:
    """The person the agency's side of a request is told through, or None (then the agency's own address)."""
    user = _caseworker(request)
    if user is not None:
        return Informed(user.name, user.email)
    if request.inform_email:
        return Informed(request.inform_name, request.inform_email, request.inform_phone)
    return None


def tell_agency(session: Session, request: HelpRequest, template: str, **context) -> None:
    """Mail the person to inform (in their language), or else the agency's own address."""
    user = _caseworker(request)
    if user is not None and user.status is UserStatus.ACTIVE:
        mail_user(session, user, template, office_id=request.office_id, req=request, **context)
        return
    address = request.inform_email or request.agency.email
    if address:
        queue_mail(session, address, template, AGENCY_LOCALE, office_id=request.office_id, recipient=None,
                   contact_name=request.inform_name if request.inform_email else "", req=request, **context)


def whom_to_inform(session: Session, actor: User, agency: Agency, office_id: int, data) -> tuple:
    """(user, name, email, phone) of the agency's side of a request: a caseworker filing for their agency is
    told themselves; the office filing for an agency names one of its caseworkers who work with the office,
    or a contact."""
    if actor.role is Role.CASEWORKER and not getattr(actor, "is_api", False):
        return actor, "", "", ""
    if data.inform_user_id:
        user = session.get(User, data.inform_user_id)
        if (user is None or user.role is not Role.CASEWORKER or user.agency_id != agency.id
                or user.status is not UserStatus.ACTIVE or office_id not in user.caseworker_office_ids):
            raise RequestError(_("Choose a caseworker of this agency, or name a contact."), "inform_user_id")
        return user, "", "", ""
    if getattr(actor, "is_api", False) and not (data.inform_name.strip() or data.inform_email.strip()):
        return None, "", "", ""  # an agency's system names nobody: the agency's own address is told
    if not data.inform_name.strip() or not data.inform_email.strip():
        raise RequestError(_("Name the person at the agency to inform, with their email address."), "inform_name")
    return None, data.inform_name.strip(), data.inform_email.strip().lower(), data.inform_phone.strip()
