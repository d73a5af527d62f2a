"""The audit log in words: what each action is called, which record it was about, its details as sentences."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lotsen.audit.models import AuditEvent
from lotsen.i18n import _, _l

ACTIONS = {
    "auth.login": _l("Signed in"),
    "auth.password_changed": _l("Changed their password"),
    "auth.password_reset": _l("Set a new password through a link"),
    "auth.password_reset_requested": _l("Asked for a password link"),
    "auth.recovery_code_used": _l("Signed in with a recovery code"),
    "auth.recovery_codes_renewed": _l("Made new recovery codes"),
    "auth.two_factor_enabled": _l("Turned on two-factor sign-in"),
    "auth.two_factor_disabled": _l("Turned off two-factor sign-in"),
    "auth.two_factor_reset": _l("Reset two-factor sign-in"),
    "agency.created": _l("Created an agency"),
    "agency.updated": _l("Changed an agency"),
    "assignment.confirmed": _l("Confirmed a volunteer"),
    "assignment.recorded": _l("Recorded an assignment"),
    "assignment.withdrawn": _l("Stepped back from an assignment"),
    "offer.accepted": _l("Accepted an offer"),
    "offer.created": _l("Asked volunteers"),
    "offer.declined": _l("Declined an offer"),
    "offer.released": _l("Did not confirm an acceptance"),
    "offer.too_late": _l("Accepted too late"),
    "offer.withdrawn": _l("Withdrew an offer"),
    "office.created": _l("Created an office"),
    "office.updated": _l("Changed an office"),
    "office.settings_changed": _l("Changed the office's settings"),
    "place.alias_added": _l("Added a local place name"),
    "place.postcode_added": _l("Added a postcode"),
    "place.removed": _l("Removed a place"),
    "request.cancelled": _l("Cancelled a request"),
    "request.closed_unfillable": _l("Closed a request that cannot be filled"),
    "request.created": _l("Filed a request"),
    "request.updated": _l("Changed a request"),
    "retention.purged": _l("Deleted data past its keeping time"),
    "user.account_updated": _l("Changed their account"),
    "user.admin_created": _l("Created an administrator"),
    "user.deactivated": _l("Deactivated an account"),
    "user.email_verified": _l("Confirmed their email address"),
    "user.invitation_accepted": _l("Accepted the invitation"),
    "user.invited": _l("Invited someone"),
    "user.office_access_granted": _l("Let a caseworker work with the office"),
    "user.office_access_withdrawn": _l("Stopped working with a caseworker"),
    "user.reactivated": _l("Reactivated an account"),
    "user.registered": _l("Registered"),
    "user.vetted": _l("Vetted a volunteer"),
    "volunteer.anonymized": _l("Deleted a volunteer's personal data"),
    "volunteer.data_exported": _l("Downloaded their own data"),
    "volunteer.deletion_requested": _l("Asked for their data to be deleted"),
    "volunteer.imported": _l("Imported volunteers"),
    "volunteer.list_exported": _l("Exported the volunteer list"),
    "volunteer.profile_changed": _l("Changed a volunteer's profile"),
    "volunteer.taken_off": _l("Took a volunteer off their offers and assignments"),
}
SIGN_INS = ("auth.login",)

# The words for detail keys that appear in several actions.
KEYS = {
    "section": _l("Section"), "changes": _l("Changes"), "fields": _l("Fields"), "role": _l("Role"),
    "email": _l("Email address"), "name": _l("Name"), "late": _l("Late"), "request": _l("Request"),
    "reason": _l("Reason"), "note": _l("Note"), "volunteers": _l("Volunteers"), "wave": _l("Wave"),
    "round": _l("Round"), "created": _l("Created"), "updated": _l("Updated"), "unchanged": _l("Unchanged"),
    "invitations_sent": _l("Invitations sent"), "mails": _l("Mails"), "requests": _l("Requests"),
    "took_place": _l("Took place"), "minutes": _l("Minutes"), "travel_km": _l("Kilometres"),
    "left": _l("Codes left"), "by_someone_else": _l("Changed by someone else"), "ids": _l("Requests"),
    "agency_id": _l("Agency"), "offers": _l("Offers"), "assignments": _l("Assignments"),
}


def action_title(action: str) -> str:
    return str(ACTIONS[action]) if action in ACTIONS else action


@dataclass
class Line:
    event: AuditEvent
    what: str
    record: str
    details: list[str]


def describe(session: Session, events: list[AuditEvent]) -> list[Line]:
    """The events of a page, each with its action's name, its record's name and its details in words."""
    names = _record_names(session, events)
    return [Line(event, action_title(event.action), names.get((_kind(event), event.subject_id), ""),
                 _details(event.details or {})) for event in events]


def _kind(event: AuditEvent) -> str:
    # Events written while the signed-in user was passed on as a proxy name it so; it was a User.
    return "User" if event.subject_type in ("LocalProxy", "VolunteerProfile") else event.subject_type


def _record_names(session: Session, events: list[AuditEvent]) -> dict[tuple[str, int], str]:
    from lotsen.assignments.models import Assignment, Offer
    from lotsen.auth.models import User
    from lotsen.offices.models import Agency, Office

    wanted: dict[str, set[int]] = {}
    for event in events:
        if event.subject_id is not None:
            wanted.setdefault(_kind(event), set()).add(event.subject_id)
    names: dict[tuple[str, int], str] = {}
    for kind, model in (("User", User), ("Office", Office), ("Agency", Agency)):
        for ident, name in session.execute(select(model.id, model.name).where(model.id.in_(wanted.get(kind, ())))):
            names[(kind, ident)] = name
    for ident in wanted.get("HelpRequest", ()):
        names[("HelpRequest", ident)] = _("Request no. %(id)d", id=ident)
    for ident, request_id in session.execute(select(Offer.id, Offer.request_id).where(
            Offer.id.in_(wanted.get("Offer", ())))):
        names[("Offer", ident)] = _("Offer on request no. %(id)d", id=request_id)
    for ident, request_id in session.execute(select(Assignment.id, Assignment.request_id).where(
            Assignment.id.in_(wanted.get("Assignment", ())))):
        names[("Assignment", ident)] = _("Assignment for request no. %(id)d", id=request_id)
    return names


def _details(details: dict) -> list[str]:
    lines = []
    for key, value in details.items():
        label = str(KEYS[key]) if key in KEYS else key.replace("_", " ")
        lines.append(f"{label}: {_value(value)}")
    return lines


def _value(value) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if value in (None, ""):
        return "–"
    if isinstance(value, dict):
        if set(value) <= {"from", "to"}:
            return f"{_value(value.get('from'))} → {_value(value.get('to'))}"
        return "; ".join(f"{str(KEYS.get(k, k.replace('_', ' ')))}: {_value(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value)
    return str(value)
