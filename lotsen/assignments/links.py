"""The answer link in an offer mail: works on a phone without signing in.

The link is signed and names the offer and its volunteer; opening it shows the offer, answering is a
POST (a mail scanner that opens links accepts nothing).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from lotsen import signed
from lotsen.assignments.loading import OfferError
from lotsen.assignments.models import Offer
from lotsen.auth.models import UserStatus
from lotsen.i18n import _
from lotsen.urls import external_url

LINK_PURPOSE = "lotsen.offer"
LINK_MAX_AGE = 15 * 24 * 3600  # beyond the longest offer; the offer's own expiry decides first


def answer_token(offer: Offer) -> str:
    return signed.dumps(LINK_PURPOSE, {"o": offer.id, "u": offer.volunteer_id})


def answer_url(offer: Offer) -> str:
    return external_url("assignments.answer_by_link", token=answer_token(offer))


def offer_from_token(session: Session, token: str) -> Offer:
    """The offer a mail link names; a link that was tampered with, is too old, or whose volunteer's
    account is no longer active explains itself."""
    data = signed.loads(LINK_PURPOSE, token, LINK_MAX_AGE, "o", "u")
    offer = session.get(Offer, data["o"])
    if offer is None or offer.volunteer_id != data["u"]:
        raise signed.invalid()
    if offer.volunteer.status is not UserStatus.ACTIVE:
        raise OfferError(_("This link no longer works: the account it was sent to is not active."))
    return offer
