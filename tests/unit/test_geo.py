"""Postcode lookup, distances and the SQL prefilter's bounding box, without an app or a database."""

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from lotsen import geo
from lotsen.geo import Point, bounding_box, distance_km, lookup

DIETZENBACH = "63128"
SELIGENSTADT = "63500"
MISSING = "99999"  # not in the data: the highest German postcode in it is 99998


class TestLookup:
    def test_dietzenbach_and_seligenstadt_are_known(self):
        dietzenbach, seligenstadt = lookup(DIETZENBACH), lookup(SELIGENSTADT)
        assert dietzenbach.latitude == pytest.approx(50.01, abs=0.05)
        assert dietzenbach.longitude == pytest.approx(8.78, abs=0.05)
        assert seligenstadt.latitude == pytest.approx(50.04, abs=0.05)
        assert seligenstadt.longitude == pytest.approx(8.97, abs=0.05)

    def test_dietzenbach_lies_12_to_15_km_from_seligenstadt(self):
        assert 12 <= distance_km(lookup(DIETZENBACH), lookup(SELIGENSTADT)) <= 15

    def test_an_unknown_postcode_is_none(self):
        assert lookup(MISSING) is None

    def test_malformed_or_empty_postcodes_are_none(self):
        assert lookup("6312") is None
        assert lookup("") is None
        assert lookup(None) is None

    def test_surrounding_spaces_are_ignored(self):
        assert lookup(f" {DIETZENBACH} ") == lookup(DIETZENBACH)

    def test_an_office_addition_fills_a_gap(self):
        new_estate = Point(50.02, 8.80)
        assert lookup(MISSING, {MISSING: new_estate}) == new_estate

    def test_an_office_addition_wins_over_the_offline_data(self):
        corrected = Point(50.5, 9.5)
        assert lookup(DIETZENBACH, {DIETZENBACH: corrected}) == corrected
        assert lookup(SELIGENSTADT, {DIETZENBACH: corrected}) == lookup(SELIGENSTADT)

    def test_is_postcode_wants_exactly_five_digits(self):
        assert geo.is_postcode("63128")
        assert not geo.is_postcode("6312")
        assert not geo.is_postcode("631280")
        assert not geo.is_postcode("6312a")
        assert not geo.is_postcode("")


latitudes = st.floats(min_value=-80, max_value=80)
longitudes = st.floats(min_value=-179, max_value=179)
points = st.builds(Point, latitudes, longitudes)


class TestDistance:
    def test_one_degree_along_the_equator_is_about_111_km(self):
        assert distance_km(Point(0, 0), Point(0, 1)) == pytest.approx(111.195, abs=0.01)

    @given(points, points)
    def test_distance_is_symmetric_and_never_negative(self, a, b):
        assert distance_km(a, b) == pytest.approx(distance_km(b, a), abs=1e-9)
        assert distance_km(a, b) >= 0

    @given(points)
    def test_a_point_is_zero_km_from_itself(self, a):
        assert distance_km(a, a) == 0


# Around Germany, where offices and volunteers are: the box is not meant for the poles or the date line.
centres = st.builds(Point, st.floats(min_value=47, max_value=55.5), st.floats(min_value=5.5, max_value=15.5))
offsets = st.floats(min_value=-3, max_value=3)
# Well below a millimetre: only floating-point rounding, never a volunteer left out.
ROUNDING = 1e-9


@given(centres, offsets, offsets, st.floats(min_value=0, max_value=50))
@example(Point(50.0, 8.8), 0.0084, 1.3992, 0.0)  # the easternmost point of a 100 km circle around Dietzenbach
def test_bounding_box_contains_every_point_within_the_radius(centre, dlat, dlon, slack_km):
    other = Point(centre.latitude + dlat, centre.longitude + dlon)
    radius = distance_km(centre, other) + slack_km  # the point lies within the radius by construction
    min_lat, max_lat, min_lon, max_lon = bounding_box(centre, radius)
    assert min_lat - ROUNDING <= other.latitude <= max_lat + ROUNDING
    assert min_lon - ROUNDING <= other.longitude <= max_lon + ROUNDING


@given(centres, st.floats(min_value=1, max_value=300))
def test_bounding_box_is_not_much_wider_than_the_circle(centre, radius):
    # A box that grew without bound would pass the test above and make the prefilter useless.
    min_lat, max_lat, min_lon, max_lon = bounding_box(centre, radius)
    north = Point(max_lat, centre.longitude)
    east = Point(centre.latitude, max_lon)
    assert distance_km(centre, north) == pytest.approx(radius, rel=1e-6)
    assert distance_km(centre, east) <= radius * 1.02

