"""Importing a volunteer list: a dry run first, then all rows or none, and no duplicates on re-import."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from lotsen.audit.models import AuditEvent
from lotsen.auth.models import Role, User, UserStatus
from lotsen.geo.models import PlaceAlias
from lotsen.offices.models import Municipality
from lotsen.reminders.worker import tick
from lotsen.volunteers.importer import pack
from lotsen.volunteers.models import TrainingKind, VolunteerProfile

ROOT = Path(__file__).resolve().parents[2]
HEADER = ("email;name;phone;postcode;municipality;radius_km;languages;roles;modes;german_level;"
          "declaration_signed_on;certificate_checked_on;basic_training_on;locale")
AMAL = ('amal.haddad@example.org;Amal Haddad;0151 23456789;63128;Dietzenbach;15;"ar:native:apc; en:good";'
        "interpreter;on_site+phone;fluent;2024-03-12;2024-03-20;2024-04-06;de")
FARID = ('Farid.Ahmadi@Example.org;Farid Ahmadi;0160 9876543;63110;Jügesheim;25;"prs:native; fa:fluent";'
         "guide+interpreter;on_site+phone+video;good;15.01.2025;;;en")
OLENA = "olena.kovalenko@example.org;Olena Kovalenko;;63500;;;uk:native;;;;;;;"


def csv_file(*rows: str, header: str = HEADER) -> bytes:
    return "\r\n".join([header, *rows]).encode("utf-8")


@pytest.fixture
def office(make_office, session):
    """Kreis Offenbach with three of its municipalities and one local name."""
    office = make_office(name="Kreis Offenbach", municipalities=[
        Municipality(name=name) for name in ("Dietzenbach", "Rodgau", "Seligenstadt")])
    rodgau = next(m for m in office.municipalities if m.name == "Rodgau")
    session.add(PlaceAlias(office_id=office.id, alias="Jügesheim", municipality=rodgau))
    session.commit()
    return office


@pytest.fixture
def coordinator(login_as, office):
    return login_as(Role.COORDINATOR, office=office)


def upload(client, data: bytes, **fields):
    # Encoded in memory: the test client's own encoder leaves a temporary file open for large bodies.
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), "volunteers.csv"), **fields})
    return client.post("/volunteers/import", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def hidden(page: str, name: str) -> str | None:
    found = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page)
    return html.unescape(found[1]) if found else None


def confirm(client, dry_run, *, send_invitations: bool = False):
    """Press the confirm button the dry run offered."""
    page = dry_run.get_data(as_text=True)
    assert 'name="confirm"' in page, "the dry run offers no confirm button"
    data = {"confirm": "1", "content": hidden(page, "content"), "office_id": hidden(page, "office_id")}
    if send_invitations:
        data["send_invitations"] = "y"
    return finish(client, client.post("/volunteers/import", data=data))


def finish(client, response):
    """The confirmation hands the file to the worker: run a tick of it, then read the page with the outcome."""
    if response.status_code != 302 or "/volunteers/import/" not in response.headers.get("Location", ""):
        return response
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Waiting to start" in page and 'http-equiv="refresh"' in page  # the page waits for the worker
    tick(client.application)
    return client.get(response.headers["Location"])


def force_confirm(client, data: bytes, office, **extra):
    """Post a confirmation the page did not offer, as a forged or stale form would."""
    return finish(client, client.post("/volunteers/import", data={"confirm": "1", "content": pack(data),
                                                                  "office_id": office.id, **extra}))


def volunteers(session) -> list[User]:
    return list(session.scalars(select(User).where(User.role == Role.VOLUNTEER).order_by(User.email)))


def imports(session) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == "volunteer.imported")
                                .order_by(AuditEvent.id)))


def writes(session) -> int:
    return session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action != "auth.login"))


class TestDryRun:
    def test_shows_what_each_row_would_do_and_writes_nothing(self, client, session, coordinator, mails):
        response = upload(client, csv_file(AMAL, FARID, OLENA))
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert page.count(">New</span>") == 3
        assert "New: 3, to update: 0, unchanged: 0, with errors: 0." in page
        assert "Import 3 volunteers" in page
        assert volunteers(session) == [] and writes(session) == 0 and mails() == []

    def test_every_bad_row_shows_its_error_and_confirm_writes_nothing(self, client, session, coordinator,
                                                                       make_user, make_office):
        make_user(Role.VOLUNTEER, office=make_office(), email="taken@example.org")
        data = csv_file(
            AMAL,
            "unknown.place@example.org;Una Known;;99999;;;ar:native;;;;;;;",
            "bad.level@example.org;Bad Level;;63128;;;ar:expert;;;;;;;",
            "bad.date@example.org;Bad Date;;63128;;;;;;;31.02.2024;;;",
            "taken@example.org;Taken Elsewhere;;;;;;;;;;;;",
            "amal.haddad@example.org;Amal Again;;;;;;;;;;;;",
        )
        page = upload(client, data).get_data(as_text=True)
        assert "5 rows have errors" in page
        assert "postcode: we do not know the postcode 99999." in page
        assert "languages: expert is not a level; use native, fluent, good or basic." in page
        assert "declaration_signed_on: 31.02.2024 is not a date; write YYYY-MM-DD or DD.MM.YYYY." in page
        assert "email: this address belongs to an account that is not a volunteer of this office." in page
        assert "email: this address is already in line 2." in page
        assert 'name="confirm"' not in page

        response = force_confirm(client, data, coordinator.office)
        assert response.status_code == 200
        assert "Nothing was imported" in response.get_data(as_text=True)
        assert [u.email for u in volunteers(session)] == ["taken@example.org"]
        assert writes(session) == 0

    def test_confirm_checks_again_and_refuses_what_changed_since_the_dry_run(self, client, session, coordinator,
                                                                             make_user, make_office):
        dry_run = upload(client, csv_file(AMAL, OLENA))
        make_user(Role.COORDINATOR, office=make_office(), email="olena.kovalenko@example.org")
        response = confirm(client, dry_run)
        assert response.status_code == 200
        assert "not a volunteer of this office" in response.get_data(as_text=True)
        assert volunteers(session) == [] and writes(session) == 0

    def test_a_file_that_is_not_utf8_is_refused_with_a_form_error(self, client, coordinator):
        data = csv_file("juergen@example.org;Jürgen Weiß;;;;;;;;;;;;").decode().encode("cp1252")
        page = upload(client, data).get_data(as_text=True)
        assert "The file is not saved as UTF-8." in page
        assert 'class="error-summary"' in page

    def test_a_file_over_the_size_limit_is_refused(self, client, session, coordinator):
        data = csv_file(AMAL) + b"\r\n" + b"x" * (2 * 1024 * 1024)
        page = upload(client, data).get_data(as_text=True)
        assert "The file is larger than 2 MB." in page
        assert writes(session) == 0

    def test_the_example_file_checks_cleanly(self, client, coordinator):
        data = (ROOT / "static" / "examples" / "volunteers-import.csv").read_bytes()
        page = upload(client, data).get_data(as_text=True)
        assert "with errors: 0." in page
        assert 'href="/static/examples/volunteers-import.csv"' in page


class TestConfirm:
    def test_creates_volunteers_with_languages_place_and_documents(self, client, session, coordinator):
        response = confirm(client, upload(client, csv_file(AMAL, FARID, OLENA)))
        assert response.status_code == 200 and "Import done: 3 created" in response.get_data(as_text=True)
        amal, farid, olena = volunteers(session)
        assert (amal.name, amal.role, amal.status, amal.office_id, amal.locale) == (
            "Amal Haddad", Role.VOLUNTEER, UserStatus.INVITED, coordinator.office_id, "de")
        assert farid.email == "farid.ahmadi@example.org" and farid.locale == "en"
        profile = session.get(VolunteerProfile, amal.id)
        assert profile.vetted_at is not None
        assert [(e.language, e.level.value, e.varieties) for e in profile.languages] == [
            ("ar", "native", ["apc"]), ("en", "good", [])]
        assert (profile.postcode, profile.municipality.name, profile.travel_radius_km) == ("63128", "Dietzenbach", 15)
        assert profile.latitude is not None
        assert (profile.is_guide, profile.is_interpreter, profile.on_site, profile.by_phone, profile.by_video) == (
            False, True, True, True, False)
        assert profile.german_level.value == "fluent" and profile.phone == "0151 23456789"
        assert (profile.declaration_signed_on, profile.certificate_checked_on) == (
            dt.date(2024, 3, 12), dt.date(2024, 3, 20))
        assert [(t.kind, t.completed_on) for t in profile.trainings] == [(TrainingKind.BASIC, dt.date(2024, 4, 6))]
        farid_profile = session.get(VolunteerProfile, farid.id)
        assert farid_profile.municipality.name == "Rodgau"  # by its local name Jügesheim
        assert farid_profile.declaration_signed_on == dt.date(2025, 1, 15)
        olena_profile = session.get(VolunteerProfile, olena.id)
        assert (olena_profile.travel_radius_km, olena_profile.is_interpreter, olena_profile.on_site) == (10, True, True)

    def test_records_the_import_and_each_profile_change(self, client, session, coordinator):
        confirm(client, upload(client, csv_file(AMAL, OLENA)))
        [event] = imports(session)
        assert event.details == {"created": 2, "updated": 0, "unchanged": 0, "invitations_sent": 0}
        assert (event.actor_id, event.office_id) == (coordinator.id, coordinator.office_id)
        amal = volunteers(session)[0]
        sections = {e.details["section"] for e in session.scalars(select(AuditEvent).where(
            AuditEvent.action == "volunteer.profile_changed", AuditEvent.subject_id == amal.id))}
        assert sections == {"basics", "place", "languages", "documents", "trainings"}

    def test_reimporting_the_same_file_creates_no_duplicates(self, client, session, coordinator):
        data = csv_file(AMAL, FARID, OLENA)
        confirm(client, upload(client, data))
        page = upload(client, data.replace(b"amal.haddad@", b"AMAL.Haddad@")).get_data(as_text=True)
        assert "New: 0, to update: 0, unchanged: 3, with errors: 0." in page
        assert "nothing to import" in page
        assert "Import done" in force_confirm(client, data, coordinator.office).get_data(as_text=True)
        assert len(volunteers(session)) == 3
        assert imports(session)[-1].details["unchanged"] == 3

    def test_the_directorys_csv_export_reimports_as_unchanged(self, client, coordinator):
        confirm(client, upload(client, csv_file(AMAL, FARID, OLENA)))
        exported = client.get("/volunteers/export.csv").get_data()
        page = upload(client, exported).get_data(as_text=True)
        assert "New: 0, to update: 0, unchanged: 3, with errors: 0." in page

    def test_a_changed_row_updates_only_what_the_file_gives(self, client, session, coordinator):
        confirm(client, upload(client, csv_file(AMAL)))
        changed = 'amal.haddad@example.org;Amal H.;0170 555;;;;"ar:fluent:apc+arb; uk:basic";;;;;;;'
        dry_run = upload(client, csv_file(changed))
        page = dry_run.get_data(as_text=True)
        assert ">Update</span>" in page and "phone, languages" in page
        assert "Import done" in confirm(client, dry_run).get_data(as_text=True)
        amal = volunteers(session)[0]
        profile = session.get(VolunteerProfile, amal.id)
        assert profile.phone == "0170 555"
        assert sorted((e.language, e.level.value, e.varieties) for e in profile.languages) == [
            ("ar", "fluent", ["apc", "arb"]), ("uk", "basic", [])]
        # Empty cells keep what is stored; the name belongs to the volunteer's own account.
        assert (profile.postcode, profile.municipality.name, profile.declaration_signed_on) == (
            "63128", "Dietzenbach", dt.date(2024, 3, 12))
        assert amal.name == "Amal Haddad"
        assert imports(session)[-1].details == {"created": 0, "updated": 1, "unchanged": 0, "invitations_sent": 0}

    def test_german_headers_and_commas_work(self, client, session, coordinator):
        header = ("E-Mail,Name,Telefon,PLZ,Ort,Umkreis_km,Sprachen,Rollen,Einsatzarten,Deutschniveau,"
                  "Verschwiegenheitserklärung,Führungszeugnis,Basisschulung,Sprache_UI")
        row = ('ali@example.org,Ali Rahimi,,63110,Rodgau,30,"Dari:native, Ukrainisch:good",guide,phone,good,'
               "01.02.2024,,,en")
        dry_run = upload(client, b"\xef\xbb\xbf" + csv_file(row, header=header))
        assert "Import done" in confirm(client, dry_run).get_data(as_text=True)
        [ali] = volunteers(session)
        profile = session.get(VolunteerProfile, ali.id)
        assert sorted(e.language for e in profile.languages) == ["prs", "uk"]
        assert (profile.municipality.name, profile.travel_radius_km, profile.is_guide) == ("Rodgau", 30, True)
        assert profile.declaration_signed_on == dt.date(2024, 2, 1) and ali.locale == "en"

    def test_a_formula_looking_cell_is_stored_as_text(self, client, session, coordinator):
        row = '=HYPERLINK("http://evil.example")@example.org;=1+2;+49 170 1234567;;;;;;;;;;;'
        page = upload(client, csv_file(row)).get_data(as_text=True)
        assert "is not a valid email address" in page
        row = "formula@example.org;=HYPERLINK(\"http://evil.example\",\"x\");'@SUM(A1);;;;;;;;;;;"
        confirm(client, upload(client, csv_file(row)))
        [user] = volunteers(session)
        assert user.name == '=HYPERLINK("http://evil.example","x")'
        assert session.get(VolunteerProfile, user.id).phone == "@SUM(A1)"  # our export's protective quote is undone


class TestInvitations:
    def test_invitations_leave_only_after_confirm_and_only_to_new_volunteers(self, client, coordinator, mails,
                                                                            make_user):
        make_user(Role.VOLUNTEER, office=coordinator.office, email="olena.kovalenko@example.org")
        dry_run = upload(client, csv_file(AMAL, FARID, OLENA))
        assert mails() == []
        confirm(client, dry_run, send_invitations=True)
        assert sorted(m["To"] for m in mails()) == ["amal.haddad@example.org", "farid.ahmadi@example.org"]

    def test_no_invitations_unless_asked(self, client, coordinator, mails):
        confirm(client, upload(client, csv_file(AMAL)))
        assert mails() == []


class TestWhoMayImport:
    def test_coordinator_imports_only_into_the_own_office(self, client, session, coordinator, make_office):
        elsewhere = make_office()
        dry_run = upload(client, csv_file(AMAL), office_id=str(elsewhere.id))
        assert hidden(dry_run.get_data(as_text=True), "office_id") == str(coordinator.office_id)
        force_confirm(client, csv_file(OLENA), elsewhere)
        assert {u.office_id for u in volunteers(session)} == {coordinator.office_id}

    def test_admin_imports_into_the_office_chosen(self, client, session, login_as, office):
        login_as(Role.ADMIN)
        dry_run = upload(client, csv_file(AMAL), office_id=str(office.id))
        assert "Import done" in confirm(client, dry_run).get_data(as_text=True)
        assert [u.office_id for u in volunteers(session)] == [office.id]

    def test_another_offices_volunteer_is_left_alone(self, client, session, coordinator, make_user, make_office):
        make_user(Role.VOLUNTEER, office=make_office(), email="amal.haddad@example.org", name="Other Amal")
        page = upload(client, csv_file(AMAL)).get_data(as_text=True)
        assert "not a volunteer of this office" in page
        assert session.get(VolunteerProfile, volunteers(session)[0].id).phone == ""

    @pytest.mark.parametrize("role", [Role.CASEWORKER, Role.VOLUNTEER])
    def test_caseworkers_and_volunteers_are_refused(self, client, session, login_as, role):
        login_as(role)
        assert client.get("/volunteers/import").status_code == 403
        assert upload(client, csv_file(AMAL)).status_code == 403
        assert session.scalar(select(func.count(User.id)).where(User.email == "amal.haddad@example.org")) == 0
