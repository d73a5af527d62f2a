"""The agency's one-time link to confirm or dispute a record: works without an account.

The link is signed and names the record and its version; once the version is answered or replaced by a
newer one, the link only says so. Opening it shows the record; answering is a POST (a mail scanner that
opens links confirms nothing).
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from lotsen.billing.models import AssignmentRecord
from lotsen.errors import DomainError
from lotsen.i18n import _
from lotsen.urls import external_url

LINK_PURPOSE = "lotsen.record"
LINK_MAX_AGE = 120 * 24 * 3600  # beyond the longest confirmation deadline; the record's own deadline decides


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=LINK_PURPOSE)


def confirm_token(record: AssignmentRecord) -> str:
    return _serializer().dumps({"r": record.id, "v": record.version})


def confirm_url(record: AssignmentRecord) -> str:
    return external_url("billing.confirm_by_link", token=confirm_token(record))


def record_from_token(session: Session, token: str) -> tuple[AssignmentRecord, int]:
    """The record and version a link names, or an error that explains itself."""
    invalid = _("This link is not valid. Please use the link from the most recent email.")
    try:
        data = _serializer().loads(token, max_age=LINK_MAX_AGE)
    except SignatureExpired:
        raise DomainError(_("This link has expired.")) from None
    except BadSignature:
        raise DomainError(invalid) from None
    if not isinstance(data, dict) or not isinstance(data.get("r"), int) or not isinstance(data.get("v"), int):
        raise DomainError(invalid)
    record = session.get(AssignmentRecord, data["r"])
    if record is None:
        raise DomainError(invalid)
    return record, data["v"]
