"""Pages speak the reader's language, including choices defined at import time."""

from lotsen.auth.models import Role


def test_select_options_follow_the_readers_language(client, login_as):
    login_as(Role.VOLUNTEER, locale="de")
    page = client.get("/profile/basics").get_data(as_text=True)
    assert "Muttersprache" in page and "Native speaker" not in page
    assert "Vor Ort" in page or "vor Ort" in page


def test_agency_types_are_translated(client, login_as):
    login_as(Role.COORDINATOR, locale="de")
    page = client.get("/agencies/new").get_data(as_text=True)
    assert "Ausländerbehörde" in page and "Immigration office" not in page
