"""Contract tests with schemathesis: every operation of the OpenAPI document, generated input (valid and
invalid), against the app on both databases. No answer is a 500, and every answer matches the document: its
status is documented, its content type and body are as described (problem details for errors)."""

import datetime as dt

import pytest
import schemathesis
from schemathesis import GenerationMode
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from lotsen.api import tokens
from lotsen.auth.models import Role
from tests.builders import make_request
from tests.timing import BERLIN, berlin, next_weekday, now

EXAMPLES = 40  # per operation and mode
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def api_world(act, app, session, make_office, make_agency, make_user):
    """An agency with a token of every scope, and requests of its own to find by the ids generated."""
    office = make_office(name="Kreis Offenbach")
    agency = make_agency(offices=[office], name="Jobcenter Offenbach")
    coordinator = make_user(Role.COORDINATOR, office=office)
    for week in range(3):
        make_request(session, office, agency, starts=berlin(next_weekday(0, weeks=week + 1)))
    session.commit()
    _token, raw = act(tokens.issue, session, coordinator, agency, name="Vertrag",
                      scopes=["requests:read", "requests:write", "records:confirm"],
                      expires_on=now().astimezone(BERLIN).date() + dt.timedelta(days=30), zone=BERLIN, max_days=730)
    session.commit()
    return raw


@pytest.fixture
def app_overrides():
    return {"API_RATE_LIMIT": "100000 per minute"}  # the generated calls, not the throttle, are tested here


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_keeps_its_contract(app, api_world, mode):
    """(The operations are walked here rather than by schemathesis's pytest plugin, which does not run on the
    pytest of this suite.)"""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 10
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)
        def keeps_its_contract(case):
            case.call_and_validate(headers={"Authorization": f"Bearer {api_world}"}, checks=CHECKS)

        keeps_its_contract()
