"""Calendar entries for assignments: an invitation (or its cancellation) in mails, a download, and a private feed.

The event's UID is stable per assignment, so calendars update the entry they already hold. Invitations
follow RFC 5546 (iTIP): METHOD:REQUEST and METHOD:CANCEL carry ORGANIZER (the office) and ATTENDEE (the
volunteer); times are local (TZID of the offices' zone, with its VTIMEZONE) so calendars show them as
the agency meant them; the feed and the download are METHOD:PUBLISH (ORGANIZER, no ATTENDEE).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app
from icalendar import Calendar, Event, Timezone, vCalAddress, vText

from lotsen import languages as catalogue
from lotsen.assignments.models import Assignment
from lotsen.i18n import _, force_locale
from lotsen.urls import external_url

PRODID = "-//Lotsen//Einsätze//DE"


def uid(assignment: Assignment, domain: str) -> str:
    return f"assignment-{assignment.id}@{domain}"


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def _address(email: str, name: str, **params) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["cn"] = vText(name)
    for key, value in params.items():
        address.params[key.replace("_", "-")] = vText(value)
    return address


def _organizer(assignment: Assignment) -> vCalAddress:
    """The office that runs the assignment (its address, or the address Lotsen sends from)."""
    office = assignment.request.office
    sender = current_app.config["MAIL_SENDER"]
    email = office.email or sender.rsplit("<", 1)[-1].rstrip(">").strip()
    return _address(email, office.name)


def _event(assignment: Assignment, domain: str, locale: str, *, method: str, now: dt.datetime) -> Event:
    cancelled = method == "CANCEL"
    request, volunteer = assignment.request, assignment.volunteer
    zone = _zone()
    with force_locale(locale):
        language = catalogue.name(request.language, locale)
        summary = _("Lotsen: %(language)s (%(kind)s)", language=language, kind=request.kind.title)
        place = ", ".join(p for p in (request.street, f"{request.postcode} {request.town}".strip()) if p)
        location = place if place else str(request.mode.title)
        link = external_url("assignments.show_assignment", assignment_id=assignment.id)
        description = "\n".join(filter(None, [
            f"{request.topic.title}",
            _("Contact on the day") + f": {request.contact_name}, {request.contact_phone}",
            request.notes,
            link,
        ]))
    event = Event()
    event.add("uid", uid(assignment, domain))
    event.add("dtstamp", now.astimezone(dt.timezone.utc))
    event.add("dtstart", assignment.starts_at.astimezone(zone))
    event.add("dtend", assignment.ends_at.astimezone(zone))
    event.add("summary", summary)
    event.add("location", location)
    event.add("description", description)
    event.add("url", link)
    event.add("organizer", _organizer(assignment))
    if method != "PUBLISH":  # RFC 5546, 3.2.1: a published event names no attendees
        event.add("attendee", _address(volunteer.email, volunteer.name, role="REQ-PARTICIPANT",
                                       partstat="DECLINED" if cancelled else "ACCEPTED"))
    event.add("sequence", 1 if cancelled else 0)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def _calendar(method: str, events: list[Event]) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    if events:
        zone = _zone()
        starts = [e.decoded("dtstart").date() for e in events]
        calendar.add_component(Timezone.from_tzinfo(zone, tzid=zone.key,
                                                    first_date=dt.date(min(starts).year - 1, 1, 1),
                                                    last_date=dt.date(max(starts).year + 2, 1, 1)))
    for event in events:
        calendar.add_component(event)
    return calendar


def invitation(assignment: Assignment, domain: str, locale: str, *, now: dt.datetime, cancelled: bool = False,
               method: str | None = None) -> dict:
    """An .ics for the confirmation (METHOD:REQUEST) or the cancellation (METHOD:CANCEL), as a mail attachment."""
    method = method or ("CANCEL" if cancelled else "REQUEST")
    calendar = _calendar(method, [_event(assignment, domain, locale, method=method, now=now)])
    with force_locale(locale):
        name = _("assignment-%(day)s.ics", day=assignment.starts_at.astimezone(_zone()).date().isoformat())
    return {"filename": name, "content_type": f"text/calendar; method={method}; charset=utf-8",
            "text": calendar.to_ical().decode()}


def feed(assignments: list[Assignment], domain: str, locale: str, *, now: dt.datetime) -> bytes:
    """A volunteer's private calendar: their confirmed and completed assignments."""
    calendar = _calendar("PUBLISH", [_event(a, domain, locale, method="PUBLISH", now=now) for a in assignments])
    calendar.add("x-wr-calname", "Lotsen")
    return calendar.to_ical()
