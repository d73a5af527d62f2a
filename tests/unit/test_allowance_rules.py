"""Allowance rules: field examples of German pools, and properties against a brute-force reference.

The reference below is written independently of ``lotsen.billing.rules``: it walks the real time of an
assignment minute by minute (each minute read on the Berlin wall clock) and counts paid time step by step.
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from lotsen.billing.rules import (
    LineKind,
    Outcome,
    Rule,
    Tally,
    Travel,
    Work,
    allowance,
    month,
    paid_minutes,
)

BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.timezone.utc
D = Decimal


def at(day: str, time: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time.fromisoformat(time), BERLIN)


def work(start="2026-03-10 09:00", end="2026-03-10 10:30", outcome=Outcome.TOOK_PLACE, **more) -> Work:
    return Work(outcome, at(*start.split()), at(*end.split()), **more)


def lines(result) -> list[tuple[str, Decimal, Decimal]]:
    return [(line.kind.value, line.quantity, line.amount) for line in result.lines]


# ---- field examples ---------------------------------------------------------------------------------------------

BIELEFELD = Rule(per_hour=D("15.00"), step_minutes=30, travel=Travel.TIME, travel_max_minutes=60,
                 late_cancel_minutes=120, late_cancel_travel=True)


def test_bielefeld_pays_per_started_half_hour_and_travel_time_up_to_an_hour():
    result = allowance(work(end="2026-03-10 10:05", travel_minutes=75), BIELEFELD)
    assert lines(result) == [("time", D(90), D("22.50")), ("travel_time", D(60), D("15.00"))]
    assert result.total == D("37.50") and result.paid_minutes == 90


def test_bielefeld_pays_a_late_cancellation_travel_plus_at_most_two_hours():
    planned_three_hours = work(end="2026-03-10 12:00", outcome=Outcome.LATE_CANCELLED, travel_minutes=20)
    assert lines(allowance(planned_three_hours, BIELEFELD)) == [("late_cancel", D(120), D("30.00")),
                                                                 ("travel_time", D(30), D("7.50"))]
    planned_one_hour = work(end="2026-03-10 10:00", outcome=Outcome.NO_SHOW)
    assert allowance(planned_one_hour, BIELEFELD).total == D("15.00")  # no more than was planned
    other = work(outcome=Outcome.DID_NOT_TAKE_PLACE, travel_minutes=20)
    assert allowance(other, BIELEFELD).lines == ()


def test_brandenburg_pays_the_first_started_hour_in_full_then_half_hours_and_travel_by_zone():
    rule = Rule(per_hour=D("18.00"), first_hour_full=True, step_minutes=30, travel=Travel.ZONE,
                zones=((10, D("5.00")), (25, D("10.00")), (50, D("15.00"))))
    assert lines(allowance(work(end="2026-03-10 09:20", travel_km=D("8")), rule)) == [
        ("time", D(60), D("18.00")), ("travel_zone", D(8), D("5.00"))]
    assert lines(allowance(work(end="2026-03-10 10:01", travel_km=D("30.5")), rule)) == [
        ("time", D(90), D("27.00")), ("travel_zone", D("30.5"), D("15.00"))]
    assert allowance(work(travel_km=D("80")), rule).lines[-1].amount == D("15.00")  # beyond the last zone


def test_hessen_wir_interpreters_are_paid_per_assignment_at_most_five_times_per_client():
    rule = Rule(per_hour=D("0"), flat_per_assignment=D("20.00"), travel=Travel.NONE, per_client_cap=5)
    works = [work(client="JC-17") for _ in range(4)] + [work(client="JC-99")]
    priced = month(works, [rule] * len(works), tally=Tally(client_counts={"JC-17": 2}))
    assert [p.total for p in priced] == [D("20.00"), D("20.00"), D("20.00"), D("0.00"), D("20.00")]
    assert priced[3].lines[-1].kind is LineKind.CLIENT_CAP


def test_hessen_wir_lotsen_stop_being_paid_at_the_yearly_hour_cap():
    rule = Rule(per_hour=D("5.00"), step_minutes=15, travel=Travel.NONE, yearly_hour_cap=276)
    two_hours = work(end="2026-03-10 11:00")
    priced = month([two_hours, two_hours], [rule] * 2, tally=Tally(year_minutes=275 * 60))
    assert [p.total for p in priced] == [D("5.00"), D("0.00")]
    assert [p.paid_minutes for p in priced] == [60, 0]
    assert priced[0].lines[-1].kind is LineKind.HOUR_CAP and priced[0].lines[-1].amount == D("-5.00")


def test_sachsen_anhalt_caps_a_month_at_200_euros():
    rule = Rule(per_hour=D("12.00"), travel=Travel.NONE, monthly_cap=D("200"))
    eight_hours = work(end="2026-03-10 17:00")
    priced = month([eight_hours] * 3, [rule] * 3)
    assert [p.total for p in priced] == [D("96.00"), D("96.00"), D("8.00")]
    assert sum(p.total for p in priced) == D("200.00")


def test_nights_sundays_and_holidays_pay_surcharges_on_the_minutes_worked_in_them():
    rule = Rule(per_hour=D("20.00"), step_minutes=1, travel=Travel.KM, per_km=D("0.30"), night_percent=25,
                sunday_percent=50, holiday_percent=125)
    # Saturday 21:00 to Sunday 01:00: one hour plain, two of Saturday night, one of Sunday night (where the
    # Sunday's 50 % beats the night's 25 %)
    result = allowance(work("2026-03-14 21:00", "2026-03-15 01:00", travel_km=D("12")), rule)
    assert lines(result) == [("time", D(240), D("80.00")), ("night", D(120), D("10.00")),
                             ("sunday", D(60), D("10.00")), ("travel_km", D(12), D("3.60"))]
    christmas = allowance(work("2026-12-25 10:00", "2026-12-25 11:30"), rule, holidays={dt.date(2026, 12, 25)})
    assert lines(christmas) == [("time", D(90), D("30.00")), ("holiday", D(90), D("37.50"))]


def test_waiting_time_counts_as_work_when_the_rule_says_so():
    waited = work(end="2026-03-10 09:40", waiting_minutes=25)
    assert allowance(waited, Rule(step_minutes=15, travel=Travel.NONE)).paid_minutes == 75
    assert allowance(waited, Rule(step_minutes=15, travel=Travel.NONE, waiting_paid=False)).paid_minutes == 45


def test_the_night_before_the_clocks_go_forward_has_one_hour_less():
    rule = Rule(per_hour=D("10.00"), step_minutes=1, travel=Travel.NONE, night_percent=100)
    # 29 March 2026: 01:00 to 04:00 on the wall clock are two real hours, both at night.
    assert lines(allowance(work("2026-03-29 01:00", "2026-03-29 04:00"), rule)) == [
        ("time", D(120), D("20.00")), ("night", D(120), D("20.00"))]


def test_a_rule_survives_its_way_through_json():
    rule = Rule(per_hour=D("18.50"), first_hour_full=True, travel=Travel.ZONE, zones=((10, D("5.00")),),
                night_from=dt.time(21, 30), per_client_cap=5, monthly_cap=D("200.00"))
    assert Rule.from_json(rule.to_json()) == rule
    assert Rule.from_json({"unknown": 1, "per_hour": "9.00"}) == Rule(per_hour=D("9.00"))


# ---- properties against the reference ----------------------------------------------------------------------------

def reference_paid_minutes(minutes: int, rule: Rule) -> int:
    """Count paid time step by step: the first hour as one block if the rule says so, then started steps."""
    paid = 0
    left = minutes
    if left > 0 and rule.first_hour_full:
        paid, left = 60, left - 60
    step = max(1, rule.step_minutes)
    while left > 0:
        paid += step
        left -= step
    return max(paid, rule.minimum_minutes) if minutes > 0 else 0


def reference_surcharges(work: Work, rule: Rule, holidays) -> dict[str, int]:
    counts = {"night": 0, "sunday": 0, "holiday": 0}
    moment = work.starts.astimezone(UTC)
    end = work.ends.astimezone(UTC)
    while moment < end:
        local = moment.astimezone(BERLIN)
        wall = local.time()
        if rule.night_from < rule.night_until:
            night = rule.night_from <= wall < rule.night_until
        else:
            night = wall >= rule.night_from or wall < rule.night_until
        candidates = []
        if rule.night_percent and night:
            candidates.append((rule.night_percent, "night"))
        if rule.sunday_percent and local.weekday() == 6:
            candidates.append((rule.sunday_percent, "sunday"))
        if rule.holiday_percent and local.date() in holidays:
            candidates.append((rule.holiday_percent, "holiday"))
        if candidates:
            counts[max(candidates)[1]] += 1
        moment += dt.timedelta(minutes=1)
    return counts


rules = st.builds(
    Rule,
    per_hour=st.decimals(min_value=1, max_value=40, places=2),
    step_minutes=st.sampled_from([1, 15, 30, 60]),
    first_hour_full=st.booleans(),
    minimum_minutes=st.sampled_from([0, 30, 60, 120]),
    waiting_paid=st.booleans(),
    travel=st.just(Travel.NONE),
    night_percent=st.sampled_from([0, 25, 40]),
    night_from=st.sampled_from([dt.time(20), dt.time(22), dt.time(23, 30)]),
    night_until=st.sampled_from([dt.time(5), dt.time(6)]),
    sunday_percent=st.sampled_from([0, 50]),
    holiday_percent=st.sampled_from([0, 125]),
)
starts = st.datetimes(min_value=dt.datetime(2026, 3, 27), max_value=dt.datetime(2026, 11, 2)).map(
    lambda moment: moment.replace(second=0, microsecond=0, tzinfo=BERLIN))
HOLIDAYS = {dt.date(2026, 4, 3), dt.date(2026, 4, 6), dt.date(2026, 10, 3)}


@settings(max_examples=300, deadline=None)
@given(rule=rules, start=starts, minutes=st.integers(min_value=1, max_value=16 * 60),
       waiting=st.integers(min_value=0, max_value=90))
def test_time_and_surcharges_agree_with_the_minute_by_minute_reference(rule, start, minutes, waiting):
    end = (start.astimezone(UTC) + dt.timedelta(minutes=minutes)).astimezone(BERLIN)
    item = Work(Outcome.TOOK_PLACE, start, end, waiting_minutes=waiting)
    result = allowance(item, rule, HOLIDAYS)
    worked = minutes + (waiting if rule.waiting_paid else 0)
    expected_paid = reference_paid_minutes(worked, rule)
    assert result.paid_minutes == expected_paid == paid_minutes(worked, rule)
    by_kind = {line.kind.value: line for line in result.lines}
    assert by_kind["time"].amount == (rule.per_hour * expected_paid / 60).quantize(D("0.01"), "ROUND_HALF_UP")
    surcharges = reference_surcharges(item, rule, HOLIDAYS)
    for kind, count in surcharges.items():
        if count:
            assert by_kind[kind].quantity == count
        else:
            assert kind not in by_kind
    assert result.total == sum(line.amount for line in result.lines)


@settings(max_examples=200, deadline=None)
@given(per_hour=st.decimals(min_value=1, max_value=30, places=2),
       hours=st.lists(st.integers(min_value=1, max_value=8), min_size=1, max_size=12),
       clients=st.lists(st.sampled_from(["A", "B", "C"]), min_size=12, max_size=12),
       client_cap=st.one_of(st.none(), st.integers(min_value=0, max_value=4)),
       hour_cap=st.one_of(st.none(), st.integers(min_value=0, max_value=40)),
       month_cap=st.one_of(st.none(), st.integers(min_value=0, max_value=300).map(Decimal)),
       year_before=st.integers(min_value=0, max_value=30).map(lambda hours: hours * 60))
def test_the_caps_agree_with_a_plain_reference(per_hour, hours, clients, client_cap, hour_cap, month_cap,
                                              year_before):
    rule = Rule(per_hour=per_hour, step_minutes=60, travel=Travel.NONE, per_client_cap=client_cap,
                yearly_hour_cap=hour_cap, monthly_cap=month_cap)
    works = [Work(Outcome.TOOK_PLACE, at("2026-03-02", "08:00") + dt.timedelta(days=n),
                  at("2026-03-02", "08:00") + dt.timedelta(days=n, hours=h), client=clients[n])
             for n, h in enumerate(hours)]
    priced = month(works, [rule] * len(works), tally=Tally(year_minutes=year_before))

    # The reference: hour by hour, client by client, euro by euro.
    seen: dict[str, int] = {}
    year, month_total, expected = year_before, D("0"), []
    for item, h in zip(works, hours):
        count = seen.get(item.client, 0)
        seen[item.client] = count + 1
        payable = 0 if client_cap is not None and count >= client_cap else h
        if hour_cap is not None:
            payable = min(payable, max(0, hour_cap - year // 60))
        year += payable * 60
        amount = (per_hour * payable).quantize(D("0.01"))
        if month_cap is not None:
            amount = max(D("0"), min(amount, month_cap - month_total))
        month_total += amount
        expected.append(amount)
    assert [p.total for p in priced] == expected
    if month_cap is not None:
        assert sum(p.total for p in priced) <= month_cap
