"""Matching's index language_windows is kept by database triggers: it always equals windows joined with languages."""

import datetime as dt

import pytest
from sqlalchemy import delete, insert, select

from lotsen.auth.models import Role, User
from lotsen.languages import LanguageLevel
from lotsen.matching.models import LanguageWindow
from lotsen.volunteers.models import AvailabilityWindow, VolunteerLanguage


@pytest.fixture
def office(make_office):
    return make_office(name="Kreis Offenbach")


def add_language(session, user, code):
    session.add(VolunteerLanguage(volunteer_id=user.id, language=code, level=LanguageLevel.NATIVE, varieties=[]))


def add_window(session, user, weekday):
    session.add(AvailabilityWindow(volunteer_id=user.id, weekday=weekday, starts=dt.time(8), ends=dt.time(13)))


def test_language_windows_follow_every_change_of_windows_and_languages(session, office, make_user):
    def rows() -> set:
        return set(session.execute(select(LanguageWindow.volunteer_id, LanguageWindow.language, LanguageWindow.weekday,
                                          LanguageWindow.starts, LanguageWindow.ends, LanguageWindow.valid_until)))

    def joined() -> set:  # what the triggers keep them equal to
        return set(session.execute(
            select(AvailabilityWindow.volunteer_id, VolunteerLanguage.language, AvailabilityWindow.weekday,
                   AvailabilityWindow.starts, AvailabilityWindow.ends, AvailabilityWindow.valid_until)
            .join(VolunteerLanguage, VolunteerLanguage.volunteer_id == AvailabilityWindow.volunteer_id)))

    user, other = make_user(Role.VOLUNTEER, office=office), make_user(Role.VOLUNTEER, office=office)
    add_language(session, user, "ar")
    add_window(session, user, weekday=0)
    add_window(session, other, weekday=2)
    session.commit()
    assert rows() == joined() == {(user.id, "ar", 0, dt.time(8), dt.time(13), None)}
    add_language(session, other, "uk")
    add_language(session, user, "uk")
    session.commit()
    assert len(rows()) == 3 and rows() == joined()
    window = session.scalars(select(AvailabilityWindow).where(AvailabilityWindow.volunteer_id == user.id)).one()
    window.weekday, window.valid_until = 3, dt.date(2026, 12, 31)
    session.execute(insert(AvailabilityWindow.__table__), [  # not through the ORM
        {"volunteer_id": other.id, "weekday": 4, "starts": dt.time(9), "ends": dt.time(10)}])
    session.commit()
    assert len(rows()) == 4 and rows() == joined()
    session.execute(delete(VolunteerLanguage).where(VolunteerLanguage.volunteer_id == user.id,
                                                    VolunteerLanguage.language == "ar"))
    session.delete(session.get(User, other.id))  # windows and languages go with the volunteer
    session.commit()
    assert rows() == joined() == {(user.id, "uk", 3, dt.time(8), dt.time(13), dt.date(2026, 12, 31))}
