"""Points on the earth and the distance between them. Standard library only (matching uses it)."""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float


def distance_km(a: Point, b: Point) -> float:
    """Great-circle distance (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))


def bounding_box(centre: Point, radius_km: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) of a box that contains the circle; for SQL prefilters."""
    angle = radius_km / EARTH_RADIUS_KM
    dlat = math.degrees(angle)
    cos_lat = math.cos(math.radians(centre.latitude))
    # The circle's widest point lies poleward of the centre: asin(sin d / cos lat), not d / cos lat.
    dlon = 180.0 if math.sin(angle) >= cos_lat else math.degrees(math.asin(math.sin(angle) / cos_lat))
    return centre.latitude - dlat, centre.latitude + dlat, centre.longitude - dlon, centre.longitude + dlon
