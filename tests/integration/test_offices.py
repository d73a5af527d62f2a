"""Offices, their settings page, and agencies."""


from sqlalchemy import func, select

from lotsen.audit.models import AuditEvent
from lotsen.auth.models import Role
from lotsen.offices import settings as office_settings
from lotsen.offices.models import Agency, AgencyType, Office


def _settings_form(office, **changes) -> dict:
    data = {}
    for setting in office_settings.SETTINGS:
        current = office_settings.value(office, setting.key)
        if setting.kind == "int_list":
            data[setting.key] = ", ".join(str(v) for v in current)
        elif setting.kind == "multi":
            data[setting.key] = list(current)
        elif setting.kind == "bool":
            if current:  # an unticked checkbox sends nothing
                data[setting.key] = "y"
        else:
            data[setting.key] = str(current)
    data.update(changes)
    return data


class TestSettings:
    def test_defaults_come_from_the_registry(self, make_office):
        office = make_office()
        assert office_settings.value(office, "max_duration_minutes") == 180
        assert office_settings.value(office, "record_confirm_days") == 14
        assert "court" in office_settings.value(office, "excluded_settings")

    def test_coordinator_changes_settings_and_the_change_is_audited(self, client, session, login_as):
        coordinator = login_as(Role.COORDINATOR)
        office = coordinator.office
        form = _settings_form(office, max_duration_minutes="150", record_confirm_days="21",
                              reminder_hours_before="2, 48, 24", excluded_settings=["court", "hospital"])
        response = client.post("/offices/settings", data=form)
        assert response.status_code == 302
        office = session.get(Office, office.id)
        assert office_settings.value(office, "max_duration_minutes") == 150
        assert office_settings.value(office, "record_confirm_days") == 21
        assert office_settings.value(office, "reminder_hours_before") == [48, 24, 2]
        assert office_settings.value(office, "excluded_settings") == ["court", "hospital"]
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "office.settings_changed"))
        assert event.details["max_duration_minutes"] == {"from": 180, "to": 150}
        assert event.actor_id == coordinator.id and event.office_id == office.id

    def test_out_of_range_values_are_refused_and_nothing_is_saved(self, client, session, login_as):
        coordinator = login_as(Role.COORDINATOR)
        office = coordinator.office
        form = _settings_form(office, max_duration_minutes="5000", min_lead_working_days="2",
                              reminder_hours_before="24, soon")
        response = client.post("/offices/settings", data=form)
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "Enter a number between 30 and 720." in page
        assert "Enter whole numbers separated by commas." in page
        assert 'value="5000"' in page  # the input is kept
        office = session.get(Office, office.id)
        assert office.settings == {}
        assert session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "office.settings_changed")) == 0

    def test_saving_unchanged_settings_records_nothing(self, client, session, login_as):
        coordinator = login_as(Role.COORDINATOR)
        client.post("/offices/settings", data=_settings_form(coordinator.office))
        assert session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "office.settings_changed")) == 0


class TestOffices:
    def test_admin_creates_an_office_with_municipalities(self, client, session, login_as):
        login_as(Role.ADMIN)
        response = client.post("/offices/new", data={
            "name": "Integrationsbüro Kreis Offenbach", "slug": "kreis-offenbach", "kind": "district",
            "email": "integration@example.org", "phone": "06074 1",
            "municipalities": "Rodgau\nDietzenbach\n\nRodgau\n Seligenstadt "})
        assert response.status_code == 302
        office = session.scalar(select(Office).where(Office.slug == "kreis-offenbach"))
        assert [m.name for m in office.municipalities] == ["Dietzenbach", "Rodgau", "Seligenstadt"]

    def test_slug_must_be_unique_and_well_formed(self, client, session, login_as, make_office):
        make_office(slug="taken")
        login_as(Role.ADMIN)
        base = {"name": "X", "kind": "city", "email": "x@example.org", "phone": "", "municipalities": ""}
        page = client.post("/offices/new", data={**base, "slug": "taken"}).get_data(as_text=True)
        assert "Another office already uses this short name." in page
        page = client.post("/offices/new", data={**base, "slug": "Not OK"}).get_data(as_text=True)
        assert "Use lower-case letters, digits and hyphens only." in page
        assert session.scalar(select(func.count(Office.id))) == 1


class TestAgencies:
    def test_coordinator_creates_an_agency_for_the_own_office(self, client, session, login_as):
        coordinator = login_as(Role.COORDINATOR)
        response = client.post("/agencies/new", data={
            "name": "Kita Sonnenblume", "type": "kita", "email": "kita@example.org", "phone": "",
            "street": "Hauptstr. 1", "postcode": "63110", "town": "Rodgau", "is_active": "y",
            "office_ids": [999]})
        assert response.status_code == 302
        agency = session.scalar(select(Agency).where(Agency.name == "Kita Sonnenblume"))
        assert agency.type is AgencyType.KITA
        assert agency.office_ids == {coordinator.office_id}  # the office choice is the admin's

    def test_invalid_postcode_is_a_form_error(self, client, session, login_as):
        login_as(Role.COORDINATOR)
        page = client.post("/agencies/new", data={"name": "Schule", "type": "school", "postcode": "6311",
                                                  "is_active": "y"}).get_data(as_text=True)
        assert "A postcode has five digits." in page
        assert 'value="Schule"' in page
        assert session.scalar(select(func.count(Agency.id))) == 0

    def test_admin_links_an_agency_to_several_offices(self, client, session, login_as, make_office):
        a, b = make_office(), make_office()
        login_as(Role.ADMIN)
        response = client.post("/agencies/new", data={"name": "Migrationsberatung", "type": "counselling",
                                                      "is_active": "y", "office_ids": [a.id, b.id]})
        assert response.status_code == 302
        agency = session.scalar(select(Agency).where(Agency.name == "Migrationsberatung"))
        assert agency.office_ids == {a.id, b.id}

    def test_an_agency_without_office_is_refused(self, client, session, login_as):
        login_as(Role.ADMIN)
        page = client.post("/agencies/new", data={"name": "Orphan", "type": "other",
                                                  "is_active": "y"}).get_data(as_text=True)
        assert "An agency works with at least one office." in page
        assert session.scalar(select(func.count(Agency.id))) == 0
