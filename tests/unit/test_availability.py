"""Merging and validating weekly windows, checked against a minute-by-minute reference."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from lotsen.volunteers.availability import Window, merge


def t(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def test_overlapping_windows_on_one_day_become_one():
    merged = merge([Window(0, t("09:00"), t("12:00")), Window(0, t("11:00"), t("14:00"))])
    assert merged == [Window(0, t("09:00"), t("14:00"))]


def test_touching_windows_merge_but_separate_ones_do_not():
    merged = merge([Window(1, t("09:00"), t("10:00")), Window(1, t("10:00"), t("11:00")),
                    Window(1, t("15:00"), t("16:00"))])
    assert merged == [Window(1, t("09:00"), t("11:00")), Window(1, t("15:00"), t("16:00"))]


def test_windows_on_other_days_or_with_other_validity_stay_apart():
    summer = dt.date(2026, 6, 1)
    merged = merge([Window(2, t("09:00"), t("12:00")), Window(3, t("09:00"), t("12:00")),
                    Window(2, t("10:00"), t("13:00"), valid_from=summer)])
    assert len(merged) == 3


def test_end_before_start_is_a_problem():
    assert Window(0, t("12:00"), t("09:00")).problems() == ["order"]
    assert Window(0, t("09:00"), t("09:00")).problems() == ["order"]
    assert Window(0, t("09:00"), t("10:00"), dt.date(2026, 2, 1), dt.date(2026, 1, 1)).problems() == ["validity"]


quarter_hours = st.integers(min_value=0, max_value=95)


@st.composite
def windows(draw):
    weekday = draw(st.integers(min_value=0, max_value=1))
    start = draw(quarter_hours)
    end = draw(st.integers(min_value=start + 1, max_value=96))
    as_time = lambda q: dt.time.max if q == 96 else dt.time(q // 4, q % 4 * 15)  # noqa: E731
    return Window(weekday, as_time(start), as_time(end))


def _minutes(ws):
    covered = set()
    for w in ws:
        start = w.starts.hour * 60 + w.starts.minute
        end = 24 * 60 if w.ends == dt.time.max else w.ends.hour * 60 + w.ends.minute
        covered |= {(w.weekday, m) for m in range(start, end)}
    return covered


@given(st.lists(windows(), max_size=8))
def test_merging_covers_exactly_the_same_minutes_with_disjoint_windows(ws):
    merged = merge(ws)
    assert _minutes(merged) == _minutes(ws)
    for a, b in zip(merged, merged[1:]):
        if a.weekday == b.weekday:
            assert a.ends < b.starts
