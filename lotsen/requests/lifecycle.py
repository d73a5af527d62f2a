"""A request's life cycle: the statuses, the one table of allowed transitions, and predicates. No I/O."""

from __future__ import annotations

import enum

from lotsen.enums import TitledEnum
from lotsen.i18n import _l


class RequestStatus(TitledEnum):
    OPEN = "open"
    OFFERED = "offered"
    ACCEPTED = "accepted"
    CONFIRMED = "confirmed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    UNFILLED = "unfilled"

    @classmethod
    def titles(cls):
        return {
            cls.OPEN: _l("Open"),
            cls.OFFERED: _l("Offered to volunteers"),
            cls.ACCEPTED: _l("Accepted, awaiting confirmation"),
            cls.CONFIRMED: _l("Confirmed"),
            cls.COMPLETED: _l("Completed"),
            cls.CANCELLED: _l("Cancelled"),
            cls.UNFILLED: _l("Unfilled"),
        }

    @property
    def is_active(self) -> bool:
        """Still to happen: open, offered or confirmed."""
        return self in ACTIVE


class Action(str, enum.Enum):
    CREATE = "create"
    EDIT = "edit"
    OFFER = "offer"
    ACCEPT = "accept"  # a volunteer said yes; the coordinator confirms
    RELEASE = "release"  # an acceptance was not confirmed; other offers stay open
    CONFIRM = "confirm"
    REASSIGN = "reassign"
    REOPEN = "reopen"  # the volunteer withdrew, or all offers lapsed
    COMPLETE = "complete"
    CANCEL = "cancel"
    MARK_UNFILLED = "mark_unfilled"
    # Steps that leave the status as it is, kept in the history all the same.
    DECLINE = "decline"
    WITHDRAW_OFFER = "withdraw_offer"
    EXPIRE = "expire"
    TOO_LATE = "too_late"


UNCHANGED = frozenset({Action.DECLINE, Action.WITHDRAW_OFFER, Action.EXPIRE, Action.TOO_LATE})


S, A = RequestStatus, Action
ACTIVE = frozenset({S.OPEN, S.OFFERED, S.ACCEPTED, S.CONFIRMED})

# The only place that says which step may follow which.
TRANSITIONS: dict[tuple[RequestStatus, Action], RequestStatus] = {
    (S.OPEN, A.EDIT): S.OPEN,
    (S.OPEN, A.OFFER): S.OFFERED,
    (S.OFFERED, A.OFFER): S.OFFERED,
    (S.OFFERED, A.ACCEPT): S.ACCEPTED,
    (S.ACCEPTED, A.RELEASE): S.OFFERED,
    (S.OPEN, A.CONFIRM): S.CONFIRMED,
    (S.OFFERED, A.CONFIRM): S.CONFIRMED,
    (S.ACCEPTED, A.CONFIRM): S.CONFIRMED,
    (S.CONFIRMED, A.REASSIGN): S.CONFIRMED,
    (S.OFFERED, A.REOPEN): S.OPEN,
    (S.CONFIRMED, A.REOPEN): S.OPEN,
    (S.CONFIRMED, A.COMPLETE): S.COMPLETED,
    (S.OPEN, A.CANCEL): S.CANCELLED,
    (S.OFFERED, A.CANCEL): S.CANCELLED,
    (S.ACCEPTED, A.CANCEL): S.CANCELLED,
    (S.CONFIRMED, A.CANCEL): S.CANCELLED,
    (S.OPEN, A.MARK_UNFILLED): S.UNFILLED,
    (S.OFFERED, A.MARK_UNFILLED): S.UNFILLED,
    (S.ACCEPTED, A.MARK_UNFILLED): S.UNFILLED,
}


class TransitionError(Exception):
    def __init__(self, status: RequestStatus, action: Action):
        super().__init__(f"{action.value} is not allowed when {status.value}")
        self.status, self.action = status, action


def can(status: RequestStatus, action: Action) -> bool:
    return (status, action) in TRANSITIONS


def next_status(status: RequestStatus, action: Action) -> RequestStatus:
    if action in UNCHANGED and status.is_active:
        return status
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise TransitionError(status, action) from None


ACTION_TITLES = {
    Action.CREATE: _l("Request filed"),
    Action.EDIT: _l("Changed"),
    Action.OFFER: _l("Offered to volunteers"),
    Action.ACCEPT: _l("A volunteer accepted"),
    Action.RELEASE: _l("Acceptance not confirmed"),
    Action.CONFIRM: _l("Volunteer confirmed"),
    Action.REASSIGN: _l("Reassigned to another volunteer"),
    Action.REOPEN: _l("Reopened"),
    Action.COMPLETE: _l("Completed"),
    Action.CANCEL: _l("Cancelled"),
    Action.MARK_UNFILLED: _l("Start passed without a confirmed volunteer"),
    Action.DECLINE: _l("A volunteer declined"),
    Action.WITHDRAW_OFFER: _l("Offer withdrawn"),
    Action.EXPIRE: _l("Offers expired unanswered"),
    Action.TOO_LATE: _l("A volunteer accepted too late"),
}


def action_title(action: str) -> str:
    return str(ACTION_TITLES.get(Action(action), action))
