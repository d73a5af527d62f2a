"""The agency's one-time link to confirm or dispute a record: works without an account.

The link is signed and names the record and its version; once the version is answered or replaced by a
newer one, the link only says so. Opening it shows the record; answering is a POST (a mail scanner that
opens links confirms nothing).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from lotsen import signed
from lotsen.billing.models import AssignmentRecord
from lotsen.urls import external_url

LINK_PURPOSE = "lotsen.record"
LINK_MAX_AGE = 120 * 24 * 3600  # beyond the longest confirmation deadline; the record's own deadline decides


def confirm_token(record: AssignmentRecord) -> str:
    return signed.dumps(LINK_PURPOSE, {"r": record.id, "v": record.version})


def confirm_url(record: AssignmentRecord) -> str:
    return external_url("billing.confirm_by_link", token=confirm_token(record))


def record_from_token(session: Session, token: str) -> tuple[AssignmentRecord, int]:
    """The record and version a link names, or an error that explains itself."""
    data = signed.loads(LINK_PURPOSE, token, LINK_MAX_AGE, "r", "v")
    record = session.get(AssignmentRecord, data["r"])
    if record is None:
        raise signed.invalid()
    return record, data["v"]
