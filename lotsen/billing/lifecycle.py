"""The life cycle of an assignment record (Einsatznachweis): statuses, the one table of allowed steps. No I/O.

The volunteer (or a coordinator) records what happened; the agency confirms it through a one-time link or
signed in, or disputes it with a comment. A changed record goes back to the agency. After the confirmation
deadline, or on a dispute, the office decides. Confirmed and decided records are paid.
"""

from __future__ import annotations

import enum

from lotsen.enums import TitledEnum
from lotsen.i18n import _l
from lotsen.requests.lifecycle import step


class RecordStatus(TitledEnum):
    SUBMITTED = "submitted"  # waiting for the agency
    CONFIRMED = "confirmed"  # the agency confirmed it
    DISPUTED = "disputed"  # the agency disputed it, with a comment
    DECIDED = "decided"  # the office decided (after the deadline, or on a dispute)

    @classmethod
    def titles(cls):
        return {
            cls.SUBMITTED: _l("Waiting for the agency's confirmation"),
            cls.CONFIRMED: _l("Confirmed by the agency"),
            cls.DISPUTED: _l("Disputed by the agency"),
            cls.DECIDED: _l("Confirmed by the office"),
        }

    @property
    def is_payable(self) -> bool:
        return self in (RecordStatus.CONFIRMED, RecordStatus.DECIDED)


class RecordAction(str, enum.Enum):
    REVISE = "revise"
    CONFIRM = "confirm"
    DISPUTE = "dispute"
    DECIDE = "decide"


R, RA = RecordStatus, RecordAction
RECORD_TRANSITIONS: dict[tuple[RecordStatus, RecordAction], RecordStatus] = {
    (R.SUBMITTED, RA.REVISE): R.SUBMITTED,
    (R.SUBMITTED, RA.CONFIRM): R.CONFIRMED,
    (R.SUBMITTED, RA.DISPUTE): R.DISPUTED,
    (R.SUBMITTED, RA.DECIDE): R.DECIDED,  # only once the deadline has passed (Record.can_decide)
    (R.DISPUTED, RA.REVISE): R.SUBMITTED,
    (R.DISPUTED, RA.DECIDE): R.DECIDED,
    (R.CONFIRMED, RA.REVISE): R.SUBMITTED,
    (R.DECIDED, RA.REVISE): R.SUBMITTED,
}


def can_record(status: RecordStatus, action: RecordAction) -> bool:
    return (status, action) in RECORD_TRANSITIONS


def next_record_status(status: RecordStatus, action: RecordAction) -> RecordStatus:
    return step(RECORD_TRANSITIONS, status, action)
