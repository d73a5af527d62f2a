"""Places as an office knows them: the offline gazetteer plus the office's own additions."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lotsen import geo
from lotsen.audit.services import record
from lotsen.errors import DomainError
from lotsen.geo.models import OfficePostcode, PlaceAlias
from lotsen.i18n import _
from lotsen.offices.models import Municipality

# Generous bounds around Germany (47.27-55.06 N, 5.87-15.04 E): they catch swapped or mistyped numbers.
GERMANY_LATITUDE = (47.0, 55.2)
GERMANY_LONGITUDE = (5.8, 15.1)
ALIAS_MAX_LENGTH = 120


class PlaceError(DomainError):
    """A postcode or place that cannot be resolved or added."""


def office_postcodes(session: Session, office_id: int) -> dict[str, geo.Point]:
    """The postcodes the office has added, with their coordinates."""
    rows = session.scalars(select(OfficePostcode).where(OfficePostcode.office_id == office_id))
    return {row.postcode: geo.Point(row.latitude, row.longitude) for row in rows}


def locate(session: Session, office_id: int, postcode: str) -> geo.Point:
    """Coordinates of a postcode, or a PlaceError for the ``postcode`` field."""
    postcode = (postcode or "").strip()
    if not geo.is_postcode(postcode):
        raise PlaceError(_("A postcode has five digits."), "postcode")
    point = geo.lookup(postcode, office_postcodes(session, office_id))
    if point is None:
        raise PlaceError(_("We do not know the postcode %(postcode)s. Please check it; if it is right, your "
                           "coordinating office can add it.", postcode=postcode), "postcode")
    return point


def find_municipality(session: Session, office_id: int, text: str) -> Municipality | None:
    """The office's municipality named ``text``, directly or by one of its local names."""
    wanted = (text or "").strip().lower()
    if not wanted:
        return None
    found = session.scalar(select(Municipality).where(Municipality.office_id == office_id,
                                                      func.lower(Municipality.name) == wanted))
    if found is not None:
        return found
    alias = session.scalar(select(PlaceAlias).where(PlaceAlias.office_id == office_id,
                                                    func.lower(PlaceAlias.alias) == wanted))
    return alias.municipality if alias else None


def place_names(session: Session, office_id: int) -> list[str]:
    """Municipalities and local names, for a picker."""
    names = session.scalars(select(Municipality.name).where(Municipality.office_id == office_id))
    aliases = session.scalars(select(PlaceAlias.alias).where(PlaceAlias.office_id == office_id))
    return sorted(set(names) | set(aliases), key=str.casefold)


def add_postcode(session: Session, actor, office_id: int, *, postcode: str, latitude: float, longitude: float,
                 label: str = "") -> OfficePostcode:
    """Add a postcode the offline data lacks, for this office only."""
    postcode = (postcode or "").strip()
    if not geo.is_postcode(postcode):
        raise PlaceError(_("A postcode has five digits."), "postcode")
    if postcode in office_postcodes(session, office_id):
        raise PlaceError(_("This postcode has already been added."), "postcode")
    # Checked one by one so the message stands beside the number that is wrong; NaN fails both comparisons.
    latitude, longitude = float(latitude), float(longitude)
    if not GERMANY_LATITUDE[0] <= latitude <= GERMANY_LATITUDE[1]:
        raise PlaceError(_("These coordinates do not lie in Germany."), "latitude")
    if not GERMANY_LONGITUDE[0] <= longitude <= GERMANY_LONGITUDE[1]:
        raise PlaceError(_("These coordinates do not lie in Germany."), "longitude")
    row = OfficePostcode(office_id=office_id, postcode=postcode, latitude=latitude, longitude=longitude,
                         label=(label or "").strip())
    session.add(row)
    session.flush()
    record(session, "place.postcode_added", actor=actor, subject=row, office_id=office_id,
           details={"postcode": postcode, "latitude": latitude, "longitude": longitude})
    return row


def add_alias(session: Session, actor, office_id: int, *, alias: str, municipality_id: int) -> PlaceAlias:
    """Let a district or local name stand for one of the office's municipalities."""
    alias = (alias or "").strip()
    # The form checks this too, but a blank alias would be a place nobody can type; the column holds 120.
    if not alias or len(alias) > ALIAS_MAX_LENGTH:
        raise PlaceError(_("Enter a name of up to %(max)s characters.", max=ALIAS_MAX_LENGTH), "alias")
    municipality = session.get(Municipality, municipality_id)
    if municipality is None or municipality.office_id != office_id:
        raise PlaceError(_("Choose one of your office's municipalities."), "municipality_id")
    if find_municipality(session, office_id, alias) is not None:
        raise PlaceError(_("This name is already known."), "alias")
    row = PlaceAlias(office_id=office_id, alias=alias, municipality=municipality)
    session.add(row)
    session.flush()
    record(session, "place.alias_added", actor=actor, subject=row, office_id=office_id,
           details={"alias": alias, "municipality": municipality.name})
    return row


def remove_place(session: Session, actor, office_id: int, row: OfficePostcode | PlaceAlias | None) -> None:
    """Remove one of the office's added postcodes or local names."""
    if row is None or row.office_id != office_id:
        raise PlaceError(_("This entry does not exist."))
    record(session, "place.removed", actor=actor, subject=row, office_id=office_id,
           details={"entry": getattr(row, "postcode", None) or getattr(row, "alias", "")})
    session.delete(row)
    session.flush()
