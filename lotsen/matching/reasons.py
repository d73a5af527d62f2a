"""What each matching reason means, in words a coordinator reads."""

from __future__ import annotations

from lotsen.i18n import _l
from lotsen.matching.rules import Reason

REASONS = {
    Reason.LANGUAGE: _l("does not speak the language"),
    Reason.KIND: _l("does not help in this role (guide or interpreter)"),
    Reason.MODE: _l("does not help this way (on site, phone, video)"),
    Reason.NOT_VETTED: _l("not vetted yet"),
    Reason.INACTIVE: _l("account not active"),
    Reason.PAUSED: _l("paused"),
    Reason.NO_DECLARATION: _l("confidentiality declaration missing"),
    Reason.CERTIFICATE: _l("certificate of conduct missing or expired"),
    Reason.TOPIC: _l("does not take this topic"),
    Reason.NO_HOME: _l("home postcode missing"),
    Reason.TOO_FAR: _l("lives beyond their travel radius"),
    Reason.UNAVAILABLE: _l("not available at this time (travel included)"),
    Reason.ABSENT: _l("absent on this day"),
    Reason.BUSY: _l("has another assignment then"),
    Reason.WEEKLY_LIMIT: _l("weekly limit reached"),
    Reason.MONTHLY_LIMIT: _l("monthly limit reached"),
    Reason.SHORT_NOTICE: _l("wants more notice"),
    Reason.GENDER: _l("gender does not match the request"),
}


def describe(reasons) -> str:
    """The reasons as one phrase in the current language."""
    return "; ".join(str(REASONS[reason]) for reason in reasons)
