"""Allowance rules: what one assignment pays under a programme's rate, line by line. Pure, no I/O.

The office's programmes (e.g. "WIR-Lotsen", "WIR lay interpreters", "own budget") each have versioned rates;
the rate valid on an assignment's day applies, so a new rate never rewrites a past month. ``allowance`` prices
one record; ``month`` prices a volunteer's records of a month in order, applying the caps that span records
(per client, hours per year, amount per month). Amounts are Decimal euros rounded to cents per line.

Time is paid per started step (15, 30 or 60 minutes; 1 = to the minute), optionally with the first started
hour paid in full and a minimum; waiting time counts as work when the rule says so. Surcharges for nights,
Sundays and public holidays apply to the minutes actually worked in them; where several apply to a minute,
the highest does (they do not add up). Travel is paid by km, by time (at the hourly rate, up to a limit), or as
a flat amount by distance zone. A late cancellation or a client's no-show pays the minutes the rule names
(at most the planned duration) and, if the rule says so, the travel.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


class Travel(str, enum.Enum):
    NONE = "none"
    KM = "km"
    TIME = "time"
    ZONE = "zone"


class Outcome(str, enum.Enum):
    TOOK_PLACE = "took_place"
    LATE_CANCELLED = "late_cancelled"  # the agency cancelled inside the office's late-cancellation time
    NO_SHOW = "no_show"  # the volunteer came, the client did not
    DID_NOT_TAKE_PLACE = "did_not_take_place"  # for another reason: pays nothing

    @property
    def pays_as_cancelled(self) -> bool:
        return self in (Outcome.LATE_CANCELLED, Outcome.NO_SHOW)


@dataclass(frozen=True)
class Rule:
    """One version of a programme's rate. Every field is a setting of the office, none a constant."""

    per_hour: Decimal = Decimal("12.00")
    step_minutes: int = 30  # paid per started step: 1, 15, 30 or 60
    first_hour_full: bool = False
    minimum_minutes: int = 0  # paid at least this long when it took place
    waiting_paid: bool = True
    flat_per_assignment: Decimal = ZERO  # e.g. 20.00 per assignment whatever its length (then per_hour 0)
    travel: Travel = Travel.KM
    per_km: Decimal = Decimal("0.30")
    travel_max_minutes: int = 60  # travel by time: paid up to this, per the step, at the hourly rate
    zones: tuple[tuple[int, Decimal], ...] = ()  # travel by zone: (up to km, amount), ascending
    night_percent: int = 0
    night_from: dt.time = dt.time(22, 0)
    night_until: dt.time = dt.time(6, 0)
    sunday_percent: int = 0
    holiday_percent: int = 0
    late_cancel_minutes: int = 60  # a late cancellation or no-show pays this much time (at most the planned)
    late_cancel_travel: bool = True
    per_client_cap: int | None = None  # paid assignments per client (case number) and year
    yearly_hour_cap: int | None = None  # paid hours of time per volunteer and year
    monthly_cap: Decimal | None = None  # amount per volunteer and month

    def to_json(self) -> dict:
        data = dataclasses.asdict(self)
        for key, value in list(data.items()):
            if isinstance(value, Decimal):
                data[key] = str(value)
            elif isinstance(value, dt.time):
                data[key] = value.strftime("%H:%M")
            elif isinstance(value, Travel):
                data[key] = value.value
        data["zones"] = [[upto, str(amount)] for upto, amount in self.zones]
        return data

    @classmethod
    def from_json(cls, data: dict) -> Rule:
        known = {f.name: f for f in dataclasses.fields(cls)}
        values = {}
        for key, raw in data.items():
            if key not in known or raw is None:
                continue
            default = getattr(cls(), key)
            if key == "zones":
                values[key] = tuple((int(upto), Decimal(amount)) for upto, amount in raw)
            elif key in ("per_client_cap", "yearly_hour_cap"):
                values[key] = int(raw)
            elif key == "monthly_cap":
                values[key] = Decimal(raw)
            elif isinstance(default, bool):
                values[key] = bool(raw)
            elif isinstance(default, Decimal):
                values[key] = Decimal(raw)
            elif isinstance(default, dt.time):
                values[key] = dt.time.fromisoformat(raw)
            elif isinstance(default, Travel):
                values[key] = Travel(raw)
            else:
                values[key] = int(raw)
        return cls(**values)


@dataclass(frozen=True)
class Work:
    """What happened, in local wall-clock time (Europe/Berlin)."""

    outcome: Outcome
    starts: dt.datetime  # actual start (planned start when it did not take place)
    ends: dt.datetime  # actual end (planned end when it did not take place)
    waiting_minutes: int = 0
    travel_minutes: int = 0
    travel_km: Decimal = ZERO
    client: str = ""  # the pseudonymous case number, for a cap per client

    @property
    def minutes(self) -> int:
        return elapsed(self.starts, self.ends)


class LineKind(str, enum.Enum):
    TIME = "time"  # quantity: paid minutes, rate: per hour
    NIGHT = "night"  # quantity: minutes in the night, rate: surcharge per hour
    SUNDAY = "sunday"
    HOLIDAY = "holiday"
    FLAT = "flat"  # quantity 1
    TRAVEL_KM = "travel_km"  # quantity: km, rate: per km
    TRAVEL_TIME = "travel_time"  # quantity: paid minutes, rate: per hour
    TRAVEL_ZONE = "travel_zone"  # quantity: km, amount: the zone's flat amount
    LATE_CANCEL = "late_cancel"  # quantity: paid minutes, rate: per hour
    CLIENT_CAP = "client_cap"  # the amount taken off (negative): the client's assignments exceed the cap
    HOUR_CAP = "hour_cap"  # the year's hours exceed the cap
    MONTH_CAP = "month_cap"  # the month's amount exceeds the cap


@dataclass(frozen=True)
class Line:
    kind: LineKind
    quantity: Decimal
    rate: Decimal
    amount: Decimal
    percent: int = 0


@dataclass(frozen=True)
class Allowance:
    lines: tuple[Line, ...]
    paid_minutes: int = 0  # time paid (for the yearly hour cap and the funder's hours per volunteer)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)


def elapsed(starts: dt.datetime, ends: dt.datetime) -> int:
    """Whole minutes between two local times, as a clock on the wall would not say across a time change."""
    return max(0, int((ends.astimezone(dt.timezone.utc) - starts.astimezone(dt.timezone.utc)).total_seconds()
                      // 60))


def round_up(minutes: int, step: int) -> int:
    return -(-minutes // step) * step if minutes > 0 else 0


def paid_minutes(minutes: int, rule: Rule) -> int:
    """Worked minutes as paid: per started step, the first hour in full if the rule says so, the minimum."""
    if minutes <= 0:
        return 0
    step = max(1, rule.step_minutes)
    if rule.first_hour_full:
        paid = 60 if minutes <= 60 else 60 + round_up(minutes - 60, step)
    else:
        paid = round_up(minutes, step)
    return max(paid, rule.minimum_minutes)


def _at(rate: Decimal, minutes: int | Decimal) -> Decimal:
    return cents(rate * Decimal(minutes) / 60)


def _is_night(moment: dt.time, rule: Rule) -> bool:
    start, end = rule.night_from, rule.night_until
    return (start <= moment < end) if start < end else (moment >= start or moment < end)


def surcharge_minutes(starts: dt.datetime, ends: dt.datetime, rule: Rule,
                      holidays: Container[dt.date]) -> dict[LineKind, int]:
    """Minutes of the span under each surcharge, each minute counted under the highest that applies.

    Works on whole intervals: the span is cut at midnights and at the night's bounds, and each piece is
    judged once (the brute-force reference in the tests judges every minute).
    """
    counts = {LineKind.NIGHT: 0, LineKind.SUNDAY: 0, LineKind.HOLIDAY: 0}
    if ends <= starts:
        return counts
    cursor = starts
    while cursor < ends:
        day = cursor.date()
        cuts = [dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), cursor.tzinfo)]
        for bound in (rule.night_from, rule.night_until):
            at = dt.datetime.combine(day, bound, cursor.tzinfo)
            if at > cursor:
                cuts.append(at)
        piece_end = min([ends, *cuts])
        minutes = elapsed(cursor, piece_end)
        best = _highest(cursor, rule, holidays)
        if best is not None:
            counts[best] += minutes
        cursor = piece_end
    return counts


def _highest(moment: dt.datetime, rule: Rule, holidays: Container[dt.date]) -> LineKind | None:
    applying = []
    if rule.night_percent and _is_night(moment.time(), rule):
        applying.append((rule.night_percent, LineKind.NIGHT))
    if rule.sunday_percent and moment.weekday() == 6:
        applying.append((rule.sunday_percent, LineKind.SUNDAY))
    if rule.holiday_percent and moment.date() in holidays:
        applying.append((rule.holiday_percent, LineKind.HOLIDAY))
    return max(applying)[1] if applying else None


_PERCENT = {LineKind.NIGHT: "night_percent", LineKind.SUNDAY: "sunday_percent", LineKind.HOLIDAY: "holiday_percent"}


def _travel(work: Work, rule: Rule) -> list[Line]:
    if rule.travel is Travel.KM and work.travel_km > 0:
        return [Line(LineKind.TRAVEL_KM, work.travel_km, rule.per_km, cents(work.travel_km * rule.per_km))]
    if rule.travel is Travel.TIME and work.travel_minutes > 0:
        minutes = min(round_up(work.travel_minutes, max(1, rule.step_minutes)), rule.travel_max_minutes)
        return [Line(LineKind.TRAVEL_TIME, Decimal(minutes), rule.per_hour, _at(rule.per_hour, minutes))]
    if rule.travel is Travel.ZONE and work.travel_km > 0 and rule.zones:
        amount = next((amount for upto, amount in rule.zones if work.travel_km <= upto), rule.zones[-1][1])
        return [Line(LineKind.TRAVEL_ZONE, work.travel_km, amount, cents(amount))]
    return []


def allowance(work: Work, rule: Rule, holidays: Container[dt.date] = ()) -> Allowance:
    """What one record pays under ``rule``, before the caps that span records."""
    if work.outcome is Outcome.DID_NOT_TAKE_PLACE:
        return Allowance(())
    if work.outcome.pays_as_cancelled:
        minutes = min(rule.late_cancel_minutes, work.minutes)
        lines = [Line(LineKind.LATE_CANCEL, Decimal(minutes), rule.per_hour, _at(rule.per_hour, minutes))] \
            if minutes and rule.per_hour else []
        if rule.late_cancel_travel:
            lines += _travel(work, rule)
        return Allowance(tuple(lines), paid_minutes=minutes)
    worked = work.minutes + (work.waiting_minutes if rule.waiting_paid else 0)
    minutes = paid_minutes(worked, rule)
    lines = []
    if rule.flat_per_assignment:
        lines.append(Line(LineKind.FLAT, Decimal(1), rule.flat_per_assignment, cents(rule.flat_per_assignment)))
    if rule.per_hour and minutes:
        lines.append(Line(LineKind.TIME, Decimal(minutes), rule.per_hour, _at(rule.per_hour, minutes)))
        for kind, count in surcharge_minutes(work.starts, work.ends, rule, holidays).items():
            if count:
                percent = getattr(rule, _PERCENT[kind])
                rate = cents(rule.per_hour * percent / 100)
                lines.append(Line(kind, Decimal(count), rate, _at(rule.per_hour * percent / 100, count), percent))
    lines += _travel(work, rule)
    return Allowance(tuple(lines), paid_minutes=minutes if rule.per_hour else 0)


@dataclass
class Tally:
    """What came before the month being priced, for the caps that span records."""

    year_minutes: int = 0  # time paid this year before (same programme)
    client_counts: dict[str, int] = field(default_factory=dict)  # paid assignments per client this year before


def month(works: Sequence[Work], rules: Sequence[Rule], holidays: Container[dt.date] = (),
          tally: Tally | None = None) -> list[Allowance]:
    """Each record of one volunteer's month, in order, priced under the rule beside it (``rules[i]`` for
    ``works[i]``), with the caps applied as lines taking amounts off.

    ``tally`` (what the year held before) is brought up to date in place, so months can be priced in turn.
    """
    tally = tally if tally is not None else Tally()
    priced: list[Allowance] = []
    month_total = ZERO
    for work, rule in zip(works, rules, strict=True):
        single = allowance(work, rule, holidays)
        lines = list(single.lines)
        paid = single.paid_minutes
        if rule.per_client_cap is not None and work.client and single.total > 0:
            seen = tally.client_counts.get(work.client, 0)
            if seen >= rule.per_client_cap:
                lines.append(Line(LineKind.CLIENT_CAP, Decimal(seen), Decimal(rule.per_client_cap),
                                  -_sum(lines)))
                paid = 0
            tally.client_counts[work.client] = seen + 1
        if rule.yearly_hour_cap is not None and paid:
            left = max(0, rule.yearly_hour_cap * 60 - tally.year_minutes)
            if paid > left:
                over = paid - left
                lines.append(Line(LineKind.HOUR_CAP, Decimal(over), rule.per_hour, -_at(rule.per_hour, over)))
                paid = left
        tally.year_minutes += paid
        total = _sum(lines)
        if rule.monthly_cap is not None and month_total + total > rule.monthly_cap:
            cut = month_total + total - max(rule.monthly_cap, month_total)
            lines.append(Line(LineKind.MONTH_CAP, Decimal(1), rule.monthly_cap, -cut))
            total -= cut
        month_total += total
        priced.append(Allowance(tuple(lines), paid))
    return priced


def _sum(lines: Iterable[Line]) -> Decimal:
    return sum((line.amount for line in lines), ZERO)
