"""Signed links and password hashing, without a database."""

import pytest

from lotsen.auth.models import Role, User, UserStatus
from lotsen.auth.passwords import hash_password, verify_password
from lotsen.auth.tokens import TokenError, load_token, make_token


class FakeSession:
    def __init__(self, *users):
        self.users = {u.id: u for u in users}

    def get(self, _model, key):
        return self.users.get(key)


def _user() -> User:
    return User(id=7, email="a@example.org", name="A", role=Role.VOLUNTEER, status=UserStatus.ACTIVE,
                session_version=1)


def test_a_token_names_its_user():
    user = _user()
    token = make_token("key", "password-reset", user)
    assert load_token(FakeSession(user), "key", "password-reset", token, 60) is user


def test_a_token_dies_when_the_password_changes():
    user = _user()
    token = make_token("key", "password-reset", user)
    user.revoke_sessions()
    with pytest.raises(TokenError) as caught:
        load_token(FakeSession(user), "key", "password-reset", token, 60)
    assert caught.value.reason == "used"


@pytest.mark.parametrize("purpose, key", [("invitation", "key"), ("password-reset", "other key")])
def test_a_token_is_bound_to_its_purpose_and_key(purpose, key):
    user = _user()
    token = make_token("key", "password-reset", user)
    with pytest.raises(TokenError) as caught:
        load_token(FakeSession(user), key, purpose, token, 60)
    assert caught.value.reason == "invalid"


def test_an_old_token_expires():
    user = _user()
    token = make_token("key", "invitation", user)
    with pytest.raises(TokenError) as caught:
        load_token(FakeSession(user), "key", "invitation", token, -1)
    assert caught.value.reason == "expired"


def test_passwords_are_hashed_with_argon2_and_verified():
    hashed = hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "correct horse battery")
    assert not verify_password(hashed, "Correct horse battery")
    assert not verify_password(None, "correct horse battery")
    assert not verify_password("not a hash", "x")
