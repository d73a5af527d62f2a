"""Every route checks who may use it, and nobody crosses into another office or agency."""

import datetime as dt

import pytest
from sqlalchemy import select

from lotsen.audit.models import AuditEvent
from lotsen.auth.models import Role, User, UserStatus
from lotsen.requests.lifecycle import Action
from lotsen.requests.models import HelpRequest, RequestKind
from lotsen.volunteers.models import Mode, Topic
from tests.conftest import sign_in

ACTORS = ["anonymous", "pending", Role.VOLUNTEER, Role.CASEWORKER, Role.COORDINATOR, Role.ADMIN]


def _request(session, office, agency, author) -> HelpRequest:
    starts = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(days=10)
    found = HelpRequest(office_id=office.id, agency_id=agency.id, created_by=author, kind=RequestKind.INTERPRETER,
                        language="ar", mode=Mode.PHONE, starts_at=starts, ends_at=starts + dt.timedelta(hours=1),
                        duration_minutes=60, topic=Topic.HEALTH, contact_name="X", contact_phone="1")
    found.apply(Action.CREATE, author)
    session.add(found)
    session.commit()
    return found


@pytest.fixture
def world(session, make_office, make_agency, make_user):
    """Two offices, each with an agency and people; one agency works with both."""
    a, b = make_office(name="Kreis A"), make_office(name="Stadt B")
    agency_a = make_agency(offices=[a], name="Jobcenter A")
    agency_b = make_agency(offices=[b], name="Klinikum B")
    shared = make_agency(offices=[a, b], name="Beratung AB")
    people = {
        "office_a": a, "office_b": b, "agency_a": agency_a, "agency_b": agency_b, "shared": shared,
        Role.VOLUNTEER: make_user(Role.VOLUNTEER, office=a),
        "pending": make_user(Role.VOLUNTEER, office=a, status=UserStatus.PENDING),
        Role.CASEWORKER: make_user(Role.CASEWORKER, agency=agency_a),
        Role.COORDINATOR: make_user(Role.COORDINATOR, office=a),
        Role.ADMIN: make_user(Role.ADMIN),
        "target": make_user(Role.VOLUNTEER, office=a, name="Target Person", status=UserStatus.PENDING),
        "volunteer_b": make_user(Role.VOLUNTEER, office=b, name="Bettina B"),
        "caseworker_b": make_user(Role.CASEWORKER, agency=agency_b, name="Bernd B"),
        "coordinator_b": make_user(Role.COORDINATOR, office=b, name="Berta B"),
    }
    people["request"] = _request(session, a, agency_a, people[Role.CASEWORKER])
    return people


def _routes(app):
    """Every page's route and method (the API's routes take a token, not a session: tests/integration/test_api.py)."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or getattr(app.view_functions[rule.endpoint], "lotsen_access", "") == "token":
            continue
        for method in sorted(rule.methods & {"GET", "POST"}):
            yield rule, method


def _url(app, rule, world) -> str:
    values = {"user_id": world["target"].id, "agency_id": world["agency_a"].id,
              "office_id": world["office_a"].id, "token": "not-a-token", "row_id": 999_999, "entry_id": 999_999,
              "training_id": 999_999, "request_id": world["request"].id, "offer_id": 999_999,
              "assignment_id": 999_999, "message_id": 999_999, "job_id": 999_999, "record_id": 999_999,
              "programme_id": 999_999, "payout_id": 999_999, "statement_id": 999_999, "year": 2027,
              "kind": "csv", "key": "requests", "which": "requests", "file": "sepa", "slug": "validation",
              "token_id": 999_999, "endpoint_id": 999_999}
    values.update(ARGUMENTS_OF.get(rule.endpoint, {}))
    with app.test_request_context():
        return app.url_map.bind("localhost").build(rule.endpoint, {k: values[k] for k in rule.arguments})


# Where a route takes only some values of an argument (a file type), one it takes.
ARGUMENTS_OF = {"reports.report_file": {"kind": "pdf"}, "billing.payout_file": {"kind": "xml"}}


def test_every_view_declares_who_may_use_it(app):
    undeclared = [endpoint for endpoint, view in app.view_functions.items()
                  if endpoint != "static" and not hasattr(view, "lotsen_access")]
    assert undeclared == []


def test_every_route_admits_exactly_the_declared_roles(app, world):
    clients = {}
    for actor in ACTORS:
        clients[actor] = app.test_client()
        if actor != "anonymous":
            assert sign_in(clients[actor], world[actor].email).status_code == 302

    checked = 0
    for rule, method in _routes(app):
        view = app.view_functions[rule.endpoint]
        url = _url(app, rule, world)
        for actor in ACTORS:
            client = clients[actor]
            response = client.open(url, method=method)
            status, location = response.status_code, response.headers.get("Location", "")
            where = f"{method} {url} as {actor}: {status}"
            assert status < 500, where
            if view.lotsen_access == "public":
                assert status not in (401, 403), where
            elif actor == "anonymous":
                assert status == 302 and "/login?next=" in location, where
            elif actor == "pending":
                allowed = getattr(view, "lotsen_pending_ok", False)
                assert (status != 403) == allowed, where
            else:
                allowed = actor in view.lotsen_access
                assert (status not in (401, 403) and "/login?next=" not in location) == allowed, where
            if rule.endpoint == "auth.logout" and actor != "anonymous":
                sign_in(client, world[actor].email)
            checked += 1
    assert checked > 100


class TestOfficeIsolation:
    def test_coordinator_lists_only_own_office_and_its_agencies_people(self, client, world):
        sign_in(client, world[Role.COORDINATOR].email)
        page = client.get("/users/").get_data(as_text=True)
        assert "Target Person" in page
        assert world[Role.CASEWORKER].name in page
        for outsider in ("Bettina B", "Bernd B", "Berta B"):
            assert outsider not in page

    def test_coordinator_cannot_open_or_change_another_offices_people(self, client, session, world):
        sign_in(client, world[Role.COORDINATOR].email)
        outsider = world["volunteer_b"]
        assert client.get(f"/users/{outsider.id}").status_code == 404
        assert client.post(f"/users/{outsider.id}/deactivate").status_code == 404
        assert client.get(f"/users/{world['caseworker_b'].id}").status_code == 404
        assert session.get(User, outsider.id).status is UserStatus.ACTIVE

    def test_coordinator_sees_own_and_shared_agencies_only(self, client, world):
        sign_in(client, world[Role.COORDINATOR].email)
        page = client.get("/agencies/").get_data(as_text=True)
        assert "Jobcenter A" in page and "Beratung AB" in page
        assert "Klinikum B" not in page
        assert client.get(f"/agencies/{world['agency_b'].id}/edit").status_code == 404
        assert client.get(f"/agencies/{world['agency_a'].id}/edit").status_code == 200
        # a shared agency's master data is the admins' to manage
        assert client.get(f"/agencies/{world['shared'].id}/edit").status_code == 404
        assert "managed by the administrators" in page

    def test_coordinator_cannot_open_another_offices_settings(self, client, world):
        sign_in(client, world[Role.COORDINATOR].email)
        assert client.get(f"/offices/settings?office_id={world['office_b'].id}").status_code == 404
        assert client.get("/offices/settings").status_code == 200

    def test_audit_log_shows_only_own_office(self, app, client, session, world):
        boss_b = app.test_client()
        sign_in(boss_b, world["coordinator_b"].email)
        boss_b.post(f"/users/{world['volunteer_b'].id}/deactivate")
        sign_in(client, world[Role.COORDINATOR].email)
        client.post(f"/users/{world['target'].id}/vet")
        actions = {e.action: e.office_id for e in session.scalars(select(AuditEvent))}
        assert actions["user.deactivated"] == world["office_b"].id
        page = client.get("/audit/").get_data(as_text=True)
        assert "user.vetted" in page
        assert "user.deactivated" not in page

    def test_admin_sees_every_office(self, client, world):
        sign_in(client, world[Role.ADMIN].email)
        page = client.get("/users/").get_data(as_text=True)
        assert "Bettina B" in page and "Target Person" in page
        assert client.get(f"/offices/settings?office_id={world['office_b'].id}").status_code == 200

    def test_caseworker_sees_only_the_own_agency(self, client, world):
        sign_in(client, world[Role.CASEWORKER].email)
        page = client.get("/start").get_data(as_text=True)
        assert "Jobcenter A" in page
        assert "Klinikum B" not in page
        assert client.get("/users/").status_code == 403
        assert client.get(f"/users/{world['caseworker_b'].id}").status_code == 403


def test_requests_stay_within_their_agency_and_office(app, world):
    own = world["request"].id
    expectations = {Role.CASEWORKER: 200, Role.COORDINATOR: 200, Role.ADMIN: 200,
                    "caseworker_b": 404, "coordinator_b": 404}
    for who, status in expectations.items():
        browser = app.test_client()
        sign_in(browser, world[who].email)
        assert browser.get(f"/requests/{own}").status_code == status, who



class TestSharedAgencies:
    """Beratung AB works with Kreis A and Stadt B; each office decides who of the agency works with it."""

    @pytest.fixture
    def shared_world(self, session, world, make_user):
        shared, a, b = world["shared"], world["office_a"], world["office_b"]
        world["cw_a"] = make_user(Role.CASEWORKER, agency=shared, offices=[a], name="Anna von AB")
        world["cw_b"] = make_user(Role.CASEWORKER, agency=shared, offices=[b], name="Boris von AB")
        world["cw_ab"] = make_user(Role.CASEWORKER, agency=shared, offices=[a, b], name="Clara von AB")
        world["request_b"] = _request(session, b, shared, world["cw_b"])
        world["request_b"].client_reference, world["request_b"].contact_phone = "B-4711", "0611 999"
        world["request_a"] = _request(session, a, shared, world["cw_a"])
        session.commit()
        return world

    def test_a_caseworker_sees_the_agencys_requests_of_the_offices_that_work_with_them(self, app, shared_world):
        w = shared_world
        expected = {"cw_a": {"request_a"}, "cw_b": {"request_b"}, "cw_ab": {"request_a", "request_b"}}
        for who, visible in expected.items():
            browser = app.test_client()
            sign_in(browser, w[who].email)
            listing = browser.get("/requests/?when=all").get_data(as_text=True)
            for name in ("request_a", "request_b"):
                status = browser.get(f"/requests/{w[name].id}").status_code
                assert (status == 200) == (name in visible), (who, name, status)
            assert ("B-4711" in listing) == ("request_b" in visible), who

    def test_a_coordinator_inviting_for_a_shared_agency_grants_only_their_own_office(self, app, client, session,
                                                                                     shared_world, mails):
        w = shared_world
        sign_in(client, w[Role.COORDINATOR].email)
        client.post("/users/invite", data={"role": "caseworker", "agency_id": w["shared"].id, "office_id": 0,
                                           "email": "neu@beratung-ab.example", "name": "Neu von AB", "locale": "de"})
        invited = session.scalar(select(User).where(User.email == "neu@beratung-ab.example"))
        assert invited.caseworker_office_ids == {w["office_a"].id}
        # Inviting Boris (Stadt B's) gives him Kreis A too, nothing more; the account stays the same.
        response = client.post("/users/invite", data={"role": "caseworker", "agency_id": w["shared"].id,
                                                      "office_id": 0, "email": w["cw_b"].email, "name": "Boris",
                                                      "locale": "de"})
        assert response.status_code == 302
        session.expire_all()
        assert session.get(User, w["cw_b"].id).caseworker_office_ids == {w["office_a"].id, w["office_b"].id}
        assert any(m["To"] == w["cw_b"].email and "Kreis A" in m["Subject"] for m in mails())

    def test_a_coordinator_cannot_reach_or_lock_out_another_offices_caseworkers(self, client, session, shared_world):
        w = shared_world
        sign_in(client, w[Role.COORDINATOR].email)
        assert client.get(f"/users/{w['cw_b'].id}").status_code == 404
        assert client.post(f"/users/{w['cw_b'].id}/deactivate").status_code == 404
        page = client.get(f"/users/{w['cw_ab'].id}").get_data(as_text=True)
        assert "Deactivate account" not in page and "Stop working with this caseworker" in page
        client.post(f"/users/{w['cw_ab'].id}/deactivate")
        client.post(f"/users/{w['cw_ab'].id}/withdraw-office-access")
        session.expire_all()
        clara = session.get(User, w["cw_ab"].id)
        assert clara.status is UserStatus.ACTIVE and clara.caseworker_office_ids == {w["office_b"].id}
        assert client.get(f"/users/{w['cw_ab'].id}").status_code == 404  # no longer one of Kreis A's
        client.post(f"/users/{w['cw_a'].id}/deactivate")  # Anna works with Kreis A alone
        session.expire_all()
        assert session.get(User, w["cw_a"].id).status is UserStatus.DEACTIVATED

    def test_the_office_names_only_caseworkers_who_work_with_it(self, app, client, session, shared_world):
        from lotsen.requests.informing import whom_to_inform
        from lotsen.requests.services import RequestError

        w = shared_world
        sign_in(client, w[Role.COORDINATOR].email)
        form = client.get("/requests/new").get_data(as_text=True)
        assert "Clara von AB" in form and "Anna von AB" in form
        assert "Boris von AB" not in form  # works with Stadt B only: Kreis A neither sees nor names him
        coordinator = session.get(User, w[Role.COORDINATOR].id)

        class Named:
            inform_user_id, inform_name, inform_email, inform_phone = w["cw_b"].id, "", "", ""

        with app.test_request_context(), pytest.raises(RequestError) as refused:
            whom_to_inform(session, coordinator, w["shared"], w["office_a"].id, Named)
        assert refused.value.field == "inform_user_id"
        Named.inform_user_id = w["cw_ab"].id
        with app.test_request_context():
            assert whom_to_inform(session, coordinator, w["shared"], w["office_a"].id, Named)[0].id == w["cw_ab"].id

    def test_only_an_admin_makes_a_shared_caseworker_the_agencys_lead(self, app, client, session, shared_world):
        w = shared_world
        sign_in(client, w[Role.COORDINATOR].email)
        client.post(f"/users/{w['cw_ab'].id}/api-lead", data={"lead": "1"})  # Clara works with Stadt B too
        client.post(f"/users/{w['cw_a'].id}/api-lead", data={"lead": "1"})  # Anna with Kreis A alone
        session.expire_all()
        assert (session.get(User, w["cw_ab"].id).manages_api, session.get(User, w["cw_a"].id).manages_api) == (
            False, True)
        admin = app.test_client()
        sign_in(admin, w[Role.ADMIN].email)
        admin.post(f"/users/{w['cw_ab'].id}/api-lead", data={"lead": "1"})
        session.expire_all()
        assert session.get(User, w["cw_ab"].id).manages_api is True

    def test_a_coordinator_cannot_change_a_shared_agencys_master_data(self, client, session, shared_world):
        w = shared_world
        sign_in(client, w[Role.COORDINATOR].email)
        response = client.post(f"/agencies/{w['shared'].id}/edit", data={
            "name": "Gekapert", "type": "counselling", "email": "evil@example.org", "is_active": ""})
        assert response.status_code == 404
        session.expire_all()
        assert session.get(type(w["shared"]), w["shared"].id).name == "Beratung AB"


class TestWhoReadsWhichNote:
    """The field-level part: the office reads every note; the agency its own, never the office's or a volunteer's."""

    def test_office_notes_and_volunteers_reasons_never_reach_the_agency(self, app, act, session, world, make_user):
        from lotsen.assignments import answers, changes, confirming, offering
        from tests.builders import add_language, add_window, ready

        office, agency = world["office_a"], world["agency_a"]
        coordinator, caseworker = world[Role.COORDINATOR], world[Role.CASEWORKER]
        pool = []
        for name in ("Amina", "Bilal"):
            volunteer = make_user(Role.VOLUNTEER, office=office, name=name, profile=ready(by_phone=True))
            add_language(session, volunteer)
            for weekday in range(7):
                add_window(session, volunteer, weekday=weekday, starts="00:00", ends="23:59")
            pool.append(volunteer)
        session.commit()
        request = world["request"]
        offers = act(offering.make_offers, session, coordinator, request.id, [pool[0].id, pool[1].id])
        act(answers.decline, session, pool[1], offers[1].id, None)
        act(answers.accept, session, pool[0], offers[0].id)
        assignment = act(confirming.confirm, session, coordinator, offers[0].id)
        act(changes.step_back, session, pool[0], assignment.id, "GEHEIM: Mein Kind ist krank")
        act(offering.make_offers, session, coordinator, request.id, [pool[0].id], note="INTERN: doch gefragt")
        session.commit()

        notes = ("GEHEIM", "INTERN")
        readers = {caseworker: False, coordinator: True, world[Role.ADMIN]: True}
        for reader, reads in readers.items():
            browser = app.test_client()
            sign_in(browser, reader.email)
            page = browser.get(f"/requests/{request.id}").get_data(as_text=True)
            for note in notes:
                assert (note in page) == reads, (reader.role, note)
            assert ("declined" in page) == reads, reader.role  # the office's own steps
            assert "stepped back" in page  # that it happened, everyone may know
        other = app.test_client()
        sign_in(other, world["coordinator_b"].email)
        assert other.get(f"/requests/{request.id}").status_code == 404

    def test_why_it_did_not_take_place_or_was_not_filled_stays_with_the_office(self, app, act, session, world,
                                                                             make_user):
        from lotsen.assignments import answers, changes, confirming, offering
        from lotsen.billing import records
        from lotsen.billing.models import RecordOutcome
        from lotsen.requests.lifecycle import UnfilledReason
        from tests.builders import add_language, add_window, ready

        office, agency = world["office_a"], world["agency_a"]
        coordinator, caseworker = world[Role.COORDINATOR], world[Role.CASEWORKER]
        volunteer = make_user(Role.VOLUNTEER, office=office, name="Amina", profile=ready(by_phone=True))
        add_language(session, volunteer)
        for weekday in range(7):
            add_window(session, volunteer, weekday=weekday, starts="00:00", ends="23:59")
        session.commit()
        held, unfilled = world["request"], _request(session, office, agency, caseworker)
        [offer] = act(offering.make_offers, session, coordinator, held.id, [volunteer.id])
        act(answers.accept, session, volunteer, offer.id)
        assignment = act(confirming.confirm, session, coordinator, offer.id)
        act(records.record, session, volunteer, assignment.id, records.Facts(
            RecordOutcome.DID_NOT_TAKE_PLACE, assignment.starts_at, assignment.ends_at, held.mode.value,
            note="GEHEIM: die Klientin liegt im Krankenhaus"), at=assignment.ends_at + dt.timedelta(hours=1))
        act(changes.close_unfillable, session, coordinator, unfilled.id, UnfilledReason.OTHER,
            "INTERN: Dolmetscherin hat Befangenheit gemeldet", "Telefondolmetschen")
        session.commit()
        for reader, reads in ((caseworker, False), (coordinator, True)):
            browser = app.test_client()
            sign_in(browser, reader.email)
            for request, note in ((held, "GEHEIM"), (unfilled, "INTERN")):
                page = browser.get(f"/requests/{request.id}").get_data(as_text=True)
                assert (note in page) == reads, (reader.role, note)
