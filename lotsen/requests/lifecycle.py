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

    @property
    def tone(self) -> str:
        """How a badge shows it: "active" (has its volunteer), "deactivated" (ended without), or "pending"."""
        if self in (RequestStatus.CONFIRMED, RequestStatus.COMPLETED):
            return "active"
        return "deactivated" if self in (RequestStatus.CANCELLED, RequestStatus.UNFILLED) else "pending"


class Action(str, enum.Enum):
    CREATE = "create"
    EDIT = "edit"
    OFFER = "offer"
    ACCEPT = "accept"  # a volunteer said yes; the coordinator confirms
    RELEASE = "release"  # an acceptance was not confirmed; other offers stay open
    CONFIRM = "confirm"
    REASSIGN = "reassign"
    REOPEN = "reopen"  # no open offer is left
    COMPLETE = "complete"
    CANCEL = "cancel"
    MARK_UNFILLED = "mark_unfilled"
    CLOSE = "close"  # the coordinator closes it: it cannot be filled
    STEP_BACK = "step_back"  # the confirmed volunteer cannot come after all
    TAKE_OFF = "take_off"  # the office took the confirmed volunteer off it (account deactivated or deleted)
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
    (S.CONFIRMED, A.COMPLETE): S.COMPLETED,
    (S.OPEN, A.CANCEL): S.CANCELLED,
    (S.OFFERED, A.CANCEL): S.CANCELLED,
    (S.ACCEPTED, A.CANCEL): S.CANCELLED,
    (S.CONFIRMED, A.CANCEL): S.CANCELLED,
    (S.OPEN, A.MARK_UNFILLED): S.UNFILLED,
    (S.OFFERED, A.MARK_UNFILLED): S.UNFILLED,
    (S.ACCEPTED, A.MARK_UNFILLED): S.UNFILLED,
    (S.OPEN, A.CLOSE): S.UNFILLED,
    (S.OFFERED, A.CLOSE): S.UNFILLED,
    (S.ACCEPTED, A.CLOSE): S.UNFILLED,
    (S.CONFIRMED, A.STEP_BACK): S.OPEN,
    (S.CONFIRMED, A.TAKE_OFF): S.OPEN,
}


class UnfilledReason(TitledEnum):
    """Why a request ended without a volunteer (kept for the reports)."""

    NO_LANGUAGE = "no_language"
    NO_ONE_FREE = "no_one_free"
    SETTING_UNSUITABLE = "setting_unsuitable"
    OTHER = "other"
    START_PASSED = "start_passed"  # set by Lotsen itself when the start passed unfilled

    @classmethod
    def titles(cls):
        return {
            cls.NO_LANGUAGE: _l("Nobody in the pool speaks the language"),
            cls.NO_ONE_FREE: _l("Nobody is free at that time"),
            cls.SETTING_UNSUITABLE: _l("The setting is not suitable for lay volunteers"),
            cls.OTHER: _l("Other reason"),
            cls.START_PASSED: _l("The start passed without a confirmed volunteer"),
        }

    @classmethod
    def closing(cls) -> list[UnfilledReason]:
        """The reasons a coordinator can give."""
        return [cls.NO_LANGUAGE, cls.NO_ONE_FREE, cls.SETTING_UNSUITABLE, cls.OTHER]


class TransitionError(Exception):
    """A step a life cycle does not allow (a programming error if it reaches a user: check ``can_*`` first)."""

    def __init__(self, status: enum.Enum, action: enum.Enum):
        super().__init__(f"{action.value} is not allowed when {status.value}")
        self.status, self.action = status, action


def step(table: dict, status: enum.Enum, action: enum.Enum):
    """The status a transition table gives for this step, or ``TransitionError`` (life cycles of offers,
    assignments and records share it)."""
    try:
        return table[(status, action)]
    except KeyError:
        raise TransitionError(status, action) from None


def can(status: RequestStatus, action: Action) -> bool:
    return (status, action) in TRANSITIONS


def next_status(status: RequestStatus, action: Action) -> RequestStatus:
    if action in UNCHANGED and status.is_active:
        return status
    return step(TRANSITIONS, status, action)


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
    Action.CLOSE: _l("Closed: cannot be filled"),
    Action.STEP_BACK: _l("The volunteer stepped back"),
    Action.TAKE_OFF: _l("The volunteer was taken off by the office"),
    Action.DECLINE: _l("A volunteer declined"),
    Action.WITHDRAW_OFFER: _l("Offer withdrawn"),
    Action.EXPIRE: _l("Offers expired unanswered"),
    Action.TOO_LATE: _l("A volunteer accepted too late"),
}


def action_title(action: str) -> str:
    return str(ACTION_TITLES.get(Action(action), action))
