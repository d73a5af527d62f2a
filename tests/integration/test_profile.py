"""A volunteer keeps a precise profile; coordinators see and change it, and every change is recorded."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from lotsen.audit.models import AuditEvent
from lotsen.auth.models import Role, UserStatus
from lotsen.geo.models import PlaceAlias
from lotsen.offices.models import Municipality
from lotsen.volunteers.models import VolunteerProfile
from tests.conftest import sign_in

NEXT_YEAR = 2027

pytestmark = pytest.mark.now(dt.datetime(NEXT_YEAR - 1, 6, 15, 10, 0, tzinfo=dt.timezone.utc))


@pytest.fixture
def office(make_office, session):
    office = make_office(name="Integrationsbüro Kreis Offenbach")
    for name in ("Dietzenbach", "Rödermark", "Seligenstadt"):
        session.add(Municipality(office_id=office.id, name=name))
    session.commit()
    return office


@pytest.fixture
def volunteer(client, make_user, office):
    user = make_user(Role.VOLUNTEER, office=office, profile={"vetted_at": dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)})
    sign_in(client, user.email)
    return user


def profile(session, user) -> VolunteerProfile:
    return session.get(VolunteerProfile, user.id)


class TestBasics:
    def test_saves_roles_modes_and_german_and_moves_on(self, client, session, volunteer):
        response = client.post("/profile/basics", data={"roles": ["guide", "interpreter"], "modes": ["on_site", "video"],
                                                         "german_level": "fluent", "phone": "0151 123", "gender": ""})
        assert response.status_code == 302 and response.headers["Location"].endswith("/profile/languages")
        p = profile(session, volunteer)
        assert (p.is_guide, p.is_interpreter, p.on_site, p.by_phone, p.by_video) == (True, True, True, False, True)
        assert p.german_level.value == "fluent" and p.gender is None

    def test_at_least_one_role_and_one_mode(self, client, session, volunteer):
        page = client.post("/profile/basics", data={"german_level": "good", "phone": "0151 999"}).get_data(as_text=True)
        assert "Choose at least one: guide or interpreter." in page
        assert 'value="0151 999"' in page
        assert profile(session, volunteer).phone == ""


class TestLanguages:
    def test_adds_a_language_by_its_name_and_refuses_duplicates_and_unknowns(self, client, session, volunteer):
        assert client.post("/profile/languages", data={"add-language": "Arabic", "add-level": "native"}).status_code == 302
        page = client.post("/profile/languages", data={"add-language": "ar", "add-level": "good"}).get_data(as_text=True)
        assert "is already in your profile" in page
        page = client.post("/profile/languages", data={"add-language": "Elbisch", "add-level": "good"}).get_data(as_text=True)
        assert "Choose a language from the list." in page and 'value="Elbisch"' in page
        assert [(e.language, e.level.value) for e in profile(session, volunteer).languages] == [("ar", "native")]

    def test_varieties_are_kept_per_language(self, client, session, volunteer):
        client.post("/profile/languages", data={"add-language": "Arabic", "add-level": "native"})
        entry = profile(session, volunteer).languages[0]
        response = client.post(f"/profile/languages/{entry.id}", data={f"lang{entry.id}-level": "fluent",
                                                                         f"lang{entry.id}-varieties": ["apc", "arz"]})
        assert response.status_code == 302
        session.expire_all()
        entry = profile(session, volunteer).languages[0]
        assert entry.level.value == "fluent" and entry.varieties == ["apc", "arz"]

    def test_removes_a_language(self, client, session, volunteer):
        client.post("/profile/languages", data={"add-language": "Dari", "add-level": "native"})
        entry = profile(session, volunteer).languages[0]
        client.post(f"/profile/languages/{entry.id}/remove")
        assert profile(session, volunteer).languages == []


class TestPlace:
    def test_a_known_postcode_is_located_offline(self, client, session, volunteer):
        response = client.post("/profile/place", data={"postcode": "63128", "municipality": "dietzenbach",
                                                       "travel_radius_km": "15"})
        assert response.status_code == 302
        p = profile(session, volunteer)
        assert p.postcode == "63128" and p.municipality.name == "Dietzenbach"
        assert 49.9 < p.latitude < 50.1 and 8.7 < p.longitude < 8.9
        assert p.travel_radius_km == 15

    def test_an_unknown_postcode_is_a_clear_form_error_and_nothing_is_saved(self, client, session, volunteer):
        page = client.post("/profile/place", data={"postcode": "00000", "municipality": "",
                                                   "travel_radius_km": "10"}).get_data(as_text=True)
        assert "We do not know the postcode 00000" in page and 'value="00000"' in page
        assert profile(session, volunteer).postcode == ""

    def test_a_district_alias_resolves_to_its_municipality(self, client, session, volunteer, office):
        roedermark = session.scalar(select(Municipality).where(Municipality.name == "Rödermark"))
        session.add(PlaceAlias(office_id=office.id, alias="Ober-Roden", municipality_id=roedermark.id))
        session.commit()
        client.post("/profile/place", data={"postcode": "63322", "municipality": "Ober-Roden", "travel_radius_km": "5"})
        assert profile(session, volunteer).municipality.name == "Rödermark"

    def test_a_place_outside_the_office_is_refused(self, client, session, volunteer):
        page = client.post("/profile/place", data={"postcode": "49074", "municipality": "Osnabrück",
                                                   "travel_radius_km": "5"}).get_data(as_text=True)
        assert "is not one of the office" in page
        assert profile(session, volunteer).postcode == ""


class TestAvailability:
    def test_overlapping_weekly_windows_are_merged(self, client, session, volunteer):
        for starts, ends in (("09:00", "12:00"), ("11:30", "14:00")):
            client.post("/profile/availability", data={"kind": "window", "window-weekday": "0",
                                                       "window-starts": starts, "window-ends": ends})
        windows = profile(session, volunteer).windows
        assert [(w.weekday, w.starts, w.ends) for w in windows] == [(0, dt.time(9), dt.time(14))]

    def test_an_end_before_the_start_is_a_form_error(self, client, session, volunteer):
        page = client.post("/profile/availability", data={"kind": "window", "window-weekday": "2",
                                                          "window-starts": "15:00", "window-ends": "10:00"}).get_data(as_text=True)
        assert "The end must be after the start." in page
        assert profile(session, volunteer).windows == []

    def test_absences_and_extra_dates(self, client, session, volunteer):
        client.post("/profile/availability", data={"kind": "absence", "absence-starts_on": f"{NEXT_YEAR}-07-01",
                                                   "absence-ends_on": f"{NEXT_YEAR}-07-14", "absence-reason": "vacation"})
        page = client.post("/profile/availability", data={
            "kind": "absence", "absence-starts_on": f"{NEXT_YEAR}-07-10", "absence-ends_on": f"{NEXT_YEAR}-07-20",
            "absence-reason": "other"}).get_data(as_text=True)
        assert "This overlaps an absence you already entered." in page
        page = client.post("/profile/availability", data={"kind": "extra", "extra-day": "2020-01-01",
                                                          "extra-starts": "10:00", "extra-ends": "12:00"}).get_data(as_text=True)
        assert "The date lies in the past." in page
        client.post("/profile/availability", data={"kind": "extra", "extra-day": f"{NEXT_YEAR}-03-03",
                                                   "extra-starts": "10:00", "extra-ends": "12:00"})
        p = profile(session, volunteer)
        assert len(p.absences) == 1 and len(p.extra_dates) == 1

    def test_removing_a_window(self, client, session, volunteer):
        client.post("/profile/availability", data={"kind": "window", "window-weekday": "4",
                                                   "window-starts": "08:00", "window-ends": "10:00"})
        window = profile(session, volunteer).windows[0]
        client.post(f"/profile/availability/windows/{window.id}/remove")
        assert profile(session, volunteer).windows == []


class TestLimitsAndPause:
    def test_a_topic_cannot_be_wanted_and_excluded(self, client, session, volunteer):
        page = client.post("/profile/limits", data={"min_notice_hours": "24", "topics_willing": ["health"],
                                                    "topics_excluded": ["health"]}).get_data(as_text=True)
        assert "A topic cannot be both wanted and excluded." in page

    def test_limits_are_saved(self, client, session, volunteer):
        client.post("/profile/limits", data={"max_per_week": "2", "max_per_month": "6", "min_notice_hours": "48",
                                             "topics_willing": ["school"], "topics_excluded": ["health"]})
        p = profile(session, volunteer)
        assert (p.max_per_week, p.max_per_month, p.min_notice_hours) == (2, 6, 48)
        assert p.topics_willing == ["school"] and p.topics_excluded == ["health"]

    def test_pause_with_a_return_date_and_resume(self, client, session, volunteer):
        client.post("/profile/pause", data={"until": f"{NEXT_YEAR}-01-31"})
        p = profile(session, volunteer)
        assert p.is_paused and p.paused_until == dt.date(NEXT_YEAR, 1, 31)
        client.post("/profile/resume")
        assert not profile(session, volunteer).is_paused


class TestCoordinator:
    def test_a_coordinators_change_is_recorded_with_who_and_what(self, app, session, make_user, volunteer, office):
        boss = app.test_client()
        coordinator = make_user(Role.COORDINATOR, office=office)
        sign_in(boss, coordinator.email)
        response = boss.post(f"/volunteers/{volunteer.id}/profile/limits", data={"min_notice_hours": "72"})
        assert response.status_code == 302
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "volunteer.profile_changed")).one()
        assert event.actor_id == coordinator.id and event.subject_id == volunteer.id
        assert event.details["by_someone_else"] is True
        assert event.details["changes"]["min_notice_hours"] == {"from": 24, "to": 72}

    def test_another_offices_coordinator_cannot_open_the_profile(self, app, make_user, volunteer):
        other = app.test_client()
        sign_in(other, make_user(Role.COORDINATOR).email)
        assert other.get(f"/volunteers/{volunteer.id}").status_code == 404
        assert other.post(f"/volunteers/{volunteer.id}/profile/limits", data={"min_notice_hours": "1"}).status_code == 404

    def test_only_coordinators_record_documents(self, app, client, session, make_user, volunteer, office):
        assert client.post(f"/volunteers/{volunteer.id}/documents",
                           data={"declaration_signed_on": "2026-01-10"}).status_code == 403
        boss = app.test_client()
        sign_in(boss, make_user(Role.COORDINATOR, office=office).email)
        boss.post(f"/volunteers/{volunteer.id}/documents", data={"declaration_signed_on": "2026-01-10",
                                                                 "certificate_checked_on": "2025-12-01",
                                                                 "coordinator_notes": "Kennt Rodgau gut"})
        p = profile(session, volunteer)
        assert p.declaration_signed_on == dt.date(2026, 1, 10) and p.coordinator_notes == "Kennt Rodgau gut"
        assert "Can be asked for assignments." in boss.get(f"/volunteers/{volunteer.id}").get_data(as_text=True)

    def test_future_document_dates_are_refused(self, app, session, make_user, volunteer, office):
        boss = app.test_client()
        sign_in(boss, make_user(Role.COORDINATOR, office=office).email)
        page = boss.post(f"/volunteers/{volunteer.id}/documents",
                         data={"declaration_signed_on": f"{NEXT_YEAR + 1}-01-01"}).get_data(as_text=True)
        assert "The date must not lie in the future." in page
        assert profile(session, volunteer).declaration_signed_on is None

    def test_trainings_are_recorded_and_removed(self, app, session, make_user, volunteer, office):
        boss = app.test_client()
        sign_in(boss, make_user(Role.COORDINATOR, office=office).email)
        boss.post(f"/volunteers/{volunteer.id}/trainings", data={"kind": "basic", "title": "Grundkurs",
                                                                 "completed_on": "2025-10-01"})
        p = profile(session, volunteer)
        assert p.has_basic_training
        boss.post(f"/volunteers/{volunteer.id}/trainings/{p.trainings[0].id}/remove")
        assert profile(session, volunteer).trainings == []


def test_pending_volunteers_can_complete_their_profile(client, make_user, office, session):
    pending = make_user(Role.VOLUNTEER, office=office, status=UserStatus.PENDING)
    sign_in(client, pending.email)
    assert client.get("/profile").status_code == 200
    assert client.post("/profile/limits", data={"min_notice_hours": "12"}).status_code == 302
    assert session.scalar(select(func.count(VolunteerProfile.user_id))) == 1


def test_the_overview_names_languages_in_the_readers_language(client, session, volunteer):
    client.post("/profile/languages", data={"add-language": "Ukrainian", "add-level": "native"})
    assert "Ukrainian (Native speaker)" in client.get("/profile").get_data(as_text=True)
    client.post("/language", data={"locale": "de"})
    assert "Ukrainisch" in client.get("/profile").get_data(as_text=True)
