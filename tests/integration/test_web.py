"""Request plumbing: headers, CSRF, error pages, one commit per request, time zones."""

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from lotsen import create_app, db
from lotsen.audit.models import AuditEvent
from lotsen.auth.models import Role
from lotsen.offices.models import Office
from tests.conftest import PASSWORD, app_config, sign_in


def test_pages_carry_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers


def test_pages_load_nothing_from_elsewhere(client):
    page = client.get("/login").get_data(as_text=True)
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page
    assert "<script" not in page


def test_session_cookie_is_http_only_and_same_site(client, make_user):
    user = make_user(Role.VOLUNTEER)
    cookie = next(h for h in sign_in(client, user.email).headers.getlist("Set-Cookie") if h.startswith("lotsen="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_production_turns_on_secure_cookies_and_hsts(monkeypatch, database_url, tmp_path, make_user):
    monkeypatch.setenv("LOTSEN_PRODUCTION", "1")
    monkeypatch.setenv("LOTSEN_SECRET_KEY", "from-the-environment")
    import config

    settings = config.load()
    assert settings["SESSION_COOKIE_SECURE"] and settings["REMEMBER_COOKIE_SECURE"] and settings["HSTS"]
    assert settings["SECRET_KEY"] == "from-the-environment"
    assert settings["SESSION_COOKIE_NAME"] == "__Host-lotsen"
    production = create_app(app_config(database_url, tmp_path, SESSION_COOKIE_SECURE=True, HSTS=True,
                                       PROXY_FIX=True, SESSION_COOKIE_NAME=settings["SESSION_COOKIE_NAME"]))
    response = production.test_client().get("/login", base_url="https://lotsen.test")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    user = make_user(Role.VOLUNTEER)
    response = production.test_client().post("/login", data={"email": user.email, "password": PASSWORD},
                                              base_url="https://lotsen.test")
    [cookie] = response.headers.getlist("Set-Cookie")
    # __Host-: only over HTTPS, only to this very host (no Domain), for the whole site.
    assert cookie.startswith("__Host-lotsen=") and "Secure" in cookie and "Path=/" in cookie
    assert "Domain=" not in cookie
    production.extensions["lotsen.engine"].dispose()


def test_without_a_configured_key_one_is_generated_once_and_kept(tmp_path):
    import config

    first = config.instance_secret_key(tmp_path)
    assert len(first) >= 64
    assert config.instance_secret_key(tmp_path) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


class TestCsrf:
    @pytest.fixture
    def app_overrides(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_a_form_without_token_is_refused_and_changes_nothing(self, client, session, make_user):
        coordinator = make_user(Role.COORDINATOR)
        token = _token(client.get("/login").get_data(as_text=True))
        response = client.post("/login", data={"email": coordinator.email, "password": PASSWORD,
                                               "csrf_token": token})
        assert response.status_code == 302
        response = client.post("/offices/settings", data={"max_duration_minutes": "60"})
        assert response.status_code == 400
        assert "The form had expired" in response.get_data(as_text=True)
        assert session.get(Office, coordinator.office_id).settings == {}

    def test_sign_in_without_token_is_refused(self, client, make_user):
        user = make_user(Role.VOLUNTEER)
        assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 400
        assert client.get("/start").status_code == 302


class TestErrorPages:
    def test_unknown_page_shows_the_layout(self, client):
        response = client.get("/no/such/page")
        assert response.status_code == 404
        page = response.get_data(as_text=True)
        assert "Page not found" in page and 'class="skip-link"' in page

    def test_a_crash_shows_a_friendly_page_and_saves_nothing(self, app, session, make_office):
        office = make_office()

        @app.route("/crash")
        def crash():
            target = db.session().get(Office, office.id)
            target.name = "changed before the crash"
            db.session().flush()
            raise RuntimeError("boom")

        crash.lotsen_access = "public"
        app.config["PROPAGATE_EXCEPTIONS"] = False
        response = app.test_client().get("/crash")
        page = response.get_data(as_text=True)
        assert response.status_code == 500
        assert "Something went wrong" in page and "Traceback" not in page and "boom" not in page
        assert session.get(Office, office.id).name != "changed before the crash"

    def test_a_form_error_rolls_back_what_the_request_flushed(self, client, session, login_as):
        login_as(Role.ADMIN)
        client.post("/offices/new", data={"name": "A", "slug": "same", "kind": "city",
                                          "email": "a@example.org", "municipalities": ""})
        client.post("/offices/new", data={"name": "B", "slug": "same", "kind": "city",
                                          "email": "b@example.org", "municipalities": ""})
        assert session.scalar(select(func.count(Office.id))) == 1
        assert session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "office.created")) == 1


def test_datetimes_are_stored_in_utc_and_shown_in_berlin_time(app, session, make_user):
    user = make_user(Role.VOLUNTEER)
    summer = dt.datetime(2026, 7, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    user.last_login_at = summer
    session.commit()
    session.expire_all()
    stored = session.get(type(user), user.id).last_login_at
    assert stored.tzinfo is not None and stored.utcoffset() == dt.timedelta(0)
    assert stored == summer
    with app.test_request_context(headers={"Accept-Language": "de"}):
        from flask_babel import format_datetime

        assert "10:00" in format_datetime(stored, "short")


def test_naive_datetimes_are_refused(session, make_user):
    user = make_user(Role.VOLUNTEER)
    user.last_login_at = dt.datetime(2026, 7, 1, 10, 0)
    with pytest.raises(Exception, match="naive datetime"):
        session.commit()
    session.rollback()


def test_sqlite_runs_with_wal_foreign_keys_and_a_busy_timeout(app):
    engine = app.extensions["lotsen.engine"]
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas")
    with engine.connect() as connection:
        pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert (pragma("journal_mode"), pragma("foreign_keys"), pragma("busy_timeout")) == ("wal", 1, 30000)


def test_right_to_left_locales_get_a_right_to_left_page(app):
    from lotsen.i18n import text_direction

    with app.test_request_context():
        assert text_direction("ar") == "rtl" and text_direction("fa") == "rtl"
        assert text_direction("de") == "ltr"


def test_an_oversized_upload_is_refused_with_a_page(client, login_as):
    login_as(Role.COORDINATOR)
    # A raw body: the size is refused from the Content-Length, before anything is parsed.
    response = client.post("/volunteers/import", data=b"x" * (5 * 1024 * 1024),
                           content_type="multipart/form-data; boundary=lotsen")
    assert response.status_code == 413
    assert "The file is too large" in response.get_data(as_text=True)
