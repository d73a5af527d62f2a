"""The lotsen command: demo data and administrators."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from lotsen.auth.models import Role, User, UserStatus
from lotsen.billing.lifecycle import RecordStatus
from lotsen.billing.models import AssignmentRecord
from lotsen.demo import DEMO_PASSWORD, KREIS_OFFENBACH
from lotsen.offices.models import Agency, Office
from lotsen.requests.lifecycle import RequestStatus
from lotsen.requests.models import HelpRequest
from lotsen.volunteers.models import VolunteerProfile, add_years
from tests.conftest import sign_in
from tests.timing import BERLIN


def _counts(session):
    return tuple(session.scalar(select(func.count(model.id))) for model in (Office, Agency, User))


def test_seed_demo_creates_both_offices_and_every_role_once(app, session):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "koordination@kreis-offenbach.example" in first.output and DEMO_PASSWORD in first.output
    counts = _counts(session)
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0 and "already present" in second.output
    session.expire_all()
    assert _counts(session) == counts

    offenbach = session.scalar(select(Office).where(Office.slug == "kreis-offenbach"))
    assert len(offenbach.municipalities) == 13 == len(KREIS_OFFENBACH)
    assert session.scalar(select(Office).where(Office.slug == "stadt-osnabrueck")).is_demo
    roles = set(session.scalars(select(User.role)))
    assert roles == set(Role)
    assert session.scalar(select(func.count(User.id)).where(User.status == UserStatus.PENDING)) == 1


def test_every_demo_login_reaches_its_start_page(app, session):
    app.test_cli_runner().invoke(args=["seed-demo"])
    for user in session.scalars(select(User)):
        client = app.test_client()
        assert sign_in(client, user.email, DEMO_PASSWORD).status_code == 302, user.email
        assert client.get("/start").status_code == 200, user.email


def test_create_admin_from_the_command_line(app, session, monkeypatch):
    monkeypatch.setenv("LOTSEN_ADMIN_PASSWORD", "a long admin password")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-admin", "--email", "Root@Example.org", "--name", "Root"])
    assert result.exit_code == 0, result.output
    admin = session.scalar(select(User).where(User.email == "root@example.org"))
    assert admin.role is Role.ADMIN and admin.status is UserStatus.ACTIVE
    assert sign_in(app.test_client(), "root@example.org", "a long admin password").status_code == 302

    again = runner.invoke(args=["create-admin", "--email", "root@example.org", "--name", "Root"])
    assert again.exit_code != 0 and "Es gibt schon ein Konto" in again.output  # the default locale is German


def test_create_admin_refuses_a_short_password(app, session, monkeypatch):
    monkeypatch.setenv("LOTSEN_ADMIN_PASSWORD", "short")
    result = app.test_cli_runner().invoke(args=["create-admin", "--email", "a@example.org", "--name", "A"])
    assert result.exit_code != 0
    assert session.scalar(select(func.count(User.id))) == 0


@pytest.mark.parametrize("moment", [dt.datetime(2029, 12, 24, 16, 0, tzinfo=dt.timezone.utc),  # a Monday, Christmas Eve
                                    dt.datetime(2031, 3, 29, 22, 30, tzinfo=dt.timezone.utc)])  # Sunday night after DST
def test_the_demo_is_set_in_the_coming_days_whenever_it_is_seeded(app, session, clock, moment):
    clock.set(moment, tick=True)
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    everything = session.scalars(select(HelpRequest).order_by(HelpRequest.starts_at)).all()
    requests = [r for r in everything if r.starts_at > moment]
    assert requests and all(moment < r.starts_at < moment + dt.timedelta(days=60) for r in requests)
    assert requests[0].status is RequestStatus.CONFIRMED  # the first one has its volunteer
    today = moment.astimezone(BERLIN).date()
    # Last month happened: three assignments done, recorded and confirmed by the agency, ready to close.
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    past = [r for r in everything if r.starts_at <= moment]
    assert len(past) == 3 and all(r.status is RequestStatus.COMPLETED for r in past)
    assert all(r.starts_at.astimezone(BERLIN).date().replace(day=1) == last_month for r in past)
    confirmed = session.scalars(select(AssignmentRecord).where(AssignmentRecord.status == RecordStatus.CONFIRMED))
    assert len(confirmed.all()) == 3
    profiles = session.scalars(select(VolunteerProfile).where(VolunteerProfile.certificate_checked_on.is_not(None)))
    assert all(p.certificate_checked_on < today < add_years(p.certificate_checked_on, 5) for p in profiles)
    paused = session.scalars(select(VolunteerProfile).where(VolunteerProfile.is_paused.is_(True))).all()
    assert paused and all(p.paused_until > today for p in paused)
