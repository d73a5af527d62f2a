"""Fixtures: the app on SQLite and PostgreSQL, a client, ``login_as``, and factories."""

from __future__ import annotations

import datetime as dt
import email
import os
from email import policy
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from lotsen import create_app, migrate
from lotsen.acting import Acting
from lotsen.auth.models import Role, User, UserStatus
from lotsen.auth.passwords import hash_password
from lotsen.db import Base, normalize_url
from lotsen.i18n import force_locale
from lotsen.notifications import outbox
from lotsen.offices.models import Agency, AgencyType, Office
from lotsen.volunteers.models import VolunteerProfile
from tests.timing import Clock

PASSWORD = "correct horse battery"
PASSWORD_HASH = hash_password(PASSWORD)  # hashing once keeps the factories fast
POSTGRES_URL = os.environ.get("LOTSEN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


DAYS_AHEAD = os.environ.get("LOTSEN_TEST_DAYS_AHEAD", "")


def pytest_report_header(config):
    if DAYS_AHEAD:
        return f"clock: every process of this run lives {DAYS_AHEAD} days ahead (make test-dates)"
    return None


@pytest.fixture
def clock(request):
    """The test's clock: ``clock.set(moment)``, ``clock.advance(hours=2)``.

    Real time until set, or the moment of a ``@pytest.mark.now(moment)`` on the test, class or module.
    """
    own = Clock()
    marker = request.node.get_closest_marker("now")
    if marker is not None:
        own.set(*marker.args, **marker.kwargs)
    yield own
    own.stop()


@pytest.fixture(autouse=True)
def _clock_of_the_mark(request):
    """Tests marked ``now`` start with the clock at that moment (through the ``clock`` fixture)."""
    if request.node.get_closest_marker("now") is not None:
        request.getfixturevalue("clock")


def _postgres_reachable() -> str | None:
    """Create a fresh database for this run next to the configured one; None if the server is down."""
    base = make_url(normalize_url(POSTGRES_URL))
    name = f"lotsen_test_{os.getpid()}"
    try:
        engine = create_engine(base, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
    except Exception as error:  # noqa: BLE001  (any failure means: no PostgreSQL here)
        if os.environ.get("CI", "").lower() == "true":
            pytest.exit(f"PostgreSQL at {POSTGRES_URL} is unreachable under CI=true: {error}", returncode=3)
        return None
    return base.set(database=name).render_as_string(hide_password=False)


def _drop_postgres(url: str) -> None:
    target = make_url(url)
    engine = create_engine(make_url(normalize_url(POSTGRES_URL)), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    """A database migrated to head, once per run and backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'lotsen.db'}"
        migrate.upgrade(url)
        yield url
        return
    url = _postgres_reachable()
    if url is None:
        pytest.skip(f"PostgreSQL at {POSTGRES_URL} is not reachable (set CI=true to make this an error)")
    migrate.upgrade(url)
    yield url
    _drop_postgres(url)


def _empty_tables(engine) -> None:
    tables = list(reversed(Base.metadata.sorted_tables))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())


def app_config(database_url: str, tmp_path: Path, **overrides) -> dict:
    config = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "MAIL_SERVER": "",
        "MAIL_DIR": str(tmp_path / "mail"),
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "BASE_URL": "http://lotsen.test",
        # Two-factor sign-in is required of nobody here; the tests of it (test_two_factor.py) require it.
        "TWO_FACTOR_REQUIRED": [],
    }
    config.update(overrides)
    return config


@pytest.fixture
def app_overrides():
    """Override in a test module to change the app's configuration."""
    return {}


class Client(FlaskClient):
    """A test client after whose requests the test's own session starts afresh.

    SQLite readers see a snapshot until their transaction ends; ending it after every
    request lets the test read what the request committed, on both databases alike.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Tests read English unless they choose otherwise; the product's default stays German.
        self.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        for hook in self.application.extensions.get("tests.after_request", []):
            hook()
        return response


@pytest.fixture
def app(database_url, tmp_path, app_overrides):
    application = create_app(app_config(database_url, tmp_path, **app_overrides))
    application.test_client_class = Client
    yield application
    engine = application.extensions["lotsen.engine"]
    _empty_tables(engine)
    engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def session(app):
    """A session of the test's own, for arranging and checking data.

    It deliberately lives outside any app context: an app context held open by a test
    would be shared by every request of the test client (and with it ``g``).
    """
    own = app.extensions["lotsen.sessionmaker"]()

    def start_afresh():
        own.rollback()
        own.expire_all()

    app.extensions.setdefault("tests.after_request", []).append(start_afresh)
    yield own
    own.close()


@pytest.fixture
def make_office(session):
    counter = iter(range(1, 10_000))

    def make(name: str | None = None, **fields) -> Office:
        n = next(counter)
        office = Office(name=name or f"Integrationsbüro {n}", slug=fields.pop("slug", f"office-{n}"), settings={},
                        **fields)
        session.add(office)
        session.commit()
        return office

    return make


@pytest.fixture
def make_agency(session, make_office):
    counter = iter(range(1, 10_000))

    def make(offices: list[Office] | None = None, name: str | None = None, **fields) -> Agency:
        agency = Agency(name=name or f"Jobcenter {next(counter)}", type=fields.pop("type", AgencyType.JOBCENTER),
                        offices=offices if offices is not None else [make_office()], **fields)
        session.add(agency)
        session.commit()
        return agency

    return make


@pytest.fixture
def make_user(session, make_office, make_agency):
    counter = iter(range(1, 10_000))

    def make(role: Role | str = Role.VOLUNTEER, *, office: Office | None = None, agency: Agency | None = None,
             status: UserStatus = UserStatus.ACTIVE, email: str | None = None, locale: str = "en",
             password: str | None = PASSWORD, profile: dict | None = None, offices: list[Office] | None = None,
             **fields) -> User:
        """A user; volunteers get a profile (``profile`` sets its fields)."""
        profile = profile or {}
        role = Role(role)
        n = next(counter)
        if role in (Role.VOLUNTEER, Role.COORDINATOR) and office is None:
            office = make_office()
        if role is Role.CASEWORKER and agency is None:
            agency = make_agency()
        fields.setdefault("email_verified_at", dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
        user = User(email=email or f"{role.value}{n}@example.org", name=fields.pop("name", f"{role.value.title()} {n}"),
                    role=role, status=status, locale=locale, session_version=1,
                    password_hash=(PASSWORD_HASH if password == PASSWORD else hash_password(password))
                    if password else None,
                    office=office if role in (Role.VOLUNTEER, Role.COORDINATOR) else None,
                    agency=agency if role is Role.CASEWORKER else None, **fields)
        if role is Role.CASEWORKER:  # works with every office of the agency, unless told otherwise
            user.caseworker_offices = list(offices if offices is not None else agency.offices)
        session.add(user)
        if role is Role.VOLUNTEER:
            session.add(VolunteerProfile(user=user, office=office, topics_willing=[], topics_excluded=[],
                                         **profile))
        session.commit()
        return user

    return make


@pytest.fixture
def act(app):
    """Call a service as the worker or the command line would: in an app context, without any request.

    ``act(service, session, actor, *args, at=moment, **kwargs)`` calls ``service(session, acting, *args,
    **kwargs)`` with ``actor`` acting at ``at`` (default: now), in English.
    """

    def call(service, session, actor, *args, at: dt.datetime | None = None, **kwargs):
        acting = Acting(actor, at or dt.datetime.now(dt.timezone.utc), "Europe/Berlin", "192.0.2.1")
        with app.app_context(), force_locale("en"):
            return service(session, acting, *args, **kwargs)

    return call


def sign_in(client, email_address: str, password: str = PASSWORD, remember: bool = False):
    data = {"email": email_address, "password": password}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data)


@pytest.fixture
def login_as(client, make_user):
    """Sign the test client in as a new user of ``role`` (or as a given user)."""

    def login(role_or_user: Role | str | User, **fields) -> User:
        user = role_or_user if isinstance(role_or_user, User) else make_user(role_or_user, **fields)
        response = sign_in(client, user.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return login


@pytest.fixture
def mails(app):
    """The mails delivered so far (the outbox delivered as the worker would), oldest first, parsed."""

    def read() -> list[email.message.EmailMessage]:
        outbox.deliver_due(app)  # what the worker would have sent by now
        directory = Path(app.config["MAIL_DIR"])
        if not directory.exists():
            return []
        return [email.message_from_bytes(p.read_bytes(), policy=policy.default)
                for p in sorted(directory.glob("*.eml"))]

    return read


def mail_body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()
