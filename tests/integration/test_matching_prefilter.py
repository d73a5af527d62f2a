"""The prefilter's own conditions at their edges: it may keep too many, never one the rules would take."""

import datetime as dt
import math
import random

import pytest

from lotsen.auth.models import Role
from lotsen.distance import EARTH_RADIUS_KM, Point, distance_km
from lotsen.matching import services
from lotsen.volunteers.models import Mode
from tests.builders import NOW, POSTCODES, add_language, add_window, make_request, ready

pytestmark = pytest.mark.now(NOW)


@pytest.fixture
def office(make_office):
    return make_office(name="Kreis Offenbach")


@pytest.fixture
def agency(make_agency, office):
    return make_agency(offices=[office])


def destination(start: Point, bearing_degrees: float, km: float) -> Point:
    """The point ``km`` away from ``start`` on the sphere, heading ``bearing_degrees``."""
    lat, lon, bearing, angle = (math.radians(start.latitude), math.radians(start.longitude),
                                math.radians(bearing_degrees), km / EARTH_RADIUS_KM)
    lat2 = math.asin(math.sin(lat) * math.cos(angle) + math.cos(lat) * math.sin(angle) * math.cos(bearing))
    lon2 = lon + math.atan2(math.sin(bearing) * math.sin(angle) * math.cos(lat),
                            math.cos(angle) - math.sin(lat) * math.sin(lat2))
    return Point(math.degrees(lat2), math.degrees(lon2))


def volunteer_at(session, office, make_user, home: Point, radius: int, **profile):
    user = make_user(Role.VOLUNTEER, office=office, profile=ready(latitude=home.latitude, longitude=home.longitude,
                                                                  travel_radius_km=radius, **profile))
    add_language(session, user)
    add_window(session, user, weekday=0, starts="00:00", ends="23:59:59.999999")  # all Monday
    return user


def prefiltered(session, request, now=NOW) -> set[int]:
    return set(session.scalars(services.prefilter(request, request.office, "Europe/Berlin", now)))


def test_keeps_everyone_just_within_their_radius_in_every_direction(session, office, agency, make_user):
    place = Point(*POSTCODES["63128"])
    rng = random.Random(5)
    inside, outside = [], []
    for n in range(60):
        radius = rng.choice([1, 3, 10, 25, 60, 150, 250])
        bearing = rng.uniform(0, 360) if n % 4 else 45.0 * (n % 8)  # diagonals: the box's corners
        home = destination(place, bearing, radius * (1 - 1e-6))
        assert distance_km(home, place) <= radius
        inside.append(volunteer_at(session, office, make_user, home, radius).id)
        if radius <= 150:  # in the box's corner, well outside the circle
            corner = destination(place, 45.0 + 90 * (n % 4), radius * 1.3)
            outside.append(volunteer_at(session, office, make_user, corner, radius).id)
    session.commit()
    request = make_request(session, office, agency)
    ranked = {r.volunteer_id for r in services.match(session, request, NOW).ranked}
    assert ranked == set(inside)
    kept = prefiltered(session, request)
    assert set(inside) <= kept
    assert not kept & set(outside)  # the circle, not only the box


def test_keeps_a_volunteer_whose_notice_is_just_met(session, office, agency, make_user):
    request = make_request(session, office, agency)
    ahead = (request.starts_at - NOW) / dt.timedelta(hours=1)
    assert ahead == 236  # Monday 09:00 in Berlin, from Friday 12:00 UTC ten days before
    place = Point(*POSTCODES["63128"])
    met = volunteer_at(session, office, make_user, place, 10, min_notice_hours=236)
    missed = volunteer_at(session, office, make_user, place, 10, min_notice_hours=237)
    session.commit()
    assert [r.volunteer_id for r in services.match(session, request, NOW).ranked] == [met.id]
    assert met.id in prefiltered(session, request)
    assert missed.id not in prefiltered(session, request)
    assert missed.id in prefiltered(session, request, now=None)  # without a clock, no notice is checked
    later = NOW + dt.timedelta(minutes=1)
    assert met.id not in prefiltered(session, request, later)


def test_by_phone_distance_does_not_count(session, office, agency, make_user):
    far_away = volunteer_at(session, office, make_user, Point(53.55, 9.99), 5, by_phone=True)  # Hamburg
    session.commit()
    request = make_request(session, office, agency, mode=Mode.PHONE)
    assert far_away.id in prefiltered(session, request)
    assert [r.volunteer_id for r in services.match(session, request, NOW).ranked] == [far_away.id]
