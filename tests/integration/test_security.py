"""Accounts and sessions: two-factor sign-in, server-side sessions, passwords, throttling, redirects, the log."""

import datetime as dt
import importlib.util
import logging
import os
import re
import subprocess
import sys
import uuid
from urllib.parse import unquote
from pathlib import Path
from types import SimpleNamespace

import pyotp
import pytest
from sqlalchemy import func, select

from lotsen.audit.models import AuditEvent
from lotsen.auth.models import Role, User
from lotsen.auth.sessions import UserSession
from tests.conftest import PASSWORD, mail_body, sign_in

ROOT = Path(__file__).resolve().parents[2]
WORKER = """
import sys
from lotsen import create_app
app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False})
client = app.test_client()
email, password, times = sys.argv[1], sys.argv[2], int(sys.argv[3])
print(" ".join(str(client.post("/login", data={"email": email, "password": password}).status_code)
               for _ in range(times)))
"""


def page(response) -> str:
    return response.get_data(as_text=True)


def security_events(caplog) -> list[str]:
    return [r.security_event for r in caplog.records if r.name == "lotsen.security"]


class TestTwoFactor:
    @pytest.fixture
    def app_overrides(self):
        return {"TWO_FACTOR_REQUIRED": ["coordinator", "admin"]}

    def _set_up(self, client) -> tuple[str, list[str]]:
        """Set up the second factor on the setup page as a person would; returns the secret and recovery codes."""
        client.post("/account/two-factor", data={"action": "start"})
        setup = page(client.get("/account/two-factor"))
        secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', setup).group(1)
        assert 'src="data:image/svg+xml' in setup  # the QR code, drawn on the server
        shown = page(client.post("/account/two-factor", data={"action": "confirm",
                                                              "setup-code": pyotp.TOTP(secret).now()}))
        codes = re.findall(r"<code>([a-z2-9]{4}-[a-z2-9]{4})</code>", shown)
        assert len(codes) == 10
        return secret, codes

    def test_a_coordinator_must_set_it_up_and_then_signs_in_with_a_code(self, app, client, session, make_user,
                                                                         clock, caplog):
        caplog.set_level(logging.INFO, logger="lotsen.security")
        coordinator = make_user(Role.COORDINATOR)
        sign_in(client, coordinator.email)
        assert client.get("/coordination/").headers["Location"].endswith("/account/two-factor")
        secret, codes = self._set_up(client)
        stored = session.get(User, coordinator.id)
        session.refresh(stored)
        assert stored.has_two_factor and codes[0] not in str(stored.recovery_codes)  # only hashes are kept
        assert client.get("/coordination/").status_code == 200
        client.post("/logout")

        clock.set(dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=2), tick=True)
        step = sign_in(client, coordinator.email)
        assert step.headers["Location"].endswith("/login/code")
        assert client.get("/coordination/").status_code == 302  # the password alone opens nothing
        wrong = client.post("/login/code", data={"code": "000000"})
        assert "This code is not correct" in page(wrong)
        code = pyotp.TOTP(secret).now()
        assert client.post("/login/code", data={"code": code}).status_code == 302
        assert client.get("/coordination/").status_code == 200
        client.post("/logout")
        sign_in(client, coordinator.email)
        assert "This code is not correct" in page(client.post("/login/code", data={"code": code}))  # no replay
        assert client.post("/login/code", data={"code": codes[3].upper()}).status_code == 302  # a recovery code
        client.post("/logout")
        sign_in(client, coordinator.email)
        assert "not correct" in page(client.post("/login/code", data={"code": codes[3]}))  # once only
        assert {"two_factor.enabled", "two_factor.failed", "two_factor.succeeded"} <= set(security_events(caplog))

    def test_an_admin_resets_a_lost_second_factor_and_it_is_audited(self, app, client, session, make_user):
        admin, coordinator = make_user(Role.ADMIN, totp_secret=pyotp.random_base32()), make_user(Role.COORDINATOR)
        secret = pyotp.random_base32()
        coordinator.totp_secret, coordinator.totp_enabled_at = secret, dt.datetime.now(dt.timezone.utc)
        admin.totp_enabled_at = dt.datetime.now(dt.timezone.utc)
        session.commit()
        victim = app.test_client()
        sign_in(victim, coordinator.email)
        victim.post("/login/code", data={"code": pyotp.TOTP(secret).now()})
        assert victim.get("/coordination/").status_code == 200

        sign_in(client, admin.email)
        client.post("/login/code", data={"code": pyotp.TOTP(admin.totp_secret).now()})
        client.post(f"/users/{coordinator.id}/reset-two-factor")
        session.expire_all()
        assert not session.get(User, coordinator.id).has_two_factor
        assert session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "auth.two_factor_reset", AuditEvent.actor_id == admin.id)) == 1
        assert victim.get("/coordination/").status_code == 302  # their sessions ended with it
        sign_in(victim, coordinator.email)
        assert victim.get("/coordination/").headers["Location"].endswith("/account/two-factor")

    def test_volunteers_may_use_it_and_turn_it_off_and_demo_accounts_are_spared(self, client, session, make_user):
        volunteer = make_user(Role.VOLUNTEER)
        sign_in(client, volunteer.email)
        assert client.get("/start").status_code == 200  # not required of volunteers
        secret, _codes = self._set_up(client)
        off = client.post("/account/two-factor", data={"action": "off", "off-current_password": PASSWORD,
                                                       "off-code": pyotp.TOTP(secret).at(
                                                           dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=30))})
        assert off.status_code == 302
        session.expire_all()
        assert not session.get(User, volunteer.id).has_two_factor
        demo = make_user(Role.COORDINATOR, is_demo=True)
        other = client.application.test_client()
        sign_in(other, demo.email)
        assert other.get("/coordination/").status_code == 200


class TestServerSideSessions:
    def test_a_cookie_replayed_after_signing_out_opens_nothing(self, app, client, make_user):
        user = make_user(Role.CASEWORKER)
        sign_in(client, user.email)
        assert client.get("/start").status_code == 200
        captured = client.get_cookie("lotsen").value
        client.post("/logout")
        thief = app.test_client()
        thief.set_cookie("lotsen", captured)
        assert thief.get("/start").status_code == 302

    def test_sessions_end_after_inactivity_and_at_the_latest_after_the_lifetime(self, app, client, make_user, clock):
        start = clock.set(dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.timezone.utc))
        user = make_user(Role.CASEWORKER)
        sign_in(client, user.email)
        clock.advance(minutes=59)
        assert client.get("/start").status_code == 200  # used: the hour starts again
        clock.advance(minutes=59)
        assert client.get("/start").status_code == 200
        clock.advance(minutes=61)
        assert client.get("/start").status_code == 302  # an hour without use

        clock.set(start)
        sign_in(client, user.email)
        for _hour in range(11):
            clock.advance(minutes=55)
            assert client.get("/start").status_code == 200
        clock.advance(hours=1, minutes=30)  # over twelve hours since signing in, though used all along
        assert client.get("/start").status_code == 302

    def test_staying_signed_in_lasts_the_set_days_and_no_longer(self, app, client, make_user, clock):
        clock.set(dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.timezone.utc))
        user = make_user(Role.VOLUNTEER)
        sign_in(client, user.email, remember=True)
        clock.advance(days=13)
        assert client.get("/start").status_code == 200
        clock.advance(days=1, minutes=1)
        assert client.get("/start").status_code == 302

    def test_a_user_sees_their_sessions_and_ends_the_others(self, app, client, session, make_user):
        user = make_user(Role.CASEWORKER)
        phone, laptop = app.test_client(), app.test_client()
        sign_in(phone, user.email)
        sign_in(laptop, user.email)
        sign_in(client, user.email)
        listing = page(client.get("/account/sessions"))
        assert listing.count('name="session" value="') == 3  # two others and "sign out everywhere else"
        [other_id] = re.findall(r'name="session" value="(\d+)"', listing)[:1]
        client.post("/account/sessions", data={"session": other_id})
        still = [c.get("/start").status_code for c in (phone, laptop)]
        assert sorted(still) == [200, 302]
        client.post("/account/sessions", data={"session": "others"})
        assert [c.get("/start").status_code for c in (phone, laptop)] == [302, 302]
        assert client.get("/start").status_code == 200
        assert session.scalar(select(func.count(UserSession.id)).where(UserSession.ended_at.is_(None))) == 1


class TestPasswords:
    @pytest.mark.parametrize("password, message", [
        ("Sommer2026!", "too easy to guess"), ("Passwort123", "too easy to guess"),
        ("qwertzuiop", "too easy to guess"), ("aaaaaaaaaaaa", "too easy to guess"),
        ("lotsen-ist-toll", "the word Lotsen"), ("dmytro-kovalenko-1", "your name"),
        ("x" * 257, "between 10 and 256"), ("kurz", "between 10 and 256")])
    def test_weak_passwords_are_refused_with_the_reason(self, client, session, make_office, password, message):
        office = make_office()
        response = client.post("/register", data={
            "office_id": office.id, "name": "Dmytro Kovalenko", "email": "dmytro@example.org", "password": password,
            "confirm": password, "locale": "en", "privacy": "y"})
        assert message in page(response)
        assert session.scalar(select(func.count(User.id))) == 0

    def test_a_sentence_is_a_good_password(self, client, session, make_office):
        office = make_office()
        password = "Mein Fahrrad steht im dritten Hinterhof"
        client.post("/register", data={"office_id": office.id, "name": "Dmytro Kovalenko",
                                       "email": "dmytro@example.org", "password": password, "confirm": password,
                                       "locale": "en", "privacy": "y"})
        assert session.scalar(select(func.count(User.id))) == 1


class TestThrottling:
    def test_reset_mails_to_one_address_are_throttled_whoever_asks(self, app, make_user, mails):
        user = make_user(Role.VOLUNTEER)
        for n in range(3):
            browser = app.test_client()
            browser.environ_base["REMOTE_ADDR"] = f"192.0.2.{n + 1}"
            assert browser.post("/password/forgot", data={"email": user.email}).status_code == 302
        browser = app.test_client()
        browser.environ_base["REMOTE_ADDR"] = "192.0.2.99"
        assert browser.post("/password/forgot", data={"email": user.email}).status_code == 429
        assert len([m for m in mails() if m["To"] == user.email]) == 3

    def test_registrations_from_one_address_are_throttled(self, app, client, make_office):
        app.config["MAIL_LIMIT_PER_ADDRESS"] = "2 per hour"
        office = make_office()
        statuses = [client.post("/register", data={
            "office_id": office.id, "name": f"Person {n}", "email": f"p{n}@example.org",
            "password": "Mein Fahrrad steht im dritten Hinterhof", "confirm": "Mein Fahrrad steht im dritten Hinterhof",
            "locale": "en", "privacy": "y"}).status_code for n in range(3)]
        assert statuses == [302, 302, 429]

    def test_two_web_worker_processes_share_the_count_in_redis(self, app, make_user, tmp_path):
        redis = pytest.importorskip("redis")
        url = "redis://127.0.0.1:6379"
        try:
            redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        except redis.exceptions.ConnectionError:
            if os.environ.get("CI") == "true":
                raise
            pytest.skip("no Redis at 127.0.0.1:6379")
        user = make_user(Role.VOLUNTEER)
        env = {**os.environ, "LOTSEN_DATABASE_URL": app.config["DATABASE_URL"], "LOTSEN_SECRET_KEY": "test-secret",
               "LOTSEN_INSTANCE_PATH": str(tmp_path), "LOTSEN_RATELIMIT_STORAGE_URI": url,
               "LOTSEN_RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}"}

        def worker(password: str, times: int) -> list[int]:
            """A separate process, as a gunicorn worker is, trying to sign in ``times`` times."""
            done = subprocess.run([sys.executable, "-c", WORKER, user.email, password, str(times)], env=env,
                                  cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
            return [int(code) for code in done.stdout.split()]

        assert worker("wrong password!", 3) == [200, 200, 200]
        assert worker("wrong password!", 2) == [200, 200]
        assert worker(PASSWORD, 1) == [429]  # five failures counted across both processes

    def test_gunicorn_refuses_several_workers_counting_in_memory_in_production(self, monkeypatch):
        spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
        conf = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(conf)
        memory = {"PRODUCTION": True, "RATELIMIT_STORAGE_URI": "memory://"}
        assert "redis://" in conf.shared_throttling_problem(2, memory)
        assert conf.shared_throttling_problem(1, memory) is None
        assert conf.shared_throttling_problem(4, {**memory, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1"}) is None
        assert conf.shared_throttling_problem(4, {**memory, "PRODUCTION": False}) is None
        monkeypatch.setenv("LOTSEN_PRODUCTION", "1")
        monkeypatch.setenv("LOTSEN_SECRET_KEY", "from-the-environment")
        monkeypatch.delenv("LOTSEN_RATELIMIT_STORAGE_URI", raising=False)
        with pytest.raises(RuntimeError, match="redis"):
            conf.on_starting(SimpleNamespace(cfg=SimpleNamespace(workers=3)))
        monkeypatch.setenv("LOTSEN_RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379")
        conf.on_starting(SimpleNamespace(cfg=SimpleNamespace(workers=3)))

    def test_registration_answers_alike_whether_or_not_the_address_is_known(self, client, session, make_user,
                                                                            make_office, mails):
        known = make_user(Role.VOLUNTEER, email="known@example.org")
        answers = []
        for email in ("known@example.org", "new@example.org"):
            response = client.post("/register", data={
                "office_id": known.office_id, "name": "Someone", "email": email,
                "password": "Mein Fahrrad steht im dritten Hinterhof",
                "confirm": "Mein Fahrrad steht im dritten Hinterhof", "locale": "en", "privacy": "y"})
            answers.append((response.status_code, response.headers["Location"]))
        assert answers[0] == answers[1]
        weak = client.post("/register", data={"office_id": known.office_id, "name": "Someone",
                                              "email": "known@example.org", "password": "Passwort123",
                                              "confirm": "Passwort123", "locale": "en", "privacy": "y"})
        assert "too easy to guess" in page(weak)  # the known address is checked the same way


class TestRedirects:
    @pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/%09/evil.example/",
                                        "/%0d%0a/evil.example/", "/\\evil.example", "/%5Cevil.example",
                                        "/ /evil.example"])
    def test_next_never_leaves_the_site(self, client, make_user, target):
        user = make_user(Role.CASEWORKER)
        response = client.post(f"/login?next={target}", data={"email": user.email, "password": PASSWORD})
        assert response.headers["Location"] in ("/start", "http://localhost/start")
        switched = client.post("/language", data={"locale": "de", "next": unquote(target)})
        assert switched.headers["Location"] in ("/", "http://localhost/")

    def test_next_within_the_site_is_kept(self, client, make_user):
        user = make_user(Role.CASEWORKER)
        response = client.post("/login?next=/requests/?when=past", data={"email": user.email, "password": PASSWORD})
        assert response.headers["Location"].endswith("/requests/?when=past")


class TestSecurityLog:
    def test_failed_sign_ins_refused_access_and_throttling_are_logged_without_secrets(self, app, client, make_user,
                                                                                     caplog):
        caplog.set_level(logging.INFO, logger="lotsen.security")
        volunteer = make_user(Role.VOLUNTEER, email="amina@example.org")
        for _attempt in range(6):
            sign_in(client, "amina@example.org", "wrong password 123")
        sign_in(client, volunteer.email)
        other = app.test_client()
        sign_in(other, make_user(Role.VOLUNTEER).email)
        other.get("/coordination/")
        events = security_events(caplog)
        assert events.count("sign_in.failed") == 5 and "throttled" in events and "access.refused" in events
        logged = caplog.text
        assert "wrong password 123" not in logged and "amina@example.org" not in logged

    def test_sessions_that_end_or_expire_are_logged(self, app, client, make_user, caplog, clock):
        caplog.set_level(logging.INFO, logger="lotsen.security")
        clock.set(dt.datetime(2027, 5, 3, 9, 0, tzinfo=dt.timezone.utc), tick=True)
        volunteer = make_user(Role.VOLUNTEER)
        sign_in(client, volunteer.email)
        client.post("/logout")
        assert security_events(caplog).count("session.ended") == 1
        idle = app.test_client()
        sign_in(idle, volunteer.email)
        clock.advance(minutes=app.config["SESSION_IDLE_MINUTES"] + 1)
        idle.get("/")
        assert security_events(caplog).count("session.expired") == 1


def test_the_registration_mail_link_expires(client, app, session, make_office, mails, clock):
    clock.set(dt.datetime(2027, 5, 3, 9, 0, tzinfo=dt.timezone.utc), tick=True)
    office = make_office()
    client.post("/register", data={"office_id": office.id, "name": "Dmytro Kovalenko", "email": "d@example.org",
                                   "password": "Mein Fahrrad steht im dritten Hinterhof",
                                   "confirm": "Mein Fahrrad steht im dritten Hinterhof", "locale": "en",
                                   "privacy": "y"})
    link = re.search(r"http://lotsen\.test(/register/confirm/\S+)", mail_body(mails()[0])).group(1)
    clock.advance(days=8)
    assert client.get(link).status_code == 410
    assert session.scalar(select(User.email_verified_at).where(User.email == "d@example.org")) is None
