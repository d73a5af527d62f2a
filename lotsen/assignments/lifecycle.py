"""The life cycles of offers and assignments: statuses, the one table of allowed steps each, predicates. No I/O.

An offer asks one volunteer to take one request, in one round of asking (a request starts a new round
when its volunteer steps back). An assignment is the confirmed result; at most one is live per request.
Every status change goes through ``Offer.move`` / ``Assignment.move`` (lotsen/assignments/models.py),
which consult these tables and refuse anything else.
"""

from __future__ import annotations

import enum

from lotsen.enums import TitledEnum
from lotsen.i18n import _l
from lotsen.requests.lifecycle import step


class OfferStatus(TitledEnum):
    OPEN = "open"
    ACCEPTED = "accepted"  # the volunteer said yes; the coordinator confirms (or not)
    CONFIRMED = "confirmed"  # the assignment was made from it; from then on the assignment tells the story
    DECLINED = "declined"
    EXPIRED = "expired"
    TAKEN = "taken"  # someone else's acceptance was confirmed first, or this one came too late
    WITHDRAWN = "withdrawn"  # the office took it back (or closed the request, or the volunteer left)
    RELEASED = "released"  # accepted, but the coordinator did not confirm it
    CANCELLED = "cancelled"  # the agency cancelled the request

    @classmethod
    def titles(cls):
        return {
            cls.OPEN: _l("Waiting for an answer"),
            cls.ACCEPTED: _l("Accepted, awaiting confirmation"),
            cls.CONFIRMED: _l("Confirmed"),
            cls.DECLINED: _l("Declined"),
            cls.EXPIRED: _l("Expired"),
            cls.TAKEN: _l("Taken by someone else"),
            cls.WITHDRAWN: _l("Withdrawn by the office"),
            cls.RELEASED: _l("Acceptance not confirmed"),
            cls.CANCELLED: _l("Request cancelled"),
        }

    @property
    def is_waiting(self) -> bool:
        """Still counts as asked in its round: open, or accepted and awaiting the coordinator."""
        return self in (OfferStatus.OPEN, OfferStatus.ACCEPTED)


class OfferAction(str, enum.Enum):
    ACCEPT = "accept"
    DECLINE = "decline"
    EXPIRE = "expire"
    TAKE = "take"
    WITHDRAW = "withdraw"
    RELEASE = "release"
    CONFIRM = "confirm"
    CANCEL = "cancel"


class AssignmentStatus(TitledEnum):
    CONFIRMED = "confirmed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"  # the agency cancelled the request, or it did not take place
    WITHDRAWN = "withdrawn"  # the volunteer stepped back
    REASSIGNED = "reassigned"  # the coordinator gave it to someone else
    RELEASED = "released"  # the office took the volunteer off it (account deactivated or deleted)

    @classmethod
    def titles(cls):
        return {
            cls.CONFIRMED: _l("Confirmed"),
            cls.COMPLETED: _l("Completed"),
            cls.CANCELLED: _l("Cancelled"),
            cls.WITHDRAWN: _l("Stepped back"),
            cls.REASSIGNED: _l("Reassigned"),
            cls.RELEASED: _l("Taken off by the office"),
        }

    @property
    def is_live(self) -> bool:
        """Holds the request: confirmed, or done."""
        return self in LIVE


class AssignmentAction(str, enum.Enum):
    CANCEL = "cancel"
    STEP_BACK = "step_back"
    REASSIGN = "reassign"
    RELEASE = "release"
    COMPLETE = "complete"


LIVE = frozenset({AssignmentStatus.CONFIRMED, AssignmentStatus.COMPLETED})

O, OA = OfferStatus, OfferAction
# The only place that says which step may follow which, for offers ...
OFFER_TRANSITIONS: dict[tuple[OfferStatus, OfferAction], OfferStatus] = {
    (O.OPEN, OA.ACCEPT): O.ACCEPTED,
    (O.OPEN, OA.DECLINE): O.DECLINED,
    (O.OPEN, OA.EXPIRE): O.EXPIRED,
    (O.OPEN, OA.TAKE): O.TAKEN,
    (O.OPEN, OA.WITHDRAW): O.WITHDRAWN,
    (O.OPEN, OA.CANCEL): O.CANCELLED,
    (O.ACCEPTED, OA.CONFIRM): O.CONFIRMED,
    (O.ACCEPTED, OA.RELEASE): O.RELEASED,
    (O.ACCEPTED, OA.WITHDRAW): O.WITHDRAWN,
    (O.ACCEPTED, OA.CANCEL): O.CANCELLED,
}

S, SA = AssignmentStatus, AssignmentAction
# ... and for assignments.
ASSIGNMENT_TRANSITIONS: dict[tuple[AssignmentStatus, AssignmentAction], AssignmentStatus] = {
    (S.CONFIRMED, SA.CANCEL): S.CANCELLED,
    (S.CONFIRMED, SA.STEP_BACK): S.WITHDRAWN,
    (S.CONFIRMED, SA.REASSIGN): S.REASSIGNED,
    (S.CONFIRMED, SA.RELEASE): S.RELEASED,
    (S.CONFIRMED, SA.COMPLETE): S.COMPLETED,
}


def can_offer(status: OfferStatus, action: OfferAction) -> bool:
    return (status, action) in OFFER_TRANSITIONS


def can_assignment(status: AssignmentStatus, action: AssignmentAction) -> bool:
    return (status, action) in ASSIGNMENT_TRANSITIONS


def next_offer_status(status: OfferStatus, action: OfferAction) -> OfferStatus:
    return step(OFFER_TRANSITIONS, status, action)


def next_assignment_status(status: AssignmentStatus, action: AssignmentAction) -> AssignmentStatus:
    return step(ASSIGNMENT_TRANSITIONS, status, action)
