"""An office adds missing postcodes and local names, and only its own lookups change."""

import html
import re

import pytest
from sqlalchemy import func, select

from lotsen.audit.models import AuditEvent
from lotsen.auth.models import Role
from lotsen.geo import Point, lookup
from lotsen.geo import services as places
from lotsen.geo.models import OfficePostcode, PlaceAlias
from lotsen.offices.models import Municipality

MISSING = "99999"  # not in the offline data (tests/unit/test_geo.py checks it)
NEW_ESTATE = {"postcode": MISSING, "latitude": "50,0187", "longitude": "8.8744", "label": "Neubaugebiet Nord"}


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def events(session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.fixture
def kreis(make_office):
    return make_office(name="Kreis Offenbach", municipalities=[Municipality(name="Rödermark"),
                                                                Municipality(name="Rodgau")])


@pytest.fixture
def stadt(make_office):
    return make_office(name="Stadt Offenbach", municipalities=[Municipality(name="Offenbach am Main")])


def municipality(session, office, name: str) -> Municipality:
    return session.scalar(select(Municipality).where(Municipality.office_id == office.id, Municipality.name == name))


class TestPostcodes:
    def test_added_postcode_is_found_for_the_own_office_only(self, client, session, login_as, kreis, stadt):
        assert lookup(MISSING) is None
        coordinator = login_as(Role.COORDINATOR, office=kreis)
        response = client.post("/places/postcodes", data=NEW_ESTATE)
        assert response.status_code == 302
        assert places.locate(session, kreis.id, MISSING) == Point(50.0187, 8.8744)
        with pytest.raises(places.PlaceError):
            places.locate(session, stadt.id, MISSING)
        [event] = events(session, "place.postcode_added")
        assert (event.actor_id, event.office_id, event.details["postcode"]) == (coordinator.id, kreis.id, MISSING)
        page = page_text(client.get("/places/"))
        assert "The postcode 99999 has been added." in page
        assert "Neubaugebiet Nord" in page

    @pytest.mark.parametrize("changes, message, kept", [
        ({"postcode": "6312"}, "A postcode has five digits.", 'value="6312"'),
        ({"latitude": "40.71", "longitude": "-74.01"}, "These coordinates do not lie in Germany.", 'value="40.71"'),
        ({"longitude": "18.5"}, "These coordinates do not lie in Germany.", 'value="18.5"'),
        ({"latitude": "north"}, "Latitude: Enter a number, for example 50.0098.</a>", 'value="north"'),
        ({"latitude": "95"}, "Enter a number between -90 and 90.", 'value="95"'),
    ])
    def test_invalid_postcodes_are_refused_and_nothing_is_saved(self, client, session, login_as, kreis, changes,
                                                                message, kept):
        login_as(Role.COORDINATOR, office=kreis)
        response = client.post("/places/postcodes", data={**NEW_ESTATE, **changes})
        page = page_text(response)
        assert response.status_code == 200
        assert message in page
        assert kept in page
        assert "Add a local name" in page  # the page comes back whole, with the other form
        assert count(session, OfficePostcode) == 0
        assert events(session, "place.postcode_added") == []

    def test_a_postcode_cannot_be_added_twice(self, client, session, login_as, kreis):
        login_as(Role.COORDINATOR, office=kreis)
        assert client.post("/places/postcodes", data=NEW_ESTATE).status_code == 302
        response = client.post("/places/postcodes", data={**NEW_ESTATE, "latitude": "50.1"})
        assert response.status_code == 200
        assert "This postcode has already been added." in page_text(response)
        assert session.scalars(select(OfficePostcode.latitude)).all() == [50.0187]
        assert len(events(session, "place.postcode_added")) == 1

    def test_two_offices_may_add_the_same_postcode(self, client, session, login_as, make_user, kreis, stadt):
        session.add(OfficePostcode(office_id=stadt.id, postcode=MISSING, latitude=50.1, longitude=8.76, label=""))
        session.commit()
        login_as(Role.COORDINATOR, office=kreis)
        assert client.post("/places/postcodes", data=NEW_ESTATE).status_code == 302
        assert places.locate(session, kreis.id, MISSING) == Point(50.0187, 8.8744)
        assert places.locate(session, stadt.id, MISSING) == Point(50.1, 8.76)


class TestAliases:
    def test_alias_makes_the_district_resolve_to_its_municipality(self, client, session, login_as, kreis, stadt):
        coordinator = login_as(Role.COORDINATOR, office=kreis)
        roedermark = municipality(session, kreis, "Rödermark")
        response = client.post("/places/aliases", data={"alias": " Ober-Roden ", "municipality_id": roedermark.id})
        assert response.status_code == 302
        for typed in ("Ober-Roden", "ober-roden", "OBER-RODEN "):
            assert places.find_municipality(session, kreis.id, typed).name == "Rödermark"
        assert places.find_municipality(session, stadt.id, "Ober-Roden") is None
        assert "Ober-Roden" in places.place_names(session, kreis.id)
        [event] = events(session, "place.alias_added")
        assert event.actor_id == coordinator.id and event.office_id == kreis.id
        assert event.details == {"alias": "Ober-Roden", "municipality": "Rödermark"}
        assert "Ober-Roden now stands for Rödermark." in page_text(client.get("/places/"))

    @pytest.mark.parametrize("alias, owner, message", [
        ("Ober-Roden", "stadt", "Choose one of your office's municipalities."),
        ("rödermark", "kreis", "This name is already known."),
        ("", "kreis", "Please fill in this field."),
        ("x" * 121, "kreis", "Field cannot be longer than 120 characters."),
    ])
    def test_invalid_aliases_are_refused_and_nothing_is_saved(self, client, session, login_as, kreis, stadt, alias,
                                                              owner, message):
        login_as(Role.COORDINATOR, office=kreis)
        offices = {"kreis": (kreis, "Rödermark"), "stadt": (stadt, "Offenbach am Main")}
        target = municipality(session, *offices[owner])
        response = client.post("/places/aliases", data={"alias": alias, "municipality_id": target.id})
        page = page_text(response)
        assert response.status_code == 200
        assert message in page
        assert f'value="{alias}"' in page or not alias
        assert "Add a postcode" in page
        assert count(session, PlaceAlias) == 0
        assert events(session, "place.alias_added") == []

    def test_a_local_name_cannot_be_added_twice(self, client, session, login_as, kreis):
        login_as(Role.COORDINATOR, office=kreis)
        rodgau = municipality(session, kreis, "Rodgau")
        assert client.post("/places/aliases", data={"alias": "Jügesheim", "municipality_id": rodgau.id}).status_code \
            == 302
        response = client.post("/places/aliases", data={"alias": "jügesheim", "municipality_id": rodgau.id})
        assert "This name is already known." in page_text(response)
        assert count(session, PlaceAlias) == 1


@pytest.fixture
def added(session, kreis):
    """One postcode and one local name the Kreis has added."""
    postcode = OfficePostcode(office_id=kreis.id, postcode=MISSING, latitude=50.0187, longitude=8.8744, label="")
    alias = PlaceAlias(office_id=kreis.id, alias="Ober-Roden", municipality=municipality(session, kreis, "Rödermark"))
    session.add_all([postcode, alias])
    session.commit()
    return {"postcodes": postcode.id, "aliases": alias.id}


class TestRemoving:
    @pytest.mark.parametrize("kind", ["postcodes", "aliases"])
    def test_coordinator_removes_an_entry_and_it_is_audited(self, client, session, login_as, kreis, added, kind):
        coordinator = login_as(Role.COORDINATOR, office=kreis)
        response = client.post(f"/places/{kind}/{added[kind]}/remove")
        assert response.status_code == 302
        model = OfficePostcode if kind == "postcodes" else PlaceAlias
        assert session.get(model, added[kind]) is None
        [event] = events(session, "place.removed")
        assert (event.actor_id, event.office_id, event.subject_id) == (coordinator.id, kreis.id, added[kind])

    def test_after_removal_the_lookups_forget_the_entries(self, client, session, login_as, kreis, added):
        login_as(Role.COORDINATOR, office=kreis)
        client.post(f"/places/postcodes/{added['postcodes']}/remove")
        client.post(f"/places/aliases/{added['aliases']}/remove")
        with pytest.raises(places.PlaceError):
            places.locate(session, kreis.id, MISSING)
        assert places.find_municipality(session, kreis.id, "Ober-Roden") is None

    @pytest.mark.parametrize("kind", ["postcodes", "aliases"])
    def test_another_offices_coordinator_gets_404(self, client, session, login_as, stadt, added, kind):
        login_as(Role.COORDINATOR, office=stadt)
        assert client.post(f"/places/{kind}/{added[kind]}/remove").status_code == 404
        assert client.post(f"/places/{kind}/999999/remove").status_code == 404
        model = OfficePostcode if kind == "postcodes" else PlaceAlias
        assert session.get(model, added[kind]) is not None
        assert events(session, "place.removed") == []


class TestAccess:
    @pytest.mark.parametrize("role", [Role.CASEWORKER, Role.VOLUNTEER])
    def test_caseworkers_and_volunteers_are_refused(self, client, session, login_as, added, role):
        login_as(role)
        assert client.get("/places/").status_code == 403
        assert client.post("/places/postcodes", data=NEW_ESTATE).status_code == 403
        assert client.post(f"/places/postcodes/{added['postcodes']}/remove").status_code == 403
        assert client.post(f"/places/aliases/{added['aliases']}/remove").status_code == 403
        assert count(session, OfficePostcode) == 1 and count(session, PlaceAlias) == 1

    def test_coordinator_cannot_name_another_office(self, client, login_as, kreis, stadt):
        login_as(Role.COORDINATOR, office=kreis)
        assert client.get(f"/places/?office_id={stadt.id}").status_code == 404
        assert client.post(f"/places/postcodes?office_id={stadt.id}", data=NEW_ESTATE).status_code == 404

    def test_admin_works_on_the_office_named_in_the_address(self, client, session, login_as, kreis, stadt, added):
        login_as(Role.ADMIN)
        assert client.get("/places/").headers["Location"].endswith("/offices/")
        page = page_text(client.get(f"/places/?office_id={kreis.id}"))
        assert "Ober-Roden" in page and f'action="/places/postcodes?office_id={kreis.id}"' in page
        response = client.post(f"/places/postcodes?office_id={stadt.id}", data=NEW_ESTATE)
        assert response.headers["Location"].endswith(f"/places/?office_id={stadt.id}")
        assert places.locate(session, stadt.id, MISSING) == Point(50.0187, 8.8744)
        # The Kreis's entry is not the Stadt's to remove, even for an admin working on the Stadt.
        assert client.post(f"/places/postcodes/{added['postcodes']}/remove?office_id={stadt.id}").status_code == 404


class TestPage:
    def test_lists_the_entries_with_both_forms(self, client, login_as, kreis, added):
        login_as(Role.COORDINATOR, office=kreis)
        page = page_text(client.get("/places/"))
        assert "GeoNames" in page and "CC BY 4.0" in page
        assert "<caption>Postcodes added by this office</caption>" in page
        assert "99999" in page and "Ober-Roden" in page and "Rödermark" in page
        assert "Add a postcode" in page and "Add a local name" in page

    def test_checking_a_known_postcode_shows_its_coordinates(self, client, login_as, kreis):
        login_as(Role.COORDINATOR, office=kreis)
        page = page_text(client.get("/places/?check-postcode=63128"))
        assert "63128 is known: 50.0098° north, 8.7778° east." in page
        assert "It comes from the GeoNames data." in page

    def test_checking_a_missing_postcode_offers_to_add_it(self, client, login_as, kreis):
        login_as(Role.COORDINATOR, office=kreis)
        page = page_text(client.get(f"/places/?check-postcode={MISSING}"))
        assert f"Lotsen does not know the postcode {MISSING} yet; you can add it below." in page
        assert re.search(rf'<input [^>]*name="postcode" [^>]*value="{MISSING}"', page)  # the add form, filled in

    def test_checking_an_added_postcode_says_the_office_added_it(self, client, login_as, kreis, added):
        login_as(Role.COORDINATOR, office=kreis)
        page = page_text(client.get(f"/places/?check-postcode={MISSING}"))
        assert "99999 is known" in page and "Your office added it." in page

    def test_an_office_without_municipalities_is_told_why_it_cannot_add_names(self, client, login_as, make_office):
        login_as(Role.COORDINATOR, office=make_office())
        page = page_text(client.get("/places/"))
        assert "This office has no municipalities yet" in page
