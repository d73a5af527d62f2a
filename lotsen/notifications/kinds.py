"""Which mails a user may switch off, grouped as the preferences page shows them. Everything else is mandatory."""

from __future__ import annotations

from lotsen.enums import TitledEnum
from lotsen.i18n import _l


class Category(TitledEnum):
    OFFERS = "offers"
    REMINDERS = "reminders"
    AVAILABILITY = "availability"
    COORDINATION = "coordination"

    @classmethod
    def titles(cls):
        return {
            cls.OFFERS: _l("New offers (you also see them on your start page)"),
            cls.REMINDERS: _l("Reminders before an assignment and afterwards"),
            cls.AVAILABILITY: _l("Monthly reminder to check your availability"),
            cls.COORDINATION: _l("Coordination alerts (acceptances, unfilled requests, expiring documents)"),
        }


OPTIONAL = {
    "assignments/offer": Category.OFFERS,
    "reminders/before": Category.REMINDERS,
    "reminders/took_place": Category.REMINDERS,
    "reminders/availability": Category.AVAILABILITY,
    "assignments/accepted": Category.COORDINATION,
    "assignments/waves_exhausted": Category.COORDINATION,
    "assignments/offers_lapsed": Category.COORDINATION,
    "reminders/unfilled": Category.COORDINATION,
    "reminders/certificate_expiring": Category.COORDINATION,
}

# Who can meaningfully receive each category.
FOR_ROLE = {
    "volunteer": [Category.OFFERS, Category.REMINDERS, Category.AVAILABILITY],
    "coordinator": [Category.COORDINATION],
    "admin": [],
    "caseworker": [],
}


def is_wanted(kind: str, opted_out) -> bool:
    """Whether a mail of ``kind`` goes to someone who switched off the categories ``opted_out``."""
    category = OPTIONAL.get(kind)
    return category is None or category.value not in (opted_out or ())
