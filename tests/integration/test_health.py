"""The health check answers load balancers: ok while the database serves, 503 when it does not."""

from lotsen import create_app
from tests.conftest import app_config


def test_health_check_answers_ok_without_signing_in(client, make_office):
    make_office()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok\n"
    assert response.mimetype == "text/plain"
    assert response.headers["Cache-Control"] == "no-store"


def test_health_check_answers_ok_before_any_office_exists(client):
    response = client.get("/healthz")
    assert (response.status_code, response.get_data(as_text=True)) == (200, "ok\n")


def test_health_check_reports_an_unreachable_database_as_unavailable(tmp_path):
    unreachable = f"sqlite:///{tmp_path / 'no-such-folder' / 'lotsen.db'}"
    app = create_app(app_config(unreachable, tmp_path))
    response = app.test_client().get("/healthz")
    app.extensions["lotsen.engine"].dispose()
    assert response.status_code == 503
    assert response.get_data(as_text=True) == "unavailable\n"
