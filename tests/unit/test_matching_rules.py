"""Matching rules: who qualifies, why not, in what order; checked against a brute-force reference.

The reference below is written independently of ``lotsen.matching.rules``: availability, absences and
travel are walked minute by minute over the real interval, each minute read on the Berlin wall clock.
Only ``distance_km`` (tested in test_geo) is shared.
"""

import datetime as dt
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from lotsen.distance import Point, distance_km
from lotsen.matching.rules import (
    Candidate,
    ExtraDate,
    Need,
    Ranked,
    Reason,
    Settings,
    Window,
    rank,
    reasons,
)

ROOT = Path(__file__).resolve().parents[2]
BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.timezone.utc
MINUTE = dt.timedelta(minutes=1)
LEVELS = {"basic": 1, "good": 2, "fluent": 3, "native": 4}


def test_rules_import_without_flask_or_sqlalchemy():
    code = ("import sys, lotsen.matching.rules\n"
            "print(sorted(m for m in sys.modules if m.startswith(('flask', 'sqlalchemy'))))\n"
            "print('lotsen.matching.rules' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[]", "True"]


# --- the reference ----------------------------------------------------------------------------------


def ref_travel(need: Need, candidate: Candidate, config: Settings) -> dt.timedelta:
    if need.mode != "on_site" or candidate.home is None or need.place is None:
        return dt.timedelta(0)
    return dt.timedelta(hours=distance_km(candidate.home, need.place) / config.travel_speed_kmh)


def ref_interval(need: Need, candidate: Candidate, config: Settings) -> tuple[dt.datetime, dt.datetime]:
    """The real (UTC) interval the volunteer is taken up, travel included."""
    travel = ref_travel(need, candidate, config)
    return need.starts_at.astimezone(UTC) - travel, need.ends_at.astimezone(UTC) + travel


def ref_local_minutes(start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """Every whole minute of real time touching [start, end), as naive Berlin wall-clock time."""
    minute = start.astimezone(UTC).replace(second=0, microsecond=0)
    found = []
    while minute < end:
        found.append(minute.astimezone(BERLIN).replace(tzinfo=None))
        minute += MINUTE
    return found


def ref_spans(candidate: Candidate, day: dt.date, slack: int) -> list[tuple[dt.datetime, dt.datetime]]:
    """Wall-clock spans offered on ``day``, each widened by ``slack`` minutes on both sides."""
    times = [(w.starts, w.ends) for w in candidate.windows
             if w.weekday == day.weekday() and (w.valid_from is None or w.valid_from <= day)
             and (w.valid_until is None or day <= w.valid_until)]
    times += [(e.starts, e.ends) for e in candidate.extra_dates if e.day == day]
    spans = []
    for starts, ends in times:
        high = (dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0)) if ends == dt.time.max
                else dt.datetime.combine(day, ends))
        widen = dt.timedelta(minutes=slack)
        spans.append((dt.datetime.combine(day, starts) - widen, high + widen))
    return spans


def ref_available(candidate: Candidate, minutes: list[dt.datetime], slack: int = 0) -> bool:
    """Each wall-clock minute lies in a span offered on its own day or, widened, on a day next to it."""
    spans_near: dict[dt.date, list] = {}
    for local in minutes:
        if local.date() not in spans_near:
            spans_near[local.date()] = [span for offset in (-1, 0, 1)
                                        for span in ref_spans(candidate, local.date() + dt.timedelta(offset), slack)]
        if not any(low <= local < high for low, high in spans_near[local.date()]):
            return False
    return True


def ref_reasons(need: Need, candidate: Candidate, now: dt.datetime, config: Settings) -> set[Reason]:
    failed = set()
    day = need.starts_at.astimezone(BERLIN).date()
    start, end = ref_interval(need, candidate, config)
    minutes = ref_local_minutes(start, end)
    if need.language not in candidate.languages:
        failed.add(Reason.LANGUAGE)
    if not {"interpreter": candidate.is_interpreter, "guide": candidate.is_guide}[need.kind]:
        failed.add(Reason.KIND)
    if need.mode not in candidate.modes:
        failed.add(Reason.MODE)
    if not candidate.is_vetted:
        failed.add(Reason.NOT_VETTED)
    if not candidate.is_active:
        failed.add(Reason.INACTIVE)
    if candidate.paused and not (candidate.paused_until is not None and candidate.paused_until <= day):
        failed.add(Reason.PAUSED)
    if not candidate.declaration_signed:
        failed.add(Reason.NO_DECLARATION)
    if candidate.certificate_valid_until is None or candidate.certificate_valid_until < day:
        failed.add(Reason.CERTIFICATE)
    if need.topic in candidate.topics_excluded:
        failed.add(Reason.TOPIC)
    if need.mode == "on_site":
        if candidate.home is None or need.place is None:
            failed.add(Reason.NO_HOME)
        elif distance_km(candidate.home, need.place) > candidate.radius_km:
            failed.add(Reason.TOO_FAR)
    if not ref_available(candidate, minutes):
        failed.add(Reason.UNAVAILABLE)
    if any(first <= local.date() <= last for first, last in candidate.absences for local in minutes):
        failed.add(Reason.ABSENT)
    if any(max(start, s.astimezone(UTC)) < min(end, e.astimezone(UTC)) for s, e in candidate.busy):
        failed.add(Reason.BUSY)
    if candidate.max_per_week is not None and candidate.count_week >= candidate.max_per_week:
        failed.add(Reason.WEEKLY_LIMIT)
    if candidate.max_per_month is not None and candidate.count_month >= candidate.max_per_month:
        failed.add(Reason.MONTHLY_LIMIT)
    on_call = need.is_urgent and candidate.short_notice  # urgent requests need no notice from them
    if need.starts_at.timestamp() - now.timestamp() < candidate.min_notice_hours * 3600 and not on_call:
        failed.add(Reason.SHORT_NOTICE)
    if need.gender and need.gender != candidate.gender:
        failed.add(Reason.GENDER)
    return failed


def ref_near_miss(need: Need, candidate: Candidate, failed: set[Reason], config: Settings,
                  now: dt.datetime) -> bool:
    if failed == {Reason.SHORT_NOTICE}:  # asked anyway for an urgent request, as long as it has not begun
        return need.is_urgent and need.starts_at > now
    if failed == {Reason.TOO_FAR}:
        return distance_km(candidate.home, need.place) <= candidate.radius_km + config.near_miss_km
    if failed == {Reason.UNAVAILABLE}:
        minutes = ref_local_minutes(*ref_interval(need, candidate, config))
        return ref_available(candidate, minutes, slack=config.near_miss_minutes)
    return False


# --- random pools around the daylight-saving switches -------------------------------------------------

SWITCHES = [dt.datetime(2026, 3, 29, 1, tzinfo=UTC), dt.datetime(2026, 10, 25, 1, tzinfo=UTC)]
# Berlin-aware inputs add and compare on the wall clock unless converted, so they come up most often.
ZONES = st.sampled_from([BERLIN, UTC, BERLIN, dt.timezone(dt.timedelta(hours=5, minutes=30))])
CENTRE = Point(50.0, 8.8)
QUARTER = dt.timedelta(minutes=15)
# Strategies are built once: building them inside every draw costs more than the tests themselves.
rarely = st.sampled_from([False] * 9 + [True])
offset = st.floats(min_value=-0.25, max_value=0.25, allow_nan=False)
points = st.builds(lambda lat, lon: Point(CENTRE.latitude + lat, CENTRE.longitude + lon), offset, offset)
languages = st.sampled_from(["ar", "fa", "uk"])
spoken = st.tuples(st.sampled_from(list(LEVELS)),
                   st.lists(st.sampled_from(["levantine", "iraqi"]), unique=True, max_size=2).map(tuple))
modes = st.sets(st.sampled_from(["on_site", "phone", "video"]))
day_shifts = st.integers(-3, 3).map(lambda n: dt.timedelta(days=n))
maybe_day_shift = st.one_of(st.none(), day_shifts)
limits = st.one_of(st.none(), st.integers(0, 3))
near_limit = st.sampled_from([0, -1, 1])
genders = st.sampled_from(["", "f", "m"])


def wall_time(minutes: int) -> dt.time:
    return dt.time.max if minutes >= 24 * 60 else dt.time(minutes // 60, minutes % 60)


def minutes_of(moment: dt.datetime) -> int:
    local = moment.astimezone(BERLIN)
    return local.hour * 60 + local.minute


@st.composite
def needs(draw, around_switch: bool = False) -> Need:
    # within a week either side of a clock change; often within two hours of it, or ending at local midnight
    switch = draw(st.sampled_from(SWITCHES))
    duration = draw(st.integers(1, 12)) * QUARTER
    near = "switch" if around_switch else draw(st.sampled_from(["week", "switch", "midnight"]))
    if near == "midnight":
        ends = dt.datetime.combine(switch.date() + draw(day_shifts), dt.time(0), BERLIN).astimezone(UTC)
        starts = ends - duration
    else:
        starts = switch + draw(st.integers(-7 * 96, 7 * 96) if near == "week" else st.integers(-8, 8)) * QUARTER
        ends = starts + duration
    zone = BERLIN if around_switch else draw(ZONES)
    return Need(kind=draw(st.sampled_from(["interpreter", "guide"])), language=draw(languages),
                mode=draw(st.sampled_from(["on_site", "phone", "video"])), starts_at=starts.astimezone(zone),
                ends_at=ends.astimezone(zone), topic=draw(st.sampled_from(["health", "school", "housing"])),
                place=None if draw(rarely) else draw(points), variety=draw(st.sampled_from(["", "levantine", "iraqi"])),
                gender=draw(st.sampled_from(["", "", "f", "m"])), is_urgent=draw(st.sampled_from([False, False, True])))


@st.composite
def offered_times(draw, start: dt.datetime, end: dt.datetime) -> tuple[dt.date, dt.time, dt.time]:
    """A day and wall-clock times that often just cover, or just miss, the interval [start, end)."""
    anchor = draw(st.sampled_from([start, end])).astimezone(BERLIN)
    day = anchor.date() + dt.timedelta(days=draw(st.sampled_from([0, 0, 0, -1, 1])))
    shape = draw(st.sampled_from(["edges", "random", "clock change"]))
    if shape == "edges":
        starts = minutes_of(start) - 5 * draw(st.integers(-8, 8))
        ends = minutes_of(end) + 5 * draw(st.integers(-8, 8))
    elif shape == "clock change":  # one edge at 02:00 or 03:00, where the clocks jump
        jump = draw(st.sampled_from([120, 180]))
        other = draw(st.sampled_from([minutes_of(start), minutes_of(end), 0, 240]))
        starts, ends = min(jump, other), max(jump, other)
    else:
        starts = 15 * draw(st.integers(0, 95))
        ends = starts + 15 * draw(st.integers(1, 96))
    starts, ends = max(0, min(starts, 24 * 60 - 15)), min(ends, 24 * 60)
    return day, wall_time(starts), wall_time(max(ends, starts + 15))


def shifted(day: dt.date, shift: dt.timedelta | None) -> dt.date | None:
    return None if shift is None else day + shift


FAMILIES = ["language", "kind", "mode", "vetting", "pause", "certificate", "topic", "home", "radius", "windows",
            "absences", "busy", "limits", "notice", "gender"]


@st.composite
def candidates(draw, need: Need, config: Settings, volunteer_id: int, focus: set[str], zones) -> Candidate:
    """A volunteer who meets the need, except that fields of some ``focus`` families are drawn at random."""
    day = need.starts_at.astimezone(BERLIN).date()
    odd = {family for family in sorted(focus) if draw(st.integers(0, 3))}  # three in four stray
    fields = {}
    if "language" in odd:
        fields["languages"] = {code: draw(spoken) for code in draw(st.sets(languages, max_size=2))}
    else:
        fields["languages"] = {need.language: draw(spoken)}
    if "kind" in odd:
        fields.update(is_interpreter=draw(st.booleans()), is_guide=draw(st.booleans()))
    else:
        fields.update(is_interpreter=need.kind == "interpreter" or draw(st.booleans()),
                      is_guide=need.kind == "guide" or draw(st.booleans()))
    fields["modes"] = frozenset(draw(modes) if "mode" in odd else {need.mode})
    if "vetting" in odd:
        fields.update(is_vetted=draw(st.booleans()), is_active=draw(st.booleans()),
                      declaration_signed=draw(st.booleans()))
    if "pause" in odd:
        until = draw(st.sampled_from([0, None, 1, -1]))
        fields.update(paused=draw(st.sampled_from([True, True, False])),
                      paused_until=None if until is None else day + dt.timedelta(days=until))
    fields["certificate_valid_until"] = (
        draw(st.sampled_from([day, None, day - dt.timedelta(days=1), day + dt.timedelta(days=1)]))
        if "certificate" in odd else day + dt.timedelta(days=365))
    if "topic" in odd:
        fields["topics_excluded"] = frozenset(draw(st.sets(st.sampled_from(["health", "school", "housing"]))))
    fields["home"] = None if "home" in odd else draw(points)
    if fields["home"] is None or need.place is None:
        fields["radius_km"] = draw(st.floats(min_value=0, max_value=40))
    else:  # often just beyond the radius, by about the near-miss slack
        beyond = config.near_miss_km + draw(st.sampled_from([0.0, -1.0, 1.0, -0.25, 0.25, 5.0]))
        reach = -beyond if "radius" in odd else draw(st.integers(0, 3))
        fields["radius_km"] = max(0.0, distance_km(fields["home"], need.place) + reach)
    if "windows" in odd:
        windows, extra_dates = [], []
        for _ in range(draw(st.integers(0, 3))):
            on, starts, ends = draw(offered_times(*ref_interval(need, Candidate(0, {}, home=fields["home"]), config)))
            if draw(st.integers(0, 3)) == 0:
                extra_dates.append(ExtraDate(on, starts, ends))
            else:
                valid_from, valid_until = draw(maybe_day_shift), draw(maybe_day_shift)
                windows.append(Window(on.weekday(), starts, ends, shifted(day, valid_from),
                                      shifted(day, valid_until)))
        fields.update(windows=tuple(windows), extra_dates=tuple(extra_dates))
    else:
        fields["windows"] = tuple(Window(weekday, dt.time(0), dt.time.max) for weekday in range(7))
    if "absences" in odd:  # often starting the day after the need, or ending the day before
        absences = []
        for _ in range(draw(st.integers(1, 2))):
            first = day + dt.timedelta(days=draw(st.sampled_from([1, -1, 0, 2, -3])))
            absences.append((first, first + dt.timedelta(days=draw(st.sampled_from([0, 0, 1, 3])))))
        fields["absences"] = tuple(absences)
    if "busy" in odd:  # often ending at the start or starting at the end, travel aside
        busy = []
        for _ in range(draw(st.integers(1, 2))):
            length = draw(st.integers(1, 12)) * QUARTER
            busy_start = draw(st.sampled_from([need.starts_at - length, need.ends_at, need.starts_at])).astimezone(UTC)
            busy_start += draw(st.sampled_from([0, 0, -1, 1, -4, 4])) * QUARTER
            zone = draw(zones)
            busy.append((busy_start.astimezone(zone), (busy_start + length).astimezone(zone)))
        fields["busy"] = tuple(busy)
    if "limits" in odd:  # counts at, just under or just over the limits
        week, month = draw(limits), draw(limits)
        fields.update(max_per_week=week, max_per_month=month, count_week=max(0, (week or 0) + draw(near_limit)),
                      count_month=max(0, (month or 0) + draw(near_limit)))
    if "notice" in odd:
        fields["min_notice_hours"] = draw(st.sampled_from([24, 48, 25, 23]))
        fields["short_notice"] = draw(st.booleans())
    fields["gender"] = draw(genders) if "gender" in odd or not need.gender else need.gender
    return Candidate(volunteer_id=volunteer_id, recent_30d=draw(st.integers(0, 4)), served_series=draw(st.booleans()),
                     served_client=draw(st.booleans()), **fields)


@st.composite
def scenarios(draw, focused: tuple[int, int] = (1, 3), families: list[str] = FAMILIES, around_switch: bool = False):
    """A need, a pool, now and settings; the pool's volunteers stray in a few families chosen per scenario."""
    need = draw(needs(around_switch))
    config = Settings(travel_speed_kmh=draw(st.sampled_from([30.0, 15.0, 50.0])),
                      near_miss_km=draw(st.sampled_from([5.0, 2.0])),
                      near_miss_minutes=draw(st.sampled_from([30, 15, 0])))
    ids = draw(st.lists(st.integers(1, 50), unique=True, min_size=draw(st.integers(0, 8)), max_size=8))
    focus = draw(st.sets(st.sampled_from(families), min_size=focused[0], max_size=focused[1]))
    zones = st.just(BERLIN) if around_switch else ZONES
    pool = [draw(candidates(need, config, volunteer_id, focus, zones)) for volunteer_id in ids]
    ahead = draw(st.sampled_from([24, 48, 0, 23, 25, 47, 49, 96]))  # around the notice volunteers ask for
    now = (need.starts_at.astimezone(UTC) - ahead * dt.timedelta(hours=1)).astimezone(draw(zones))
    return need, pool, now, config


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_ranked_excluded_and_near_misses_match_the_reference(scenario):
    assert_matches_reference(*scenario)


@settings(max_examples=100, deadline=None)
@given(scenarios(families=["windows", "busy", "notice", "absences", "radius"], around_switch=True))
def test_in_berlin_time_around_a_clock_change_they_still_match_the_reference(scenario):
    assert_matches_reference(*scenario)


def assert_matches_reference(need: Need, pool: list[Candidate], now: dt.datetime, config: Settings) -> None:
    outcome = rank(need, pool, now, config)
    ranked = [r.volunteer_id for r in outcome.ranked]
    excluded = {e.volunteer_id: e for e in outcome.excluded}
    assert sorted(ranked + list(excluded)) == sorted(c.volunteer_id for c in pool)
    for candidate in pool:
        expected = ref_reasons(need, candidate, now, config)
        if candidate.volunteer_id in ranked:
            assert expected == set(), candidate
        else:
            found = excluded[candidate.volunteer_id]
            assert len(found.reasons) == len(set(found.reasons))
            assert set(found.reasons) == expected, candidate
            assert found.near_miss == ref_near_miss(need, candidate, expected, config, now), candidate
    assert outcome.near_misses == [e for e in outcome.excluded if e.near_miss]


@settings(max_examples=200, deadline=None)
@given(scenarios(focused=(0, 1)), st.randoms(use_true_random=False))
def test_ranking_follows_the_preferences_whatever_the_input_order(scenario, random):
    need, pool, now, config = scenario
    outcome = rank(need, pool, now, config)
    by_id = {c.volunteer_id: c for c in pool}
    assert all(r.on_call == (need.is_urgent and by_id[r.volunteer_id].short_notice) for r in outcome.ranked)
    keys = [(not r.on_call, -r.score, r.distance_km or 0.0, r.volunteer_id) for r in outcome.ranked]
    assert keys == sorted(keys)  # the on-call list first when urgent, then by score, then deterministically
    shuffled = list(pool)
    random.shuffle(shuffled)
    again = rank(need, shuffled, now, config)
    assert again.ranked == outcome.ranked
    assert again.excluded == outcome.excluded
    for a in outcome.ranked:
        assert a.score == round(sum(a.parts.values()), 6)
        for b in outcome.ranked:
            assert_parts_follow_preferences(need, (a, by_id[a.volunteer_id]), (b, by_id[b.volunteer_id]))


def preference_keys(need: Need, candidate: Candidate) -> dict[str, float]:
    """Per part, a number that is larger for the volunteer the issue says to prefer."""
    level, varieties = candidate.languages[need.language]
    closer = -distance_km(candidate.home, need.place) if need.mode == "on_site" else 0.0
    return {"distance": closer, "load": -candidate.recent_30d, "level": LEVELS[level],
            "continuity": 2 if candidate.served_series else 1 if candidate.served_client else 0,
            "variety": 1 if need.variety and need.variety in varieties else 0}


def assert_parts_follow_preferences(need: Need, first: tuple[Ranked, Candidate], second: tuple[Ranked, Candidate]):
    """Each part of the score is higher for the volunteer the issue prefers in that respect, equal if neither is."""
    (a, a_candidate), (b, b_candidate) = first, second
    key_a, key_b = preference_keys(need, a_candidate), preference_keys(need, b_candidate)
    for part in key_a:
        if key_a[part] > key_b[part] and part == "distance":  # a few metres may round to the same part
            assert a.parts[part] >= b.parts[part], (part, a, b)
        elif key_a[part] > key_b[part]:
            assert a.parts[part] > b.parts[part], (part, a, b)
        elif key_a[part] == key_b[part]:
            assert a.parts[part] == b.parts[part], (part, a, b)


# --- explicit cases -------------------------------------------------------------------------------------

PLACE = Point(50.0086, 8.7772)  # Dietzenbach
KM_NORTH = 1 / 111.19508  # degrees of latitude per km on a sphere of radius 6371.0088 km
TUESDAY = dt.date(2026, 5, 12)
NOW = dt.datetime(2026, 1, 1, 8, 0, tzinfo=UTC)


def at(day: dt.date, clock: str) -> dt.datetime:
    """A Berlin wall-clock time as the UTC instant the app stores."""
    return dt.datetime.combine(day, dt.time.fromisoformat(clock), BERLIN).astimezone(UTC)


def north(km: float) -> Point:
    return Point(PLACE.latitude + km * KM_NORTH, PLACE.longitude)


def make_need(**fields) -> Need:
    values = dict(kind="interpreter", language="ar", mode="on_site", starts_at=at(TUESDAY, "10:00"),
                  ends_at=at(TUESDAY, "11:00"), topic="health", place=PLACE)
    return Need(**values | fields)


def make_volunteer(volunteer_id: int = 1, **fields) -> Candidate:
    values = dict(volunteer_id=volunteer_id, languages={"ar": ("fluent", ("levantine",))}, is_interpreter=True,
                  modes=frozenset({"on_site", "phone", "video"}), certificate_valid_until=dt.date(2030, 1, 1),
                  home=north(1), radius_km=10, windows=(Window(TUESDAY.weekday(), dt.time(8), dt.time(18)),))
    return Candidate(**values | fields)


def reasons_for(candidate: Candidate, need: Need | None = None, now: dt.datetime = NOW, **config) -> list[Reason]:
    return reasons(need or make_need(), candidate, now, Settings(**config))


def ranked_ids(*pool: Candidate, need: Need | None = None) -> list[int]:
    return [r.volunteer_id for r in rank(need or make_need(), list(pool), NOW).ranked]


def test_the_standard_volunteer_qualifies():
    assert reasons_for(make_volunteer()) == []
    assert ranked_ids(make_volunteer()) == [1]


def test_excludes_volunteer_who_does_not_speak_the_language():
    assert reasons_for(make_volunteer(languages={"fa": ("native", ())})) == [Reason.LANGUAGE]


def test_a_missing_variety_only_ranks_lower():
    need = make_need(variety="iraqi")
    assert reasons_for(make_volunteer(), need) == []


def test_excludes_volunteer_who_does_not_offer_the_kind():
    assert reasons_for(make_volunteer(is_interpreter=False, is_guide=True)) == [Reason.KIND]
    assert reasons_for(make_volunteer(), make_need(kind="guide")) == [Reason.KIND]


def test_excludes_volunteer_who_does_not_offer_the_mode():
    assert reasons_for(make_volunteer(modes=frozenset({"phone"}))) == [Reason.MODE]


def test_excludes_volunteer_who_is_not_vetted():
    assert reasons_for(make_volunteer(is_vetted=False)) == [Reason.NOT_VETTED]


def test_excludes_volunteer_who_is_inactive():
    assert reasons_for(make_volunteer(is_active=False)) == [Reason.INACTIVE]


def test_excludes_volunteer_who_is_paused():
    assert reasons_for(make_volunteer(paused=True)) == [Reason.PAUSED]
    assert reasons_for(make_volunteer(paused=True, paused_until=TUESDAY + dt.timedelta(days=1))) == [Reason.PAUSED]


def test_a_pause_ends_on_its_return_date():
    assert reasons_for(make_volunteer(paused=True, paused_until=TUESDAY)) == []


def test_excludes_volunteer_without_a_signed_declaration():
    assert reasons_for(make_volunteer(declaration_signed=False)) == [Reason.NO_DECLARATION]


def test_excludes_volunteer_whose_certificate_was_never_checked():
    assert reasons_for(make_volunteer(certificate_valid_until=None)) == [Reason.CERTIFICATE]


def test_a_certificate_expiring_the_day_before_fails_but_on_the_day_passes():
    assert reasons_for(make_volunteer(certificate_valid_until=TUESDAY - dt.timedelta(days=1))) == [Reason.CERTIFICATE]
    assert reasons_for(make_volunteer(certificate_valid_until=TUESDAY)) == []


def test_excludes_volunteer_who_excluded_the_topic():
    assert reasons_for(make_volunteer(topics_excluded=frozenset({"health"}))) == [Reason.TOPIC]
    assert reasons_for(make_volunteer(topics_excluded=frozenset({"court"}))) == []


def test_excludes_volunteer_without_a_home_for_on_site_only():
    assert reasons_for(make_volunteer(home=None)) == [Reason.NO_HOME]
    assert reasons_for(make_volunteer(home=None), make_need(mode="phone")) == []


def test_excludes_volunteer_who_lives_too_far():
    assert reasons_for(make_volunteer(home=north(12))) == [Reason.TOO_FAR]
    assert reasons_for(make_volunteer(home=north(12)), make_need(mode="video")) == []


def test_excludes_volunteer_who_is_unavailable():
    assert reasons_for(make_volunteer(windows=(Window(TUESDAY.weekday(), dt.time(14), dt.time(18)),))) == [
        Reason.UNAVAILABLE]
    assert reasons_for(make_volunteer(windows=())) == [Reason.UNAVAILABLE]


def test_a_window_valid_only_later_does_not_count_but_an_extra_date_does():
    later = Window(TUESDAY.weekday(), dt.time(8), dt.time(18), valid_from=TUESDAY + dt.timedelta(days=1))
    assert reasons_for(make_volunteer(windows=(later,))) == [Reason.UNAVAILABLE]
    extra = ExtraDate(TUESDAY, dt.time(9), dt.time(12))
    assert reasons_for(make_volunteer(windows=(later,), extra_dates=(extra,))) == []


def test_excludes_volunteer_who_is_absent():
    assert reasons_for(make_volunteer(absences=((TUESDAY, TUESDAY),))) == [Reason.ABSENT]


def test_excludes_volunteer_who_is_busy():
    other = (at(TUESDAY, "10:30"), at(TUESDAY, "12:00"))
    assert reasons_for(make_volunteer(busy=(other,))) == [Reason.BUSY]


def test_excludes_volunteer_who_reached_the_weekly_limit():
    assert reasons_for(make_volunteer(max_per_week=2, count_week=2)) == [Reason.WEEKLY_LIMIT]
    assert reasons_for(make_volunteer(max_per_week=2, count_week=1)) == []


def test_excludes_volunteer_who_reached_the_monthly_limit():
    assert reasons_for(make_volunteer(max_per_month=4, count_month=4)) == [Reason.MONTHLY_LIMIT]
    assert reasons_for(make_volunteer(max_per_month=4, count_month=3)) == []


def test_excludes_volunteer_when_the_notice_is_too_short():
    need = make_need()
    assert reasons_for(make_volunteer(min_notice_hours=48), need, now=need.starts_at - dt.timedelta(hours=47)) == [
        Reason.SHORT_NOTICE]
    assert reasons_for(make_volunteer(min_notice_hours=48), need, now=need.starts_at - dt.timedelta(hours=48)) == []


def test_excludes_volunteer_of_another_gender_when_asked():
    assert reasons_for(make_volunteer(gender="m"), make_need(gender="f")) == [Reason.GENDER]
    assert reasons_for(make_volunteer(gender="f"), make_need(gender="f")) == []
    assert reasons_for(make_volunteer(gender="m"), make_need(gender="")) == []


def test_travel_time_must_fit_the_window_on_site_but_not_by_phone():
    window = (Window(TUESDAY.weekday(), dt.time(9), dt.time(18)),)
    need = make_need(starts_at=at(TUESDAY, "09:00"), ends_at=at(TUESDAY, "10:00"))
    volunteer = make_volunteer(home=north(15), radius_km=20, windows=window)
    assert reasons_for(volunteer, need, travel_speed_kmh=30) == [Reason.UNAVAILABLE]
    assert reasons_for(volunteer, make_need(starts_at=need.starts_at, ends_at=need.ends_at, mode="phone")) == []
    assert reasons_for(volunteer, make_need(starts_at=at(TUESDAY, "09:31"), ends_at=at(TUESDAY, "10:00"))) == []


def test_absences_count_by_whole_days():
    day = dt.timedelta(days=1)
    assert reasons_for(make_volunteer(absences=((TUESDAY - 3 * day, TUESDAY - day),))) == []
    assert reasons_for(make_volunteer(absences=((TUESDAY, TUESDAY + 2 * day),))) == [Reason.ABSENT]
    assert reasons_for(make_volunteer(absences=((TUESDAY - 2 * day, TUESDAY),))) == [Reason.ABSENT]
    assert reasons_for(make_volunteer(absences=((TUESDAY + day, TUESDAY + day),))) == []


def test_an_appointment_ending_at_midnight_does_not_touch_the_next_days_absence():
    late = make_need(mode="phone", starts_at=at(TUESDAY, "23:00"), ends_at=at(TUESDAY + dt.timedelta(days=1), "00:00"))
    volunteer = make_volunteer(windows=(Window(TUESDAY.weekday(), dt.time(20), dt.time.max),))
    assert reasons_for(volunteer, late) == []
    next_day = TUESDAY + dt.timedelta(days=1)
    assert reasons_for(make_volunteer(windows=volunteer.windows, absences=((next_day, next_day),)), late) == []


def test_busy_intervals_may_touch_by_phone_but_not_with_travel_on_site():
    before = (at(TUESDAY, "09:00"), at(TUESDAY, "10:00"))
    after = (at(TUESDAY, "11:00"), at(TUESDAY, "12:00"))
    volunteer = make_volunteer(busy=(before, after))
    assert reasons_for(volunteer, make_need(mode="phone")) == []
    assert reasons_for(volunteer) == [Reason.BUSY]
    assert reasons_for(make_volunteer(busy=(before,))) == [Reason.BUSY]
    assert reasons_for(make_volunteer(busy=(after,))) == [Reason.BUSY]


SPRING = dt.date(2026, 3, 29)  # 02:00 CET becomes 03:00 CEST (01:00 UTC)
AUTUMN = dt.date(2026, 10, 25)  # 03:00 CEST becomes 02:00 CET (01:00 UTC)


def utc(day: dt.date, clock: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.fromisoformat(clock), UTC)


def sunday_volunteer(starts: str, ends: str, **fields) -> Candidate:
    return make_volunteer(windows=(Window(6, dt.time.fromisoformat(starts), dt.time.fromisoformat(ends)),), **fields)


def phone_need(starts_at: dt.datetime, ends_at: dt.datetime) -> Need:
    return make_need(mode="phone", starts_at=starts_at, ends_at=ends_at)


def test_the_spring_switch_reads_windows_on_the_wall_clock():
    volunteer = sunday_volunteer("01:00", "04:00")
    assert reasons_for(volunteer, phone_need(utc(SPRING, "01:00"), utc(SPRING, "01:30"))) == []  # 03:00 CEST
    assert reasons_for(volunteer, phone_need(utc(SPRING, "00:00"), utc(SPRING, "01:00"))) == []  # 01:00-03:00
    # 04:00-04:30 CEST: inside the window if the winter offset were used
    assert reasons_for(volunteer, phone_need(utc(SPRING, "02:00"), utc(SPRING, "02:30"))) == [Reason.UNAVAILABLE]
    # 03:00-04:00 CEST fits a 03:00 window; an hour earlier in winter time would not
    assert reasons_for(sunday_volunteer("03:00", "04:00"), phone_need(utc(SPRING, "01:00"), utc(SPRING, "02:00"))) == []


def test_the_autumn_switch_reads_windows_on_the_wall_clock():
    volunteer = sunday_volunteer("02:00", "03:00")
    assert reasons_for(volunteer, phone_need(utc(AUTUMN, "00:15"), utc(AUTUMN, "00:45"))) == []  # first 02:15
    assert reasons_for(volunteer, phone_need(utc(AUTUMN, "01:15"), utc(AUTUMN, "01:45"))) == []  # second 02:15
    # 02:30 CEST to 02:30 CET: an hour of real time, all of it between 02:00 and 03:00 on the wall
    assert reasons_for(volunteer, phone_need(utc(AUTUMN, "00:30"), utc(AUTUMN, "01:30"))) == []
    # ... but it passes 02:00-02:30 a second time, outside a window starting 02:30
    assert reasons_for(sunday_volunteer("02:30", "03:00"), phone_need(utc(AUTUMN, "00:30"), utc(AUTUMN, "01:30"))) == [
        Reason.UNAVAILABLE]
    morning = sunday_volunteer("08:00", "09:00")
    assert reasons_for(morning, phone_need(utc(AUTUMN, "07:00"), utc(AUTUMN, "08:00"))) == []  # 08:00 CET
    assert reasons_for(morning, phone_need(utc(AUTUMN, "06:00"), utc(AUTUMN, "07:00"))) == [Reason.UNAVAILABLE]


def test_travel_across_the_spring_switch_counts_real_minutes_when_given_berlin_time():
    # on site at 03:15 CEST, 15 km at 30 km/h: leaving half an hour earlier is 01:45 CET, not "02:45"
    need = make_need(starts_at=dt.datetime(2026, 3, 29, 3, 15, tzinfo=BERLIN),
                     ends_at=dt.datetime(2026, 3, 29, 4, 0, tzinfo=BERLIN))
    assert reasons_for(sunday_volunteer("01:40", "05:00", home=north(15), radius_km=20), need) == []
    assert reasons_for(sunday_volunteer("01:50", "05:00", home=north(15), radius_km=20), need) == [
        Reason.UNAVAILABLE]


def test_busy_times_in_the_repeated_autumn_hour_compare_as_real_time():
    need = phone_need(dt.datetime(2026, 10, 25, 2, 10, tzinfo=BERLIN), dt.datetime(2026, 10, 25, 2, 20, tzinfo=BERLIN))
    first_pass = (dt.datetime(2026, 10, 25, 2, 0, tzinfo=BERLIN), dt.datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN))
    second_pass = tuple(moment.replace(fold=1) for moment in first_pass)  # an hour later in real time
    assert reasons_for(sunday_volunteer("00:00", "12:00", busy=(first_pass,)), need) == [Reason.BUSY]
    assert reasons_for(sunday_volunteer("00:00", "12:00", busy=(second_pass,)), need) == []


def test_notice_counts_real_hours_across_the_autumn_switch():
    # Sunday 08:00 CET is 25 real hours after Saturday 08:00 CEST
    need = make_need(mode="phone", starts_at=dt.datetime(2026, 10, 25, 8, tzinfo=BERLIN),
                     ends_at=dt.datetime(2026, 10, 25, 9, tzinfo=BERLIN))
    saturday = dt.datetime(2026, 10, 24, 8, tzinfo=BERLIN)
    volunteer = sunday_volunteer("07:00", "10:00", min_notice_hours=25)
    assert reasons_for(volunteer, need, now=saturday) == []
    assert reasons_for(volunteer, need, now=saturday + dt.timedelta(minutes=1)) == [Reason.SHORT_NOTICE]


def test_a_near_miss_is_a_little_too_far_or_a_little_outside_the_window():
    need = make_need(mode="phone")
    outcome = rank(make_need(), [make_volunteer(1, home=north(13)), make_volunteer(2, home=north(16))], NOW,
                   Settings(near_miss_km=5))
    assert [(e.volunteer_id, e.near_miss) for e in outcome.excluded] == [(1, True), (2, False)]
    short = Window(TUESDAY.weekday(), dt.time(10, 20), dt.time(18))
    shorter = Window(TUESDAY.weekday(), dt.time(10, 40), dt.time(18))
    outcome = rank(need, [make_volunteer(3, windows=(short,)), make_volunteer(4, windows=(shorter,)),
                          make_volunteer(5, windows=(short,), gender="m")], NOW, Settings(near_miss_minutes=30))
    assert [e.volunteer_id for e in outcome.near_misses] == [3, 5]
    outcome = rank(make_need(mode="phone", gender="f"), [make_volunteer(5, windows=(short,), gender="m")], NOW)
    assert outcome.near_misses == []


def test_a_window_ending_a_little_early_is_a_near_miss_but_not_a_lot_early():
    need = make_need(mode="phone")  # 10:00-11:00
    early = [make_volunteer(volunteer_id, windows=(Window(TUESDAY.weekday(), dt.time(8), dt.time(10, minute)),))
             for volunteer_id, minute in ((1, 40), (2, 30), (3, 20))]
    outcome = rank(need, early, NOW, Settings(near_miss_minutes=30))
    assert [(e.volunteer_id, e.near_miss) for e in outcome.excluded] == [(1, True), (2, True), (3, False)]


def test_a_near_miss_by_phone_does_not_count_travel():
    late_start = make_volunteer(home=north(12), windows=(Window(TUESDAY.weekday(), dt.time(10, 20), dt.time(18)),))
    (excluded,) = rank(make_need(mode="phone"), [late_start], NOW, Settings(near_miss_minutes=30)).excluded
    assert excluded.reasons == (Reason.UNAVAILABLE,)
    assert excluded.near_miss


def test_windows_that_touch_cover_an_appointment_between_them():
    morning = Window(TUESDAY.weekday(), dt.time(8), dt.time(10, 30))
    noon = ExtraDate(TUESDAY, dt.time(10, 30), dt.time(13))
    assert reasons_for(make_volunteer(windows=(morning,), extra_dates=(noon,)), make_need(mode="phone")) == []


def test_prefers_volunteer_closer_to_site():
    assert ranked_ids(make_volunteer(1, home=north(8)), make_volunteer(2, home=north(2))) == [2, 1]


def test_prefers_closer_volunteer_whatever_their_own_radius():
    willing_to_travel = make_volunteer(1, home=north(8), radius_km=40)
    nearby = make_volunteer(2, home=north(3), radius_km=4)
    assert ranked_ids(willing_to_travel, nearby) == [2, 1]


def test_prefers_volunteer_with_fewer_recent_assignments():
    assert ranked_ids(make_volunteer(1, recent_30d=3), make_volunteer(2, recent_30d=1)) == [2, 1]


def test_prefers_native_over_basic_speaker():
    assert ranked_ids(make_volunteer(1, languages={"ar": ("basic", ())}),
                      make_volunteer(2, languages={"ar": ("native", ())})) == [2, 1]


def test_prefers_continuity_with_the_series_then_the_client():
    pool = [make_volunteer(1), make_volunteer(2, served_client=True), make_volunteer(3, served_series=True)]
    assert ranked_ids(*pool) == [3, 2, 1]


def test_prefers_volunteer_with_the_asked_variety():
    need = make_need(variety="iraqi")
    assert ranked_ids(make_volunteer(1), make_volunteer(2, languages={"ar": ("fluent", ("iraqi",))}), need=need) == [
        2, 1]


def test_ties_break_by_volunteer_id():
    assert ranked_ids(make_volunteer(7), make_volunteer(3), make_volunteer(5)) == [3, 5, 7]


def test_every_part_of_the_score_is_shown():
    (ranked,) = rank(make_need(), [make_volunteer()], NOW).ranked
    assert set(ranked.parts) == {"distance", "load", "level", "continuity", "variety"}
    assert ranked.score == round(sum(ranked.parts.values()), 6)


def test_an_urgent_request_stretches_the_notice_and_ranks_the_on_call_list_first():
    now = at(TUESDAY, "08:00")  # two hours before the need
    urgent = make_need(is_urgent=True)
    nearest = make_volunteer(1, min_notice_hours=24, home=north(0.5))
    on_call = make_volunteer(2, min_notice_hours=24, short_notice=True, home=north(8))
    ready = make_volunteer(3, min_notice_hours=0, home=north(3))
    outcome = rank(urgent, [nearest, on_call, ready], now)
    assert [r.volunteer_id for r in outcome.ranked] == [2, 3]  # on call first, though farther
    assert [r.on_call for r in outcome.ranked] == [True, False]
    assert [(e.volunteer_id, e.reasons, e.near_miss) for e in outcome.excluded] == [(1, (Reason.SHORT_NOTICE,), True)]

    regular = rank(make_need(), [nearest, on_call, ready], now)
    assert [r.volunteer_id for r in regular.ranked] == [3]  # without the flag, notice holds for everyone
    assert [(e.volunteer_id, e.near_miss) for e in regular.excluded] == [(1, False), (2, False)]
