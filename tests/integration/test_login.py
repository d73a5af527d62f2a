"""Signing in and out, remember-me, throttling, and sessions that end on deactivation."""

import pytest

from lotsen.auth.models import Role, UserStatus
from tests.conftest import PASSWORD, sign_in

GENERIC_FAILURE = "Email address or password is not correct, or the account is not active."


def test_signs_in_with_email_in_any_case_and_lands_on_start_page(client, make_user):
    user = make_user(Role.COORDINATOR, email="sabine@example.org")
    response = sign_in(client, "  Sabine@Example.ORG ")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/start")
    page = client.get("/start").get_data(as_text=True)
    assert user.name in page or "Dashboard" in page


def test_wrong_password_and_unknown_email_get_the_same_answer(client, make_user):
    make_user(Role.VOLUNTEER, email="amina@example.org")
    wrong_password = sign_in(client, "amina@example.org", "not the password").get_data(as_text=True)
    unknown = sign_in(client, "nobody@example.org", "not the password").get_data(as_text=True)
    assert GENERIC_FAILURE in wrong_password
    assert GENERIC_FAILURE in unknown


def test_failed_sign_in_keeps_the_email_but_not_the_password(client, make_user):
    make_user(Role.VOLUNTEER, email="amina@example.org")
    page = sign_in(client, "amina@example.org", "secret-typo-123").get_data(as_text=True)
    assert 'value="amina@example.org"' in page
    assert "secret-typo-123" not in page


@pytest.mark.parametrize("status", [UserStatus.DEACTIVATED, UserStatus.INVITED])
def test_accounts_that_may_not_sign_in_are_refused(client, make_user, status):
    make_user(Role.CASEWORKER, email="petra@example.org", status=status)
    assert GENERIC_FAILURE in sign_in(client, "petra@example.org").get_data(as_text=True)
    assert client.get("/start").status_code == 302


def test_deactivation_ends_the_open_session_at_once(app, client, make_user, login_as):
    volunteer = make_user(Role.VOLUNTEER)
    login_as(volunteer)
    assert client.get("/start").status_code == 200

    coordinator_client = app.test_client()
    coordinator = make_user(Role.COORDINATOR, office=volunteer.office)
    sign_in(coordinator_client, coordinator.email)
    response = coordinator_client.post(f"/users/{volunteer.id}/deactivate")
    assert response.status_code == 302

    response = client.get("/start")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def _session_cookie(response) -> str:
    [cookie] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("lotsen=")]
    return cookie


def test_remember_me_keeps_the_session_cookie_for_the_set_days_only(client, make_user):
    user = make_user(Role.VOLUNTEER)
    cookie = _session_cookie(sign_in(client, user.email, remember=True))
    assert "HttpOnly" in cookie and "Expires=" in cookie and "SameSite=Lax" in cookie
    assert not [h for h in client.get("/start").headers.getlist("Set-Cookie") if h.startswith("remember_token=")]


def test_without_remember_me_the_cookie_ends_with_the_browser(client, make_user):
    user = make_user(Role.VOLUNTEER)
    cookie = _session_cookie(sign_in(client, user.email))
    assert "Expires=" not in cookie and "Max-Age" not in cookie


def test_logout_ends_the_session(client, login_as):
    login_as(Role.CASEWORKER)
    assert client.post("/logout").status_code == 302
    assert client.get("/start").status_code == 302


def test_logout_is_not_possible_by_get(client, login_as):
    login_as(Role.CASEWORKER)
    assert client.get("/logout").status_code == 405
    assert client.get("/start").status_code == 200


def test_next_parameter_only_leads_within_the_site(client, make_user):
    user = make_user(Role.COORDINATOR)
    response = client.post("/login?next=https://evil.example/", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"].endswith("/start")
    client.post("/logout")
    response = client.post("/login?next=/users/", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"].endswith("/users/")


class TestThrottling:
    def test_an_account_is_throttled_after_repeated_failures(self, client, make_user):
        user = make_user(Role.VOLUNTEER)
        for _attempt in range(5):
            assert sign_in(client, user.email, "wrong password!").status_code == 200
        response = sign_in(client, user.email, PASSWORD)
        assert response.status_code == 429
        assert "Too many attempts" in response.get_data(as_text=True)

    def test_unknown_addresses_are_throttled_the_same_way(self, client):
        for _attempt in range(5):
            sign_in(client, "ghost@example.org", "wrong password!")
        assert sign_in(client, "ghost@example.org", "wrong password!").status_code == 429

    def test_successful_sign_ins_do_not_count(self, app, make_user):
        user = make_user(Role.VOLUNTEER)
        for _attempt in range(8):
            browser = app.test_client()
            assert sign_in(browser, user.email).status_code == 302

    def test_one_address_is_throttled_across_accounts(self, app, client):
        app.config["LOGIN_LIMIT_PER_ADDRESS"] = "3 per 10 minutes"
        for n in range(3):
            sign_in(client, f"someone{n}@example.org", "wrong password!")
        assert sign_in(client, "another@example.org", "wrong password!").status_code == 429
