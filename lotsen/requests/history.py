"""Who may read what of a request's history: every note and event has an audience, and readers are filtered here.

This is the one place that decides what the agency's side sees; the request page, mails, exports and the API
ask it. The office (its coordinators, and admins) reads everything. A caseworker sees the steps that concern
the agency (filed, changed, offered, confirmed, cancelled ...) but not the office's internal ones (declines,
withdrawn offers, acceptances not confirmed), and reads a step's note and details only when their audience
includes the agency: a volunteer's reason for stepping back, a near-miss reason or a reassignment note stay
with the office.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask_babel import format_datetime

from lotsen import languages as catalogue
from lotsen.auth.models import Role
from lotsen.auth.permissions import coordinates
from lotsen.enums import TitledEnum
from lotsen.i18n import _, _l
from lotsen.requests.lifecycle import Action, action_title
from lotsen.volunteers.models import Gender, Mode, Topic


class Audience(TitledEnum):
    """Who may read an event's note and details (the office always may)."""

    OFFICE = "office"  # the office only
    AGENCY = "agency"  # the office and the agency's side
    VOLUNTEER = "volunteer"  # the office and the volunteer concerned

    @classmethod
    def titles(cls):
        return {cls.OFFICE: _l("Office only"), cls.AGENCY: _l("Office and agency"),
                cls.VOLUNTEER: _l("Office and volunteer")}


# The agency's own words (what it filed, changed, why it cancelled) are the agency's to read; the rest is the
# office's unless the step says otherwise (the office cancelling for the agency tells it why).
DEFAULT_AUDIENCE = {Action.CREATE: Audience.AGENCY, Action.EDIT: Audience.AGENCY, Action.CANCEL: Audience.AGENCY}

# The steps the agency's side sees happen at all.
AGENCY_SEES = frozenset({Action.CREATE, Action.EDIT, Action.OFFER, Action.ACCEPT, Action.CONFIRM, Action.REASSIGN,
                         Action.STEP_BACK, Action.TAKE_OFF, Action.REOPEN, Action.COMPLETE, Action.CANCEL,
                         Action.MARK_UNFILLED, Action.CLOSE})


def default_audience(action: Action) -> Audience:
    return DEFAULT_AUDIENCE.get(action, Audience.OFFICE)


def is_office(reader, request) -> bool:
    return coordinates(reader, request.office_id)


@dataclass
class Entry:
    """One step as a reader may see it."""

    at: dt.datetime
    who: str
    title: str
    note: str = ""
    action: str = ""
    late: bool = False
    changes: list[tuple[str, str, str]] = field(default_factory=list)


def history_for(request, reader) -> list[Entry]:
    """The request's history as ``reader`` may read it (see the module's docstring)."""
    office = is_office(reader, request)
    entries = []
    for event in request.events:
        action = Action(event.action)
        if not office and action not in AGENCY_SEES:
            continue
        readable = office or event.audience is Audience.AGENCY
        details = event.details or {}
        entries.append(Entry(
            at=event.at, who=_who(event, office), title=action_title(event.action), action=event.action,
            note=event.note if readable else "", late=bool(details.get("late")),
            changes=describe_changes(details) if readable and action is Action.EDIT else []))
    return entries


def _who(event, office: bool) -> str:
    if event.actor is None:
        return (event.details or {}).get("api_client") or _("Lotsen (automatic)")
    if event.actor.role is Role.VOLUNTEER and not office:
        return _("The volunteer")
    return event.actor.name


# What the history and the mails call the fields of a request that can change.
FIELD_TITLES = {
    "kind": _l("Who is needed"), "language": _l("Language"), "variety": _l("Variety"), "mode": _l("How"),
    "starts_at": _l("Start"), "duration_minutes": _l("Duration (minutes)"), "street": _l("Street"),
    "postcode": _l("Postcode"), "town": _l("Town"), "topic": _l("Topic"), "gender_preference": _l("Volunteer's gender"),
    "client_reference": _l("Reference"), "contact_name": _l("Contact on the day"),
    "contact_phone": _l("Contact phone on the day"), "notes": _l("Notes for the volunteer"), "is_urgent": _l("Urgent"),
}


def describe_changes(details: dict) -> list[tuple[str, str, str]]:
    """(field, old value, new value) in words for the reader, from an EDIT event's details."""
    described = []
    for key, change in details.items():
        if key not in FIELD_TITLES or not isinstance(change, dict):
            continue
        described.append((str(FIELD_TITLES[key]), _value_words(key, change.get("from")),
                          _value_words(key, change.get("to"))))
    return described


def _value_words(key: str, value) -> str:
    from lotsen.requests.models import RequestKind  # the models import this module for the Audience

    if value in (None, ""):
        return "–"
    if key == "starts_at":
        return format_datetime(dt.datetime.fromisoformat(value), "short")
    if key == "language":
        return catalogue.name(value)
    if key == "is_urgent":
        return _("yes") if value else _("no")
    for enum_cls, name in ((RequestKind, "kind"), (Mode, "mode"), (Topic, "topic"), (Gender, "gender_preference")):
        if key == name:
            return enum_cls(value).title
    return str(value)
