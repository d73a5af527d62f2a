"""First acceptance wins, exactly once: real concurrent answers, on SQLite and PostgreSQL."""

import datetime as dt
import threading
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from lotsen import db
from lotsen.acting import Acting
from lotsen.assignments import answers, confirming, offering
from lotsen.assignments.loading import OfferError
from lotsen.assignments.models import Assignment, Offer, OfferStatus
from lotsen.auth.models import Role, User
from lotsen.i18n import force_locale
from lotsen.offices.models import Agency, Office
from lotsen.requests.lifecycle import RequestStatus
from lotsen.requests.models import HelpRequest
from lotsen.requests.services import AlreadyFiled, RequestData, create_requests
from tests.builders import BERLIN, add_language, add_window, make_request, ready
from tests.integration.test_offers import fresh, monday_9, now, offer_links

RACERS = 8


@pytest.fixture
def crowd(session, make_office, make_agency, make_user):
    """A request offered to eight volunteers at once."""
    office = make_office(name="Kreis Offenbach")
    agency = make_agency(offices=[office])
    coordinator = make_user(Role.COORDINATOR, office=office)
    volunteers = []
    for n in range(RACERS):
        user = make_user(Role.VOLUNTEER, office=office, name=f"Volunteer {n}", profile=ready())
        add_language(session, user)
        add_window(session, user, weekday=0, starts="07:00", ends="14:00")
        volunteers.append(user)
    session.commit()
    request = make_request(session, office, agency, starts=monday_9())
    return office, coordinator, request, volunteers


def _offer_to_all(act, session, coordinator, request, volunteers) -> list[Offer]:
    offers = act(offering.make_offers, session, coordinator, request.id, [v.id for v in volunteers])
    session.commit()
    return offers


def _race(count: int, attempt):
    """Run ``attempt(i)`` in ``count`` threads released at the same moment; return their results."""
    start = threading.Barrier(count)

    def run(i):
        start.wait()
        return attempt(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def test_simultaneous_acceptances_in_separate_transactions_have_one_winner(act, app, session, crowd):
    _office, coordinator, request, volunteers = crowd
    offers = _offer_to_all(act, session, coordinator, request, volunteers)

    def accept(i):
        with app.app_context():
            own = db.begin_writing(app.extensions["lotsen.sessionmaker"]())
            try:
                outcome = answers.accept(own, Acting(own.get(User, volunteers[i].id), now()), offers[i].id).outcome
                own.commit()
                return outcome
            finally:
                own.close()

    outcomes = _race(RACERS, accept)
    assert sorted(outcomes) == ["accepted"] + ["taken"] * (RACERS - 1)
    fresh(session)
    statuses = session.scalars(select(Offer.status).where(Offer.request_id == request.id)).all()
    assert sorted(s.value for s in statuses) == ["accepted"] + ["taken"] * (RACERS - 1)
    assert session.get(HelpRequest, request.id).status is RequestStatus.ACCEPTED
    assert [e.action for e in session.get(HelpRequest, request.id).events].count("accept") == 1


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


def _post(url: str, data: dict) -> tuple[int, str]:
    body = urllib.parse.urlencode(data).encode()
    request = urllib.request.Request(url, data=body, headers={"Accept-Language": "en"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_simultaneous_clicks_on_the_mail_links_have_one_winner(act, app, session, crowd, live_server, mails):
    office, coordinator, request, volunteers = crowd
    office.settings = {"auto_confirm": True}  # the winner becomes the assignment at once
    session.commit()
    _offer_to_all(act, session, coordinator, request, volunteers)
    links = offer_links(mails())
    assert len(links) == RACERS

    results = _race(RACERS, lambda i: _post(live_server + links[i], {"action": "accept"}))
    assert [status for status, _ in results] == [200] * RACERS, [page[-3000:] for _, page in results]
    won = [page for _, page in results if "You are confirmed for this assignment" in page]
    lost = [page for _, page in results if "Another volunteer was quicker" in page]
    assert (len(won), len(lost)) == (1, RACERS - 1)
    fresh(session)
    assert session.scalar(select(func.count(Assignment.id)).where(Assignment.request_id == request.id)) == 1
    assert session.get(HelpRequest, request.id).status is RequestStatus.CONFIRMED


def test_a_double_click_on_confirm_makes_one_assignment(act, app, session, crowd):
    _office, coordinator, request, volunteers = crowd
    offers = _offer_to_all(act, session, coordinator, request, volunteers)
    act(answers.accept, session, volunteers[3], offers[3].id)
    session.commit()

    def confirm(_i):
        with app.app_context():
            own = db.begin_writing(app.extensions["lotsen.sessionmaker"]())
            try:
                confirming.confirm(own, Acting(own.get(User, coordinator.id), now()), offers[3].id)
                own.commit()
                return "confirmed"
            except OfferError:
                own.rollback()
                return "refused"
            finally:
                own.close()

    assert sorted(_race(4, confirm)) == ["confirmed", "refused", "refused", "refused"]
    fresh(session)
    assert session.scalar(select(func.count(Assignment.id)).where(Assignment.request_id == request.id)) == 1
    assert session.get(Offer, offers[3].id).status is OfferStatus.CONFIRMED


def test_offering_the_same_volunteer_twice_at_once_makes_one_open_offer(app, session, crowd):
    _office, coordinator, request, volunteers = crowd

    def offer(_i):
        with app.app_context(), force_locale("en"):
            own = db.begin_writing(app.extensions["lotsen.sessionmaker"]())
            try:
                offering.make_offers(own, Acting(own.get(User, coordinator.id), now()), request.id, [volunteers[0].id])
                own.commit()
                return "asked"
            except OfferError as error:
                own.rollback()
                return error.message
            finally:
                own.close()

    outcomes = _race(4, offer)
    assert outcomes.count("asked") == 1
    assert all("Already asked" in outcome for outcome in outcomes if outcome != "asked")
    fresh(session)
    assert session.scalar(select(func.count(Offer.id)).where(Offer.request_id == request.id)) == 1


def test_the_same_request_filed_from_two_tabs_at_once_is_created_once(app, session, crowd, make_user):
    office, _coordinator, _request, _volunteers = crowd
    agency = session.scalar(select(HelpRequest)).agency
    caseworker = make_user(Role.CASEWORKER, agency=agency)
    day = (monday_9() + dt.timedelta(days=7)).astimezone(BERLIN).date()
    data = RequestData(kind="interpreter", language="ar", mode="phone", day=day, start=dt.time(10),
                       duration_minutes=60, topic="authorities", contact_name="Frau Schneider", contact_phone="069 1")

    def file(_i):
        with app.app_context(), force_locale("en"):
            own = db.begin_writing(app.extensions["lotsen.sessionmaker"]())
            try:
                created = create_requests(own, own.get(User, caseworker.id), own.get(Office, office.id),
                                          own.get(Agency, agency.id), data, now=now(), zone=BERLIN,
                                          submission_key="one-form-two-tabs")
                own.commit()
                return f"filed {created[0].id}"
            except AlreadyFiled as error:
                own.rollback()
                return f"already {error.request.id}"
            finally:
                own.close()

    outcomes = _race(4, file)
    assert sum(outcome.startswith("filed") for outcome in outcomes) == 1
    assert len({outcome.split()[1] for outcome in outcomes}) == 1  # everyone is shown the one request
    fresh(session)
    assert session.scalar(select(func.count(HelpRequest.id)).where(HelpRequest.submission_key.is_not(None))) == 1
