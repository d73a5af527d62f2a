"""Who can take a request, in what order, and why everyone else cannot.

PURE: plain dataclasses in, ranked candidates with a score breakdown and, for everyone
left out, the list of reasons out. Standard library only; no clock is read here.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from lotsen.distance import Point, distance_km
from lotsen.matching.wall_clock import NO_SLACK, TICK, covered, utc, wall_stretches

LEVEL_RANK = {"native": 4, "fluent": 3, "good": 2, "basic": 1}
HOUR = dt.timedelta(hours=1)
STEADY_REACH = dt.timedelta(days=1)  # travel up to this long is read on a steady wall clock (see _Judge.interval)


class Reason(str, enum.Enum):
    """A hard constraint a volunteer fails."""

    LANGUAGE = "language"
    KIND = "kind"
    MODE = "mode"
    NOT_VETTED = "not_vetted"
    INACTIVE = "inactive"
    PAUSED = "paused"
    NO_DECLARATION = "no_declaration"
    CERTIFICATE = "certificate"
    TOPIC = "topic"
    NO_HOME = "no_home"
    TOO_FAR = "too_far"
    UNAVAILABLE = "unavailable"
    ABSENT = "absent"
    BUSY = "busy"
    WEEKLY_LIMIT = "weekly_limit"
    MONTHLY_LIMIT = "monthly_limit"
    SHORT_NOTICE = "short_notice"
    GENDER = "gender"


# Constraints a coordinator may knowingly stretch for one request ("near misses"); for an urgent request
# the volunteer's minimum notice too (they may still be glad to help; the coordinator asks and says why).
SOFTABLE = frozenset({Reason.TOO_FAR, Reason.UNAVAILABLE})
SOFTABLE_WHEN_URGENT = SOFTABLE | {Reason.SHORT_NOTICE}


@dataclass(frozen=True)
class Need:
    """What a request asks for."""

    kind: str  # "interpreter" or "guide"
    language: str
    mode: str  # "on_site", "phone" or "video"
    starts_at: dt.datetime  # timezone-aware
    ends_at: dt.datetime
    topic: str
    place: Point | None = None
    variety: str = ""
    gender: str = ""
    series_id: int | None = None
    client_reference: str = ""
    zone: str = "Europe/Berlin"
    is_urgent: bool = False  # same-day help: notice is stretchable, the on-call list ranks first


@dataclass(frozen=True)
class Window:
    weekday: int  # 0 = Monday, local time
    starts: dt.time
    ends: dt.time
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None


@dataclass(frozen=True)
class ExtraDate:
    day: dt.date
    starts: dt.time
    ends: dt.time


# Candidates and their rankings are made by the thousand per match: plain slotted dataclasses are built
# in a third of the time of frozen ones (which pay a setattr per field). Nothing here changes them.
@dataclass(slots=True)
class Candidate:
    """A volunteer as matching sees them."""

    volunteer_id: int
    languages: dict[str, tuple[str, tuple[str, ...]]]  # code -> (level, varieties)
    is_guide: bool = False
    is_interpreter: bool = True
    modes: frozenset[str] = frozenset({"on_site"})
    is_vetted: bool = True
    is_active: bool = True
    paused: bool = False
    paused_until: dt.date | None = None
    declaration_signed: bool = True
    certificate_valid_until: dt.date | None = None  # None: never checked
    topics_excluded: frozenset[str] = frozenset()
    home: Point | None = None
    radius_km: float = 10
    windows: tuple[Window, ...] = ()
    extra_dates: tuple[ExtraDate, ...] = ()
    absences: tuple[tuple[dt.date, dt.date], ...] = ()  # inclusive
    busy: tuple[tuple[dt.datetime, dt.datetime], ...] = ()  # other confirmed assignments
    max_per_week: int | None = None
    max_per_month: int | None = None
    count_week: int = 0  # confirmed assignments in the need's week
    count_month: int = 0  # ... and month
    recent_30d: int = 0
    min_notice_hours: int = 0
    short_notice: bool = False  # on the office's on-call list: urgent requests need no notice from them
    gender: str = ""
    served_series: bool = False  # took earlier dates of the same series
    served_client: bool = False  # took earlier requests with the same client reference


@dataclass(frozen=True)
class Weights:
    distance: float = 3
    load: float = 3
    level: float = 2
    continuity: float = 4
    variety: float = 2


@dataclass(frozen=True)
class Settings:
    weights: Weights = field(default_factory=Weights)
    travel_speed_kmh: float = 30.0  # straight-line km per hour, to estimate travel time
    distance_scale_km: float = 10.0  # the distance part halves at this distance
    near_miss_km: float = 5.0
    near_miss_minutes: int = 30


@dataclass(slots=True)
class Ranked:
    volunteer_id: int
    score: float
    parts: dict[str, float]  # weighted contribution of each part
    distance_km: float | None
    level: str
    on_call: bool = False  # ranked first because the request is urgent and they take short notice


@dataclass(frozen=True)
class Excluded:
    volunteer_id: int
    reasons: tuple[Reason, ...]
    distance_km: float | None = None
    near_miss: bool = False  # fails one stretchable constraint, by no more than the allowed slack


@dataclass
class Outcome:
    ranked: list[Ranked]
    excluded: list[Excluded]

    @property
    def near_misses(self) -> list[Excluded]:
        return [e for e in self.excluded if e.near_miss]


def travel_minutes(distance: float | None, settings: Settings) -> float:
    return 0.0 if distance is None else distance / settings.travel_speed_kmh * 60


def is_available(candidate: Candidate, start: dt.datetime, end: dt.datetime, slack: int = 0) -> bool:
    """Every minute of [start, end), read on the wall clock of start's zone, lies in a weekly window
    valid that day or in an extra date (windows that touch or overlap join; midnight may be crossed)."""
    return covered(candidate.windows, candidate.extra_dates, wall_stretches(start, end), dt.timedelta(minutes=slack))


class _Judge:
    """One need, with what every candidate is measured against worked out once: ``rank`` judges hundreds."""

    def __init__(self, need: Need, now: dt.datetime, settings: Settings):
        self.need, self.settings = need, settings
        self.zone = ZoneInfo(need.zone)
        self.starts_at, self.ends_at = utc(need.starts_at), utc(need.ends_at)
        self.day = need.starts_at.astimezone(self.zone).date()
        self.ahead = self.starts_at - utc(now)
        self.on_site = need.mode == "on_site"
        self.near_miss_slack = dt.timedelta(minutes=settings.near_miss_minutes)
        self.softable = SOFTABLE_WHEN_URGENT if need.is_urgent else SOFTABLE
        self._unwidened: tuple | None = None  # see interval()
        self._steady: tuple | None = None

    def distance(self, candidate: Candidate) -> float | None:
        """Straight-line km from home to the place, for on-site needs where both are known."""
        if self.on_site and candidate.home is not None and self.need.place is not None:
            return distance_km(candidate.home, self.need.place)
        return None

    def interval(self, distance: float | None) -> tuple[dt.datetime, dt.datetime, tuple]:
        """The need widened by travel both ways (UTC), and the wall-clock stretches it passes."""
        if distance is None and self._unwidened is not None:  # the same for everyone without travel
            return self._unwidened
        buffer = dt.timedelta(minutes=travel_minutes(distance, self.settings))
        low, high = self.starts_at - buffer, self.ends_at + buffer
        steady = self._steady if self._steady is not None else self._steady_clock()
        if buffer <= STEADY_REACH and steady:  # one stretch, by plain arithmetic on the wall clock
            stretches = ((steady[0] - buffer, steady[1] + buffer),) if low < high else ()
        else:
            stretches = tuple(wall_stretches(low.astimezone(self.zone), high.astimezone(self.zone)))
        if distance is None:
            self._unwidened = (low, high, stretches)
        return low, high, stretches

    def _steady_clock(self) -> tuple:
        """The need's start and end on the wall clock if the zone's offset stays the same from a day before to a day
        after it (checked hour by hour), else ()."""
        offset = self.starts_at.astimezone(self.zone).utcoffset()
        hours = int((self.ends_at - self.starts_at + 2 * STEADY_REACH) / HOUR) + 1
        first = self.starts_at - STEADY_REACH
        steady = all((first + n * HOUR).astimezone(self.zone).utcoffset() == offset for n in range(hours + 1)) and (
            (self.ends_at + STEADY_REACH).astimezone(self.zone).utcoffset() == offset)
        self._steady = ((self.starts_at + offset).replace(tzinfo=None),
                        (self.ends_at + offset).replace(tzinfo=None)) if steady else ()
        return self._steady

    def reasons(self, candidate: Candidate, distance: float | None) -> list[Reason]:
        need, found = self.need, []
        if need.language not in candidate.languages:
            found.append(Reason.LANGUAGE)
        if not (candidate.is_interpreter if need.kind == "interpreter" else candidate.is_guide):
            found.append(Reason.KIND)
        if need.mode not in candidate.modes:
            found.append(Reason.MODE)
        if not candidate.is_vetted:
            found.append(Reason.NOT_VETTED)
        if not candidate.is_active:
            found.append(Reason.INACTIVE)
        if candidate.paused and (candidate.paused_until is None or self.day < candidate.paused_until):
            found.append(Reason.PAUSED)
        if not candidate.declaration_signed:
            found.append(Reason.NO_DECLARATION)
        if candidate.certificate_valid_until is None or candidate.certificate_valid_until < self.day:
            found.append(Reason.CERTIFICATE)
        if need.topic in candidate.topics_excluded:
            found.append(Reason.TOPIC)
        if self.on_site:
            if distance is None:
                found.append(Reason.NO_HOME)
            elif distance > candidate.radius_km:
                found.append(Reason.TOO_FAR)
        low, high, stretches = self.interval(distance)
        if not covered(candidate.windows, candidate.extra_dates, stretches, NO_SLACK):
            found.append(Reason.UNAVAILABLE)
        if candidate.absences:
            first_day = low.astimezone(self.zone).date()
            last_day = (high - TICK).astimezone(self.zone).date()  # the end itself is free
            if any(first <= last_day and first_day <= last for first, last in candidate.absences):
                found.append(Reason.ABSENT)
        if candidate.busy:
            if any(utc(busy_start) < high and low < utc(busy_end) for busy_start, busy_end in candidate.busy):
                found.append(Reason.BUSY)
        if candidate.max_per_week is not None and candidate.count_week >= candidate.max_per_week:
            found.append(Reason.WEEKLY_LIMIT)
        if candidate.max_per_month is not None and candidate.count_month >= candidate.max_per_month:
            found.append(Reason.MONTHLY_LIMIT)
        if self.ahead < dt.timedelta(hours=candidate.min_notice_hours) and not (need.is_urgent and
                                                                                 candidate.short_notice):
            found.append(Reason.SHORT_NOTICE)
        if need.gender and candidate.gender != need.gender:
            found.append(Reason.GENDER)
        return found

    def near_miss(self, candidate: Candidate, failed: list[Reason], distance: float | None) -> bool:
        """A single soft failure that the allowed slack would cure."""
        if len(failed) != 1 or failed[0] not in self.softable:
            return False
        if failed[0] is Reason.SHORT_NOTICE:
            return self.ahead > dt.timedelta(0)
        if failed[0] is Reason.TOO_FAR:
            return distance <= candidate.radius_km + self.settings.near_miss_km
        return covered(candidate.windows, candidate.extra_dates, self.interval(distance)[2], self.near_miss_slack)


def reasons(need: Need, candidate: Candidate, now: dt.datetime, settings: Settings = Settings()) -> list[Reason]:
    """Every hard constraint the candidate fails for this need (empty: the candidate qualifies)."""
    judge = _Judge(need, now, settings)
    return judge.reasons(candidate, judge.distance(candidate))


def _score(need: Need, candidate: Candidate, settings: Settings, distance: float | None) -> Ranked:
    weights = settings.weights
    level, varieties = candidate.languages[need.language]
    # One scale for everyone: relative to each volunteer's own radius, a farther volunteer could score closer.
    closeness = 1.0 if distance is None else settings.distance_scale_km / (settings.distance_scale_km + distance)
    continuity = 1.0 if candidate.served_series else 0.5 if candidate.served_client else 0.0
    parts = {
        "distance": weights.distance * closeness,
        "load": weights.load / (1 + candidate.recent_30d),
        "level": weights.level * LEVEL_RANK.get(level, 0) / 4,
        "continuity": weights.continuity * continuity,
        "variety": weights.variety * (1.0 if need.variety and need.variety in varieties else 0.0),
    }
    return Ranked(candidate.volunteer_id, round(sum(parts.values()), 6), parts, distance, level)


def score(need: Need, candidate: Candidate, settings: Settings = Settings()) -> Ranked:
    """The weighted parts that order qualifying candidates (higher is better)."""
    distance = distance_km(candidate.home, need.place) if need.mode == "on_site" else None
    return _score(need, candidate, settings, distance)


def rank(need: Need, candidates: list[Candidate], now: dt.datetime, settings: Settings = Settings()) -> Outcome:
    """Rank those who qualify; list everyone else with their reasons. Ties break deterministically."""
    judge = _Judge(need, now, settings)
    ranked, excluded = [], []
    for candidate in candidates:
        distance = judge.distance(candidate)
        failed = judge.reasons(candidate, distance)
        if failed:
            excluded.append(Excluded(candidate.volunteer_id, tuple(failed), distance,
                                     judge.near_miss(candidate, failed, distance)))
        else:
            entry = _score(need, candidate, settings, distance)
            entry.on_call = need.is_urgent and candidate.short_notice
            ranked.append(entry)
    ranked.sort(key=lambda r: (not r.on_call, -r.score, r.distance_km if r.distance_km is not None else 0.0,
                               r.volunteer_id))
    excluded.sort(key=lambda e: (len(e.reasons), e.volunteer_id))
    return Outcome(ranked, excluded)
