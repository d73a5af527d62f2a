"""What the API answers: requests, their history and records as the agency may see them, and page cursors."""

from __future__ import annotations

import base64
import binascii
import json

from flask import g

from lotsen import db
from lotsen import languages as catalogue
from lotsen.api import schemas as s
from lotsen.api.problems import ApiProblem
from lotsen.assignments.loading import live_assignment
from lotsen.billing.models import AssignmentRecord
from lotsen.i18n import _
from lotsen.requests.history import history_for
from lotsen.requests.models import HelpRequest
from lotsen.volunteers.models import Mode
from lotsen.volunteers.services import phone_of


def request_out(req: HelpRequest) -> dict:
    on_site = req.mode is Mode.ON_SITE
    return {
        "id": req.id, "status": req.status.value, "status_title": str(req.status.title),
        "office": {"id": req.office.id, "name": req.office.name}, "kind": req.kind.value,
        "language": req.language, "language_name": catalogue.name(req.language), "variety": req.variety,
        "mode": req.mode.value, "starts_at": s.utc(req.starts_at), "ends_at": s.utc(req.ends_at),
        "duration_minutes": req.duration_minutes,
        "place": {"street": req.street, "postcode": req.postcode, "town": req.town} if on_site else None,
        "topic": req.topic.value,
        "gender_preference": req.gender_preference.value if req.gender_preference else None,
        "client_reference": req.client_reference, "contact_name": req.contact_name,
        "contact_phone": req.contact_phone, "notes": req.notes, "urgent": req.is_urgent,
        "series_id": req.series_id, "cancelled_late": req.cancelled_late,
        "unfilled_reason": req.unfilled_reason.value if req.unfilled_reason else None,
        "created_at": s.utc(req.created_at), "updated_at": s.utc(req.updated_at),
    }


def request_detail(req: HelpRequest) -> dict:
    """Everything the agency may see of a request: its confirmed volunteer's first name and phone, and the
    history as ``requests.history`` lets the agency read it."""
    session = db.session()
    assignment = live_assignment(session, req)
    volunteer = {"first_name": assignment.volunteer.first_name,
                 "phone": phone_of(session, assignment.volunteer_id)} if assignment is not None else None
    history = [{"at": s.utc(entry.at), "action": entry.action, "title": entry.title, "by": entry.who,
                "note": entry.note, "late": entry.late} for entry in history_for(req, g.api_client)]
    return {**request_out(req), "volunteer": volunteer, "history": history}


def record_out(entry: AssignmentRecord) -> dict:
    return {"id": entry.id, "request_id": entry.assignment.request_id, "version": entry.version,
            "status": entry.status.value, "outcome": entry.outcome.value, "starts_at": s.utc(entry.starts_at),
            "ends_at": s.utc(entry.ends_at), "minutes": entry.minutes,
            "volunteer_first_name": entry.volunteer.first_name if entry.volunteer else "",
            "confirm_by": s.utc(entry.confirm_by), "answered_at": s.utc(entry.answered_at)}


def cursor_of(*values) -> str:
    """The position after a page's last row, opaque to the client."""
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def read_cursor(cursor: str, count: int) -> list | None:
    """The position a client sent back (``count`` values), or a field error."""
    if not cursor:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if isinstance(values, list) and len(values) == count:
            return values
    except (ValueError, binascii.Error, UnicodeDecodeError):
        pass
    raise bad_cursor()


def bad_cursor() -> ApiProblem:
    return ApiProblem("validation", errors={"cursor": [_("Use the next_cursor of the previous page.")]})
