"""Calendar entries for assignments: an invitation (or its cancellation) in mails, and a private feed.

The event's UID is stable per assignment, so calendars update the entry they already hold.
"""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar, Event

from lotsen import languages as catalogue
from lotsen.assignments.models import Assignment
from lotsen.i18n import force_locale, _

PRODID = "-//Lotsen//Einsätze//DE"


def uid(assignment: Assignment, domain: str) -> str:
    return f"assignment-{assignment.id}@{domain}"


def _event(assignment: Assignment, domain: str, locale: str, *, cancelled: bool, now: dt.datetime) -> Event:
    request = assignment.request
    with force_locale(locale):
        language = catalogue.name(request.language, locale)
        summary = _("Lotsen: %(language)s (%(kind)s)", language=language, kind=request.kind.title)
        place = ", ".join(p for p in (request.street, f"{request.postcode} {request.town}".strip()) if p)
        location = place if place else str(request.mode.title)
        description = "\n".join(filter(None, [
            f"{request.topic.title}",
            _("Contact on the day") + f": {request.contact_name}, {request.contact_phone}",
            request.notes,
        ]))
    event = Event()
    event.add("uid", uid(assignment, domain))
    event.add("dtstamp", now)
    event.add("dtstart", assignment.starts_at.astimezone(dt.timezone.utc))
    event.add("dtend", assignment.ends_at.astimezone(dt.timezone.utc))
    event.add("summary", summary)
    event.add("location", location)
    event.add("description", description)
    event.add("sequence", 1 if cancelled else 0)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def invitation(assignment: Assignment, domain: str, locale: str, *, now: dt.datetime,
               cancelled: bool = False) -> dict:
    """An .ics attachment for the confirmation (METHOD:REQUEST) or the cancellation (METHOD:CANCEL)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    method = "CANCEL" if cancelled else "REQUEST"
    calendar.add("method", method)
    calendar.add_component(_event(assignment, domain, locale, cancelled=cancelled, now=now))
    return {"filename": "einsatz.ics", "content_type": f"text/calendar; method={method}; charset=utf-8",
            "text": calendar.to_ical().decode()}


def feed(assignments: list[Assignment], domain: str, locale: str, *, now: dt.datetime) -> bytes:
    """A volunteer's private calendar: their confirmed and completed assignments."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Lotsen")
    for assignment in assignments:
        calendar.add_component(_event(assignment, domain, locale, cancelled=False, now=now))
    return calendar.to_ical()
