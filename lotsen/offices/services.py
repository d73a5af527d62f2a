"""Creating and changing offices, their settings, and agencies."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lotsen.audit.services import record
from lotsen.billing import programmes
from lotsen.auth.models import User
from lotsen.errors import DomainError
from lotsen.i18n import _
from lotsen.offices import settings as office_settings
from lotsen.offices.models import Agency, AgencyType, Municipality, Office, OfficeKind


class OfficeError(DomainError):
    """A refused change to an office or agency."""


def _sync_municipalities(office: Office, names: list[str]) -> None:
    keep = set(names)
    office.municipalities[:] = [m for m in office.municipalities if m.name in keep]
    present = {m.name for m in office.municipalities}
    office.municipalities.extend(Municipality(name=name) for name in names if name not in present)


def save_office(session: Session, actor: User, office: Office | None, *, name: str, slug: str, kind: str,
                email: str, phone: str, municipalities: list[str]) -> Office:
    """Create an office (office=None) or change one; admins only (checked by the view)."""
    clash = session.scalar(select(Office).where(Office.slug == slug))
    if clash is not None and clash is not office:
        raise OfficeError(_("Another office already uses this short name."), "slug")
    created = office is None
    if created:
        office = Office(settings={})
        session.add(office)
    office.name, office.slug, office.kind = name.strip(), slug, OfficeKind(kind)
    office.email, office.phone = email.strip().lower(), phone.strip()
    _sync_municipalities(office, municipalities)
    session.flush()
    if created:
        programmes.create_default(session, office, office.created_at)
    record(session, "office.created" if created else "office.updated", actor=actor, subject=office,
           office_id=office.id, details={"name": office.name})
    return office


def update_settings(session: Session, actor: User, office: Office, values: dict) -> list[str]:
    """Store changed settings and record each change; returns the changed keys."""
    stored = dict(office.settings or {})
    changes = {}
    for key, python_value in values.items():
        new = office_settings.to_storable(key, python_value)
        old = office_settings.to_storable(key, office_settings.value(office, key))
        if new != old:
            changes[key] = {"from": old, "to": new}
            stored[key] = new
    if changes:
        office.settings = stored  # a new dict, so SQLAlchemy sees the JSON change
        record(session, "office.settings_changed", actor=actor, subject=office, office_id=office.id,
               details=changes)
    return sorted(changes)


def save_agency(session: Session, actor: User, agency: Agency | None, offices: list[Office], **fields) -> Agency:
    """Create or change an agency; it must work with at least one office."""
    if not offices:
        raise OfficeError(_("An agency works with at least one office."), "office_ids")
    created = agency is None
    if created:
        agency = Agency()
        session.add(agency)
    agency.name = fields["name"].strip()
    agency.type = AgencyType(fields["type"])
    agency.email = (fields.get("email") or "").strip().lower()
    agency.phone = (fields.get("phone") or "").strip()
    agency.street = (fields.get("street") or "").strip()
    agency.postcode = (fields.get("postcode") or "").strip()
    agency.town = (fields.get("town") or "").strip()
    agency.is_active = bool(fields.get("is_active", True))
    agency.offices = list(offices)
    session.flush()
    for office in offices:
        record(session, "agency.created" if created else "agency.updated", actor=actor, subject=agency,
               office_id=office.id, details={"name": agency.name})
    return agency
