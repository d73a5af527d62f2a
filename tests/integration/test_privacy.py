"""A volunteer's data: the full export, the deletion request, and the office carrying it out."""

import datetime as dt
import json
from types import SimpleNamespace

import pytest
from flask import render_template
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from lotsen.audit.models import AuditEvent
from lotsen.audit.services import record
from lotsen.auth.models import Role, User, UserStatus
from lotsen.languages import LanguageLevel
from lotsen.offices.models import Municipality
from lotsen.volunteers import privacy
from lotsen.volunteers.models import (Absence, AbsenceReason, AvailabilityWindow, ExtraDate, Gender, Training,
                                      TrainingKind, VolunteerLanguage, VolunteerProfile)
from tests.conftest import PASSWORD, PASSWORD_HASH, sign_in

NOTES = "Bevorzugt Termine vormittags; spricht auch etwas Französisch."


@pytest.fixture
def pool(session, make_office, make_user):
    """One office with a fully described volunteer, a second volunteer, coordinators; and a second office."""
    office = make_office(name="Kreis A")
    town = Municipality(office=office, name="Dreieich")
    session.add(town)
    session.commit()
    coordinator = make_user(Role.COORDINATOR, office=office, name="Clara Koordinatorin", email="clara@example.org")
    colleague = make_user(Role.COORDINATOR, office=office, name="Carl Kollege", email="carl@example.org")
    retired = make_user(Role.COORDINATOR, office=office, status=UserStatus.DEACTIVATED, email="retired@example.org")
    volunteer = make_user(Role.VOLUNTEER, office=office, name="Amira Haddad", email="amira@example.org", profile={
        "phone": "0170 1234567", "postcode": "63303", "latitude": 50.01, "longitude": 8.69, "gender": Gender.FEMALE,
        "municipality": town, "is_guide": True, "is_interpreter": True, "by_phone": True,
        "coordinator_notes": NOTES, "declaration_signed_on": dt.date(2024, 1, 10),
        "certificate_checked_on": dt.date(2024, 1, 12), "vetted_at": dt.datetime(2024, 1, 9, tzinfo=dt.timezone.utc),
    })
    profile = session.get(VolunteerProfile, volunteer.id)
    profile.languages.append(VolunteerLanguage(language="ar", level=LanguageLevel.NATIVE, varieties=["apc"]))
    profile.languages.append(VolunteerLanguage(language="fr", level=LanguageLevel.GOOD, varieties=[]))
    profile.windows.append(AvailabilityWindow(weekday=0, starts=dt.time(9), ends=dt.time(12)))
    profile.extra_dates.append(ExtraDate(day=dt.date(2030, 5, 2), starts=dt.time(14), ends=dt.time(16)))
    profile.absences.append(Absence(starts_on=dt.date(2030, 7, 1), ends_on=dt.date(2030, 7, 14),
                                    reason=AbsenceReason.VACATION))
    profile.trainings.append(Training(kind=TrainingKind.BASIC, title="Grundschulung für Lotsen",
                                      completed_on=dt.date(2023, 11, 4)))
    record(session, "volunteer.profile_changed", actor=coordinator, subject=volunteer, office_id=office.id,
           details={"changes": {"phone": {"from": "", "to": "0170 1234567"}}}, ip_address="10.0.0.7")
    record(session, "volunteer.profile_changed", actor=volunteer, subject=volunteer, office_id=office.id,
           details={"changes": {"postcode": {"from": "", "to": "63303"}}}, ip_address="192.0.2.44")
    other = make_user(Role.VOLUNTEER, office=office, name="Olga Andere", email="olga@example.org",
                      profile={"phone": "0151 999888"})
    record(session, "volunteer.profile_changed", actor=other, subject=other, office_id=office.id,
           details={"changes": {"phone": {"from": "", "to": "0151 999888"}}}, ip_address="198.51.100.9")
    session.commit()
    elsewhere = make_office(name="Stadt B")
    return SimpleNamespace(office=office, town=town, coordinator=coordinator, colleague=colleague, retired=retired,
                           volunteer=volunteer, other=other, elsewhere=elsewhere,
                           outsider=make_user(Role.COORDINATOR, office=elsewhere, email="berta@example.org"))


def _download(client) -> tuple[dict, str]:
    response = client.get("/profile/data.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    text = response.get_data(as_text=True)
    return json.loads(text), text


def _anonymize(app, pool, **data):
    boss = app.test_client()
    sign_in(boss, pool.coordinator.email)
    return boss.post(f"/volunteers/{pool.volunteer.id}/anonymize", data=data)


def _count(session, model, **where) -> int:
    query = select(func.count()).select_from(model)
    for key, value in where.items():
        query = query.where(getattr(model, key) == value)
    return session.scalar(query)


class TestExport:
    def test_holds_the_profile_and_everything_attached_to_it(self, client, login_as, pool):
        login_as(pool.volunteer)
        data, text = _download(client)
        assert data["account"]["email"] == "amira@example.org" and data["account"]["name"] == "Amira Haddad"
        assert data["account"]["office"] == "Kreis A"
        assert data["profile"]["phone"] == "0170 1234567" and data["profile"]["postcode"] == "63303"
        assert data["profile"]["gender"] == "female" and data["profile"]["municipality"] == "Dreieich"
        assert data["profile"]["coordinator_notes"] == NOTES
        assert data["documents"] == {"declaration_signed_on": "2024-01-10", "certificate_checked_on": "2024-01-12"}
        assert [(e["language"], e["level"], e["varieties"]) for e in data["languages"]] == [
            ("ar", "native", ["apc"]), ("fr", "good", [])]
        assert data["availability_windows"] == [
            {"weekday": 0, "starts": "09:00:00", "ends": "12:00:00", "valid_from": None, "valid_until": None}]
        assert data["extra_dates"] == [{"day": "2030-05-02", "starts": "14:00:00", "ends": "16:00:00"}]
        assert data["absences"] == [{"starts_on": "2030-07-01", "ends_on": "2030-07-14", "reason": "vacation"}]
        assert data["trainings"] == [{"kind": "basic", "title": "Grundschulung für Lotsen",
                                      "completed_on": "2023-11-04"}]
        assert "Grundschulung für Lotsen" in text  # readable UTF-8, not \u escapes

    def test_holds_the_audit_events_about_and_by_the_user_in_utc(self, client, login_as, pool):
        login_as(pool.volunteer)
        events = _download(client)[0]["audit_events"]
        actions = [e["action"] for e in events]
        assert actions.count("volunteer.profile_changed") == 2
        assert "auth.login" in actions and "volunteer.data_exported" in actions
        by_office = next(e for e in events if e["by"] == "coordinator")
        assert by_office["details"] == {"changes": {"phone": {"from": "", "to": "0170 1234567"}}}
        assert by_office["ip_address"] == ""  # the coordinator's address is not the volunteer's data
        own = next(e for e in events if e["action"] == "volunteer.profile_changed" and e["by"] == "you")
        assert own["ip_address"] == "192.0.2.44"
        for event in events:
            occurred = dt.datetime.fromisoformat(event["occurred_at"])
            assert occurred.utcoffset() == dt.timedelta(0)

    def test_never_holds_the_password_hash_or_other_peoples_data(self, client, login_as, pool):
        login_as(pool.volunteer)
        data, text = _download(client)
        assert "password_hash" not in data["account"]
        assert PASSWORD_HASH not in text
        for foreign in ("Olga Andere", "olga@example.org", "0151 999888", "198.51.100.9", "10.0.0.7",
                        "Clara Koordinatorin", "clara@example.org"):
            assert foreign not in text

    def test_another_volunteer_gets_only_their_own(self, client, login_as, pool):
        login_as(pool.other)
        data, text = _download(client)
        assert data["account"]["email"] == "olga@example.org"
        assert "Amira" not in text and "0170 1234567" not in text and NOTES not in text

    @pytest.mark.parametrize("role", [Role.CASEWORKER, Role.COORDINATOR, Role.ADMIN])
    def test_nobody_but_the_volunteer_downloads_it(self, client, login_as, role):
        login_as(role)
        assert client.get("/profile/data.json").status_code == 403

    def test_a_pending_volunteer_may_download_and_the_download_is_audited(self, client, session, login_as):
        volunteer = login_as(Role.VOLUNTEER, status=UserStatus.PENDING)
        assert _download(client)[0]["account"]["status"] == "pending"
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "volunteer.data_exported"))
        assert event.actor_id == volunteer.id and event.subject_id == volunteer.id


class TestDeletionRequest:
    def test_the_page_explains_what_is_removed_and_what_stays(self, client, login_as, pool):
        login_as(pool.volunteer)
        page = client.get("/profile/deletion").get_data(as_text=True)
        assert "What is removed" in page and "What stays" in page and "I want my data deleted" in page

    def test_requesting_mails_the_offices_active_coordinators_once(self, client, session, login_as, pool, mails):
        login_as(pool.volunteer)
        response = client.post("/profile/deletion", data={"confirm": "y"})
        assert response.status_code == 302 and response.headers["Location"].endswith("/profile")
        requested_at = session.get(VolunteerProfile, pool.volunteer.id).deletion_requested_at
        assert requested_at is not None
        assert sorted(m["To"] for m in mails()) == ["carl@example.org", "clara@example.org"]
        assert all("Amira Haddad" in m["Subject"] for m in mails())

        again = client.post("/profile/deletion", data={"confirm": "y"})
        assert again.status_code == 200 and "You asked for your data to be deleted" in again.get_data(as_text=True)
        assert len(mails()) == 2
        assert session.get(VolunteerProfile, pool.volunteer.id).deletion_requested_at == requested_at
        assert _count(session, AuditEvent, action="volunteer.deletion_requested") == 1

    def test_without_the_tick_nothing_is_requested(self, client, session, login_as, pool, mails):
        login_as(pool.volunteer)
        response = client.post("/profile/deletion", data={})
        assert response.status_code == 200 and "Please tick this box to go on." in response.get_data(as_text=True)
        assert session.get(VolunteerProfile, pool.volunteer.id).deletion_requested_at is None
        assert mails() == []

    def test_only_volunteers_request_deletion(self, client, login_as):
        login_as(Role.COORDINATOR)
        assert client.post("/profile/deletion", data={"confirm": "y"}).status_code == 403


class TestAnonymize:
    def test_removes_personal_data_and_keeps_anonymous_statistics(self, app, session, pool, mails):
        user_id = pool.volunteer.id
        response = _anonymize(app, pool, confirm="y")
        assert response.status_code == 302 and response.headers["Location"].endswith("/volunteers/")

        user = session.get(User, user_id)
        assert "Amira" not in user.name and user.email == f"deleted-{user_id}@invalid"
        assert user.password_hash is None and user.status is UserStatus.DEACTIVATED
        profile = session.get(VolunteerProfile, user_id)
        assert (profile.phone, profile.postcode, profile.latitude, profile.longitude, profile.gender) == (
            "", "", None, None, None)
        assert profile.coordinator_notes == ""
        assert profile.declaration_signed_on is None and profile.certificate_checked_on is None
        for model in (AvailabilityWindow, ExtraDate, Absence, Training):
            assert _count(session, model, volunteer_id=user_id) == 0
        assert profile.anonymized_at is not None

        # What the office's statistics need stays.
        assert [(e.language, e.level, e.varieties) for e in profile.languages] == [
            ("ar", LanguageLevel.NATIVE, []), ("fr", LanguageLevel.GOOD, [])]
        assert profile.municipality_id == pool.town.id and user.office_id == pool.office.id
        assert (profile.is_guide, profile.is_interpreter, profile.on_site, profile.by_phone) == (True, True, True, True)
        assert user.created_at is not None

        # The confirmation went to the real address, before it was replaced.
        assert [m["To"] for m in mails()] == ["amira@example.org"]

    def test_audit_events_about_the_person_lose_their_details(self, app, session, pool):
        user_id = pool.volunteer.id
        _anonymize(app, pool, confirm="y")
        about = session.scalars(select(AuditEvent).where(AuditEvent.subject_type == "User",
                                                         AuditEvent.subject_id == user_id,
                                                         AuditEvent.action != "volunteer.anonymized")).all()
        assert len(about) == 2 and all(event.details == {} for event in about)
        by_them = session.scalars(select(AuditEvent).where(AuditEvent.actor_id == user_id)).all()
        assert by_them and all(event.ip_address == "" for event in by_them)
        done = session.scalar(select(AuditEvent).where(AuditEvent.action == "volunteer.anonymized"))
        assert done.actor_id == pool.coordinator.id and "Amira" not in json.dumps(done.details)
        # Other people's events are untouched.
        olga = session.scalar(select(AuditEvent).where(AuditEvent.actor_id == pool.other.id))
        assert olga.details["changes"]["phone"]["to"] == "0151 999888" and olga.ip_address == "198.51.100.9"

    def test_the_person_can_no_longer_sign_in(self, app, client, pool):
        sign_in(client, "amira@example.org")
        assert client.get("/account").status_code == 200
        _anonymize(app, pool, confirm="y")
        assert "/login" in client.get("/account").headers.get("Location", "")  # the open session has ended
        assert sign_in(app.test_client(), "amira@example.org").status_code != 302

    def test_the_address_is_free_for_a_new_registration(self, app, client, session, pool, mails):
        _anonymize(app, pool, confirm="y")
        response = client.post("/register", data={
            "office_id": pool.office.id, "name": "Amira Haddad", "email": "amira@example.org", "password": PASSWORD,
            "confirm": PASSWORD, "locale": "en", "privacy": "y"})
        assert response.status_code == 302
        fresh = session.scalar(select(User).where(User.email == "amira@example.org"))
        assert fresh is not None and fresh.id != pool.volunteer.id and fresh.status is UserStatus.PENDING

    def test_the_profile_is_gone_from_the_directory_and_the_csv(self, app, pool):
        boss = app.test_client()
        sign_in(boss, pool.coordinator.email)
        assert "Amira Haddad" in boss.get("/volunteers/").get_data(as_text=True)
        assert boss.post(f"/volunteers/{pool.volunteer.id}/anonymize", data={"confirm": "y"}).status_code == 302
        directory = boss.get("/volunteers/").get_data(as_text=True)
        csv = boss.get("/volunteers/export.csv").get_data(as_text=True)
        assert "Olga Andere" in directory and "Olga Andere" in csv
        for page in (directory, csv):
            assert "Amira" not in page and f"deleted-{pool.volunteer.id}" not in page
        assert boss.get(f"/volunteers/{pool.volunteer.id}").status_code == 404
        assert boss.post(f"/volunteers/{pool.volunteer.id}/anonymize", data={"confirm": "y"}).status_code == 404

    def test_without_the_confirmation_nothing_happens(self, app, session, pool, mails):
        response = _anonymize(app, pool)
        assert response.status_code == 302 and response.headers["Location"].endswith(f"/volunteers/{pool.volunteer.id}")
        user = session.get(User, pool.volunteer.id)
        assert user.name == "Amira Haddad" and user.status is UserStatus.ACTIVE
        assert session.get(VolunteerProfile, user.id).anonymized_at is None
        assert mails() == []

    def test_a_coordinator_of_another_office_gets_404_and_nothing_changes(self, app, session, pool, mails):
        stranger = app.test_client()
        sign_in(stranger, pool.outsider.email)
        assert stranger.post(f"/volunteers/{pool.volunteer.id}/anonymize", data={"confirm": "y"}).status_code == 404
        user = session.get(User, pool.volunteer.id)
        assert user.email == "amira@example.org" and user.password_hash == PASSWORD_HASH
        assert session.get(VolunteerProfile, user.id).anonymized_at is None
        assert mails() == []

    def test_only_volunteers_are_anonymized(self, app, session, pool, make_user):
        admin = make_user(Role.ADMIN)
        boss = app.test_client()
        sign_in(boss, admin.email)
        assert boss.post(f"/volunteers/{pool.coordinator.id}/anonymize", data={"confirm": "y"}).status_code == 404
        with app.test_request_context(), pytest.raises(privacy.PrivacyError):
            privacy.anonymize(session, admin, pool.coordinator)
        session.rollback()
        assert session.get(User, pool.coordinator.id).name == "Clara Koordinatorin"

    def test_an_admin_may_carry_it_out(self, app, session, pool, make_user):
        boss = app.test_client()
        sign_in(boss, make_user(Role.ADMIN).email)
        assert boss.post(f"/volunteers/{pool.volunteer.id}/anonymize", data={"confirm": "y"}).status_code == 302
        assert session.get(VolunteerProfile, pool.volunteer.id).anonymized_at is not None

    def test_the_partial_offers_a_confirmed_form(self, app, session, pool):
        # show.html includes the partial; rendering it alone keeps this test independent of that page.
        with app.test_request_context():
            html = render_template("volunteers/_anonymize.html", blank_form=FlaskForm(),
                                   profile=session.get(VolunteerProfile, pool.volunteer.id))
        assert f'action="/volunteers/{pool.volunteer.id}/anonymize"' in html
        assert 'name="confirm"' in html and "required" in html and "Amira Haddad" in html

