"""Builders shared by the matching, offer and browser tests: a ready volunteer, a request, a fixed week.

``NOW`` and ``MONDAY_9`` are a fixed moment and the Monday after it (09:00 Berlin, the last day of a
month, so weekly and monthly limits meet a month boundary). Modules that use them set the test clock
to ``NOW`` (``at_now``); the profile documents of ``ready()`` are dated relative to the clock, so a
volunteer built with it is ready on whatever day the clock says.
"""

from __future__ import annotations

import datetime as dt

from lotsen.languages import LanguageLevel
from lotsen.requests.lifecycle import Action
from lotsen.requests.models import HelpRequest, RequestKind
from lotsen.volunteers.models import AvailabilityWindow, Mode, Topic, VolunteerLanguage
from tests.timing import BERLIN, UTC, berlin, next_weekday, now, today

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # a Friday
MONDAY_9 = dt.datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 09:00 in Berlin, ten days after NOW
POSTCODES = {"63128": (50.0098, 8.7778), "63500": (50.0432, 8.9739), "63110": (50.0263, 8.8859),
             "63263": (50.0533, 8.6964)}


def monday_9() -> dt.datetime:
    """09:00 Berlin on the Monday after next, seen from the clock (well beyond any lead time)."""
    return berlin(next_weekday(0, weeks=1))


def ready(**extra) -> dict:
    """Profile fields of a vetted volunteer with valid documents, at home in Dietzenbach (63128)."""
    day = today()
    profile = {"vetted_at": now() - dt.timedelta(days=300), "declaration_signed_on": day - dt.timedelta(days=300),
               "certificate_checked_on": day - dt.timedelta(days=170), "postcode": "63128", "latitude": 50.0098,
               "longitude": 8.7778, "travel_radius_km": 15, "min_notice_hours": 24}
    profile.update(extra)
    return profile


def add_language(session, user, code="ar", level=LanguageLevel.NATIVE, varieties=()):
    session.add(VolunteerLanguage(volunteer_id=user.id, language=code, level=level, varieties=list(varieties)))


def add_window(session, user, weekday=0, starts="08:00", ends="13:00"):
    session.add(AvailabilityWindow(volunteer_id=user.id, weekday=weekday, starts=dt.time.fromisoformat(starts),
                                   ends=dt.time.fromisoformat(ends)))


def make_request(session, office, agency, *, mode=Mode.ON_SITE, starts=None, language="ar", place="63128",
                 **fields) -> HelpRequest:
    """A 90-minute interpreter request (by default at ``MONDAY_9``), filed and committed."""
    starts = starts or MONDAY_9
    lat, lon = POSTCODES[place]
    found = HelpRequest(office_id=office.id, agency_id=agency.id, kind=RequestKind.INTERPRETER, language=language,
                        mode=mode, starts_at=starts, ends_at=starts + dt.timedelta(minutes=90), duration_minutes=90,
                        topic=Topic.HEALTH, postcode=place if mode is Mode.ON_SITE else "",
                        latitude=lat if mode is Mode.ON_SITE else None,
                        longitude=lon if mode is Mode.ON_SITE else None, contact_name="X", contact_phone="1",
                        **fields)
    found.apply(Action.CREATE, None, at=now())
    session.add(found)
    session.commit()
    return found


def confirmed(act, session, coordinator, request, volunteer):
    """``volunteer`` asked, accepting and confirmed for ``request`` by ``coordinator``; returns the assignment."""
    from lotsen.assignments import answers, confirming, offering

    offer, = act(offering.make_offers, session, coordinator, request.id, [volunteer.id])
    act(answers.accept, session, volunteer, offer.id)
    assignment = act(confirming.confirm, session, coordinator, offer.id)
    session.commit()
    return assignment


__all__ = ["BERLIN", "MONDAY_9", "NOW", "POSTCODES", "add_language", "add_window", "confirmed", "make_request",
           "monday_9", "ready"]


def took_place(assignment, *, minutes: int | None = None, travel_km=0, travel_minutes: int = 0, waiting: int = 0,
               note: str = "", outcome=None):
    """What a volunteer records after an assignment: it took place as planned (or ran ``minutes``)."""
    from decimal import Decimal

    from lotsen.billing.models import RecordOutcome
    from lotsen.billing.records import Facts

    ends = assignment.starts_at + dt.timedelta(minutes=minutes) if minutes else assignment.ends_at
    return Facts(outcome or RecordOutcome.TOOK_PLACE, assignment.starts_at, ends, assignment.request.mode.value,
                 waiting_minutes=waiting, travel_minutes=travel_minutes, travel_km=Decimal(str(travel_km)),
                 note=note)
