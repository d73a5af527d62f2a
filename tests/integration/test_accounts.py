"""Registration, vetting, invitations, password reset and the own account."""

import re

from sqlalchemy import func, select

from lotsen.audit.models import AuditEvent
from lotsen.auth.models import Role, User, UserStatus
from tests.conftest import PASSWORD, mail_body, sign_in

NEW_PASSWORD = "a much better passphrase"


def _link(message, path_prefix: str) -> str:
    match = re.search(r"http://lotsen\.test(/\S+)", mail_body(message))
    assert match and match.group(1).startswith(path_prefix), mail_body(message)
    return match.group(1)


def _register(client, office, **overrides):
    data = {"office_id": office.id, "name": "Dmytro Kovalenko", "email": "dmytro@example.org",
            "password": PASSWORD, "confirm": PASSWORD, "locale": "en", "privacy": "y"}
    data.update(overrides)
    return client.post("/register", data=data)


class TestSelfRegistration:
    def test_registration_is_confirmed_by_mail_then_stays_pending_until_vetted(self, app, client, session,
                                                                              make_office, make_user, mails):
        office = make_office()
        coordinator = make_user(Role.COORDINATOR, office=office)
        response = _register(client, office)
        assert response.status_code == 302
        user = session.scalar(select(User).where(User.email == "dmytro@example.org"))
        assert user.status is UserStatus.PENDING and user.office_id == office.id and user.email_verified_at is None
        [confirmation] = mails()
        assert confirmation["To"] == "dmytro@example.org"  # the office hears of it once the address is confirmed
        assert sign_in(client, "dmytro@example.org").status_code == 200  # not before the address is confirmed
        link = re.search(r"http://lotsen\.test(/register/confirm/\S+)", mail_body(confirmation)).group(1)
        assert client.get(link).status_code == 302
        session.expire_all()
        assert session.get(User, user.id).email_verified_at is not None
        assert [m["To"] for m in mails()][1:] == [coordinator.email]
        client.get(link)  # a second click confirms nothing more and tells nobody again
        assert len(mails()) == 2

        # Signed in while pending: only the waiting page, no pool pages.
        sign_in(client, "dmytro@example.org")
        assert "being reviewed" in client.get("/start").get_data(as_text=True)
        assert client.get("/account").status_code == 200

        boss = app.test_client()
        sign_in(boss, coordinator.email)
        assert boss.post(f"/users/{user.id}/vet").status_code == 302
        session.refresh(user)
        assert user.status is UserStatus.ACTIVE
        assert mails()[-1]["To"] == "dmytro@example.org"
        assert "My offers" in client.get("/start").get_data(as_text=True)

    def test_known_address_gets_the_same_confirmation_and_a_notice(self, client, session, make_user, mails):
        existing = make_user(Role.VOLUNTEER, email="dmytro@example.org")
        response = _register(client, existing.office, email="DMYTRO@example.org", name="Someone Else")
        assert response.status_code == 302 and response.headers["Location"].endswith("/register/done")
        assert session.scalar(select(func.count(User.id))) == 1
        assert mails()[-1]["Subject"] == "You already have a Lotsen account"

    def test_invalid_registration_keeps_input_and_saves_nothing(self, client, session, make_office, mails):
        office = make_office()
        response = _register(client, office, password="short", confirm="other")
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert 'value="Dmytro Kovalenko"' in page and 'value="dmytro@example.org"' in page
        assert "Use between 10 and 256 characters." in page
        assert "The two passwords differ." in page
        assert session.scalar(select(func.count(User.id))) == 0
        assert mails() == []

    def test_errors_speak_the_users_language(self, client, make_office):
        office = make_office()
        client.post("/language", data={"locale": "de"})
        page = _register(client, office, email="not-an-address").get_data(as_text=True)
        assert 'lang="de"' in page
        assert "Bitte prüfen Sie Ihre Eingaben" in page or "Eingabe" in page
        assert "Enter a valid email address." not in page

    def test_the_password_may_not_be_the_email(self, client, session, make_office):
        office = make_office()
        page = _register(client, office, email="long.address@example.org", password="long.address@example.org",
                         confirm="long.address@example.org").get_data(as_text=True)
        assert "Do not use your name, your email address or the word Lotsen in the password." in page
        assert session.scalar(select(func.count(User.id))) == 0


class TestInvitation:
    def test_invited_caseworker_sets_a_password_and_is_signed_in(self, app, client, session, make_office,
                                                                 make_agency, login_as, mails):
        office = make_office()
        agency = make_agency(offices=[office])
        login_as(Role.COORDINATOR, office=office)
        response = client.post("/users/invite", data={"role": "caseworker", "name": "Petra Schulz",
                                                      "email": "Petra@Jobcenter.example", "locale": "de",
                                                      "office_id": 0, "agency_id": agency.id})
        assert response.status_code == 302
        invitee = session.scalar(select(User).where(User.email == "petra@jobcenter.example"))
        assert invitee.status is UserStatus.INVITED and invitee.agency_id == agency.id
        message = mails()[-1]
        assert message["To"] == "petra@jobcenter.example"
        assert message["Content-Language"] == "de"
        assert "Einladung" in message["Subject"]
        link = _link(message, "/invitation/")

        browser = app.test_client()
        response = browser.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        assert response.status_code == 302
        assert browser.get("/start").status_code == 200
        session.refresh(invitee)
        assert invitee.status is UserStatus.ACTIVE
        # The link worked once.
        assert browser.get(link).status_code == 410

    def test_an_address_in_use_is_refused_regardless_of_case(self, client, session, make_office, make_user,
                                                              login_as):
        office = make_office()
        make_user(Role.VOLUNTEER, office=office, email="amina@example.org")
        login_as(Role.COORDINATOR, office=office)
        response = client.post("/users/invite", data={"role": "volunteer", "name": "Amina", "locale": "en",
                                                      "email": "AMINA@example.org", "office_id": office.id,
                                                      "agency_id": 0})
        page = response.get_data(as_text=True)
        assert "An account with this email address already exists." in page
        assert session.scalar(select(func.count(User.id))) == 2

    def test_a_coordinator_cannot_invite_an_admin(self, client, session, login_as):
        login_as(Role.COORDINATOR)
        response = client.post("/users/invite", data={"role": "admin", "name": "X", "locale": "en",
                                                      "email": "x@example.org", "office_id": 0, "agency_id": 0})
        assert response.status_code == 200
        assert session.scalar(select(User).where(User.email == "x@example.org")) is None

    def test_a_coordinator_cannot_invite_into_another_office(self, client, session, make_office, login_as):
        other = make_office()
        login_as(Role.COORDINATOR)
        client.post("/users/invite", data={"role": "volunteer", "name": "X", "locale": "en",
                                           "email": "x@example.org", "office_id": other.id, "agency_id": 0})
        assert session.scalar(select(User).where(User.email == "x@example.org")) is None

    def test_an_expired_invitation_explains_itself(self, app, client, session, make_user, login_as, mails):
        coordinator = login_as(Role.COORDINATOR)
        client.post("/users/invite", data={"role": "volunteer", "name": "Late", "locale": "en",
                                           "email": "late@example.org", "office_id": coordinator.office_id,
                                           "agency_id": 0})
        link = _link(mails()[-1], "/invitation/")
        app.config["INVITATION_MAX_AGE"] = -1
        response = app.test_client().get(link)
        assert response.status_code == 410
        assert "The link has expired." in response.get_data(as_text=True)


class TestPasswordReset:
    def test_reset_link_works_once_and_ends_other_sessions(self, app, client, session, make_user, mails):
        user = make_user(Role.VOLUNTEER, email="amina@example.org")
        other_device = app.test_client()
        sign_in(other_device, user.email)
        assert other_device.get("/start").status_code == 200

        response = client.post("/password/forgot", data={"email": "Amina@example.org"})
        assert response.status_code == 302
        link = _link(mails()[-1], "/password/reset/")
        assert client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302

        assert other_device.get("/start").status_code == 302
        assert sign_in(client, user.email, NEW_PASSWORD).status_code == 302
        used = app.test_client().get(link)
        assert used.status_code == 410 and "already been used" in used.get_data(as_text=True)

    def test_unknown_address_gets_the_same_answer_and_no_mail(self, client, mails):
        response = client.post("/password/forgot", data={"email": "nobody@example.org"}, follow_redirects=True)
        assert "If an account exists for this address" in response.get_data(as_text=True)
        assert mails() == []

    def test_expired_link_is_refused(self, app, client, make_user, mails):
        make_user(Role.VOLUNTEER, email="amina@example.org")
        client.post("/password/forgot", data={"email": "amina@example.org"})
        link = _link(mails()[-1], "/password/reset/")
        app.config["PASSWORD_RESET_MAX_AGE"] = -1
        response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        assert response.status_code == 410
        assert sign_in(app.test_client(), "amina@example.org", NEW_PASSWORD).status_code == 200

    def test_a_tampered_link_is_refused(self, client):
        response = client.get("/password/reset/not-a-real-token")
        assert response.status_code == 410
        assert "not valid" in response.get_data(as_text=True)

    def test_reset_links_use_the_configured_address_not_the_host_header(self, client, make_user, mails):
        make_user(Role.VOLUNTEER, email="amina@example.org")
        client.post("/password/forgot", data={"email": "amina@example.org"}, headers={"Host": "evil.example"})
        assert "evil.example" not in mail_body(mails()[-1])
        assert "http://lotsen.test/password/reset/" in mail_body(mails()[-1])


class TestOwnAccount:
    def test_changes_name_and_language(self, client, session, login_as):
        user = login_as(Role.CASEWORKER)
        response = client.post("/account", data={"account-name": "Petra Schulz", "account-locale": "de"})
        assert response.status_code == 302
        session.refresh(user)
        assert (user.name, user.locale) == ("Petra Schulz", "de")
        assert 'lang="de"' in client.get("/account").get_data(as_text=True)

    def test_password_change_needs_the_current_password(self, client, session, login_as):
        user = login_as(Role.CASEWORKER)
        old_hash = user.password_hash
        page = client.post("/account", data={"pw-current_password": "wrong one!", "pw-password": NEW_PASSWORD,
                                             "pw-confirm": NEW_PASSWORD}).get_data(as_text=True)
        assert "Your current password is not correct." in page
        session.refresh(user)
        assert user.password_hash == old_hash

    def test_password_change_keeps_this_session_and_is_audited(self, client, session, login_as):
        user = login_as(Role.CASEWORKER)
        response = client.post("/account", data={"pw-current_password": PASSWORD, "pw-password": NEW_PASSWORD,
                                                 "pw-confirm": NEW_PASSWORD})
        assert response.status_code == 302
        assert client.get("/start").status_code == 200
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.subject_id == user.id)).all()
        assert "auth.password_changed" in actions
