"""Local times across daylight saving, lead time in working days, and the life-cycle table."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from lotsen.requests.lifecycle import ACTIVE, TRANSITIONS, Action, RequestStatus, TransitionError, can, next_status
from lotsen.public_holidays import HolidayCalendar
from lotsen.requests.timing import NonexistentTime, add_working_days, earliest_regular_day, repeat, to_utc

BERLIN = ZoneInfo("Europe/Berlin")


def test_winter_and_summer_times_convert_to_utc():
    assert to_utc(dt.date(2026, 1, 15), dt.time(9, 0), BERLIN) == dt.datetime(2026, 1, 15, 8, 0, tzinfo=dt.timezone.utc)
    assert to_utc(dt.date(2026, 7, 15), dt.time(9, 0), BERLIN) == dt.datetime(2026, 7, 15, 7, 0, tzinfo=dt.timezone.utc)


def test_half_past_two_on_the_spring_forward_day_does_not_exist():
    with pytest.raises(NonexistentTime):
        to_utc(dt.date(2026, 3, 29), dt.time(2, 30), BERLIN)
    assert to_utc(dt.date(2026, 3, 29), dt.time(3, 0), BERLIN).hour == 1


def test_the_repeated_autumn_hour_means_its_first_occurrence():
    first = to_utc(dt.date(2026, 10, 25), dt.time(2, 30), BERLIN)
    assert first == dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.timezone.utc)


def test_working_days_skip_weekends():
    friday = dt.date(2026, 11, 20)
    assert add_working_days(friday, 1) == dt.date(2026, 11, 23)
    assert add_working_days(friday, 3) == dt.date(2026, 11, 25)
    assert earliest_regular_day(dt.date(2026, 11, 22), 3) == dt.date(2026, 11, 25)  # from a Sunday
    assert add_working_days(friday, 0) == friday


def test_a_weekly_series_keeps_the_local_time_across_the_clock_change():
    days = repeat(dt.date(2026, 3, 23), 7, 2)
    times = [to_utc(day, dt.time(9, 0), BERLIN).astimezone(BERLIN).time() for day in days]
    assert times == [dt.time(9, 0), dt.time(9, 0)]
    assert repeat(dt.date(2026, 1, 1), 14, 3) == [dt.date(2026, 1, 1), dt.date(2026, 1, 15), dt.date(2026, 1, 29)]


def test_the_life_cycle_allows_exactly_its_table():
    assert next_status(RequestStatus.OPEN, Action.OFFER) is RequestStatus.OFFERED
    assert next_status(RequestStatus.OFFERED, Action.CONFIRM) is RequestStatus.CONFIRMED
    assert next_status(RequestStatus.CONFIRMED, Action.COMPLETE) is RequestStatus.COMPLETED
    for finished in (RequestStatus.COMPLETED, RequestStatus.CANCELLED, RequestStatus.UNFILLED):
        assert not any(can(finished, action) for action in Action)
        assert finished not in ACTIVE
    assert not can(RequestStatus.CONFIRMED, Action.EDIT)
    assert not can(RequestStatus.CONFIRMED, Action.MARK_UNFILLED)
    with pytest.raises(TransitionError):
        next_status(RequestStatus.CANCELLED, Action.CANCEL)
    assert all(target in RequestStatus for target in TRANSITIONS.values())


def test_working_days_skip_the_public_holidays_of_the_office_s_land():
    hessen, berlin = HolidayCalendar("HE"), HolidayCalendar("BE")
    # Corpus Christi (Thursday 4 June 2026) is a holiday in Hessen, not in Berlin.
    wednesday = dt.date(2026, 6, 3)
    assert add_working_days(wednesday, 1, hessen) == dt.date(2026, 6, 5)
    assert add_working_days(wednesday, 1, berlin) == dt.date(2026, 6, 4)
    # Over Christmas and New Year: 24 and 31 December are working days, the 25th, 26th and 1st are not.
    assert add_working_days(dt.date(2026, 12, 23), 3, berlin) == dt.date(2026, 12, 29)
    assert earliest_regular_day(dt.date(2026, 12, 30), 2, berlin) == dt.date(2027, 1, 4)
    # Women's Day is Berlin's alone.
    assert dt.date(2027, 3, 8) in berlin and dt.date(2027, 3, 8) not in hessen


def test_a_day_is_flagged_with_the_holiday_s_name_in_the_reader_s_language():
    hessen = HolidayCalendar("HE")
    assert hessen.flag(dt.date(2026, 12, 25), "de") == "Erster Weihnachtstag"
    assert hessen.flag(dt.date(2026, 12, 25), "en") == "Christmas Day"
    assert hessen.flag(dt.date(2026, 6, 4), "en") == "Corpus Christi"
    assert hessen.flag(dt.date(2026, 12, 24), "en") == "Christmas Eve"
    assert hessen.flag(dt.date(2026, 12, 31), "en") == "New Year's Eve"
    assert hessen.flag(dt.date(2026, 12, 22), "en") is None
    assert HolidayCalendar("no such Land").state == "DE"  # a stored value that is no Land counts nationwide
