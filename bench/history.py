"""The benchmark pool's history: agencies, their requests, series and the assignments volunteers took.

Volunteers who can be asked (active, vetted, documents in order) took assignments over the last
60 days and have some confirmed for the next 14, at a skewed rate (many rarely, a few often; about
0.6 a month on average), inside their own windows, within their weekly and monthly limits, in one of
their languages. Some requests belong to weekly series served by the same volunteer, and client
references recur at an agency, so continuity has something to find.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from lotsen.assignments.models import AssignmentStatus
from lotsen.offices.models import AgencyType
from lotsen.requests.lifecycle import RequestStatus
from lotsen.requests.models import Recurrence, RequestKind
from lotsen.volunteers.models import Mode, Topic

ZONE = ZoneInfo("Europe/Berlin")
PAST_DAYS, FUTURE_DAYS = 60, 14
# Assignments a month: most volunteers are asked now and then, a few carry much of the load.
ACTIVITY = [(0.0, 0.35), (0.3, 0.30), (1.0, 0.25), (3.0, 0.10)]
DURATIONS = [45, 60, 60, 90, 90, 90, 120, 120, 180]
AGENCY_TYPES = [(AgencyType.JOBCENTER, 3), (AgencyType.SOCIAL_SERVICE, 3), (AgencyType.SCHOOL, 8),
                (AgencyType.KITA, 6), (AgencyType.HEALTH_OFFICE, 1), (AgencyType.HOSPITAL, 3),
                (AgencyType.IMMIGRATION_OFFICE, 1), (AgencyType.COUNSELLING, 4), (AgencyType.RESCUE_SERVICE, 1)]


@dataclass
class History:
    """Rows to insert, and what benchmark requests may refer to (series, recurring client references)."""

    agencies: list[dict] = field(default_factory=list)
    series: list[dict] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)
    assignments: list[dict] = field(default_factory=list)
    # series id -> (agency id, language, local start minute, duration, last date)
    series_facts: dict[int, tuple] = field(default_factory=dict)
    references: dict[int, list[str]] = field(default_factory=dict)  # agency id -> references in use

    def take(self) -> dict[str, list[dict]]:
        """The rows gathered since the last call, parents first; then forget them."""
        rows = {"request_series": self.series, "requests": self.requests, "assignments": self.assignments}
        self.series, self.requests, self.assignments = [], [], []
        return rows


def agencies(rng: random.Random, kreis, now: dt.datetime) -> list[dict]:
    rows = []
    for kind, count in AGENCY_TYPES:
        for _ in range(count):
            place = rng.choice(kreis)
            rows.append({"id": len(rows) + 1, "name": f"{kind.value} {place.postcode} {len(rows) + 1}", "type": kind,
                         "email": "", "phone": "", "street": "", "postcode": place.postcode, "town": "",
                         "is_active": True, "is_demo": False, "created_at": now - dt.timedelta(days=900),
                         "place": place})
    return rows


class Historian:
    """Writes the history of one volunteer at a time into a History."""

    def __init__(self, rng: random.Random, history: History, agency_rows: list[dict], now: dt.datetime):
        self.rng, self.history, self.agencies, self.now = rng, history, agency_rows, now
        self.today = now.astimezone(ZONE).date()
        self.next_request = self.next_series = self.next_assignment = 1
        for agency in agency_rows:
            history.references[agency["id"]] = []

    def volunteer(self, user: dict, profile: dict, languages: list[dict], windows: list[dict]) -> None:
        if not (profile["vetted_at"] and profile["declaration_signed_on"] and profile["certificate_checked_on"]
                and user["status"].value == "active" and windows and profile["anonymized_at"] is None):
            return
        rate = self.rng.choices([a for a, _ in ACTIVITY], weights=[w for _, w in ACTIVITY])[0]
        wanted = self._poisson(rate * (PAST_DAYS + FUTURE_DAYS) / 30)
        taken: list[tuple[dt.datetime, dt.datetime]] = []
        for _ in range(wanted):
            window = self.rng.choice(windows)
            day = self._day_of(window)
            if day is None:
                continue
            duration = self.rng.choice(DURATIONS)
            start, end = _minutes(window["starts"]), _minutes(window["ends"])
            latest = max(start, end - duration)
            minute = start + 15 * self.rng.randrange((latest - start) // 15 + 1)
            dates = [day]
            series_id = None
            if self.rng.random() < 0.12:  # a course: the same volunteer, weekly, several dates
                series_id = self.next_series
                dates = [day + dt.timedelta(weeks=n) for n in range(self.rng.randint(3, 6))]
            agency = self.rng.choice(self.agencies)
            language = languages[0]["language"] if self.rng.random() < 0.7 else self.rng.choice(languages)["language"]
            reference = self._reference(agency["id"])
            made = []
            for date in dates:
                if date > self.today + dt.timedelta(days=FUTURE_DAYS):
                    break
                local = dt.datetime.combine(date, dt.time(minute // 60, minute % 60), ZONE)
                starts_at = local.astimezone(dt.timezone.utc)
                ends_at = starts_at + dt.timedelta(minutes=duration)
                if not self._within_limits(profile, taken, starts_at, ends_at):
                    continue
                taken.append((starts_at, ends_at))
                self._assignment(user["id"], profile, agency, language, starts_at, ends_at, duration, reference,
                                 series_id)
                made.append(date)
            if series_id is not None and made:  # (a course none of whose dates fitted never existed)
                self.history.series.append({"id": series_id, "office_id": 1, "agency_id": agency["id"],
                                            "recurrence": Recurrence.WEEKLY, "created_at": self.now})
                self.history.series_facts[series_id] = (agency["id"], language, minute, duration, made[-1])
                self.next_series += 1

    def _assignment(self, volunteer_id, profile, agency, language, starts_at, ends_at, duration, reference,
                    series_id) -> None:
        rng = self.rng
        past = ends_at <= self.now
        r = rng.random()
        if past:
            status = (AssignmentStatus.COMPLETED if r < 0.85 else AssignmentStatus.CANCELLED if r < 0.92
                      else AssignmentStatus.WITHDRAWN if r < 0.96 else AssignmentStatus.REASSIGNED)
        else:
            status = (AssignmentStatus.CONFIRMED if r < 0.9 else AssignmentStatus.CANCELLED if r < 0.95
                      else AssignmentStatus.WITHDRAWN)
        request_status = {AssignmentStatus.COMPLETED: RequestStatus.COMPLETED,
                          AssignmentStatus.CONFIRMED: RequestStatus.CONFIRMED,
                          AssignmentStatus.CANCELLED: RequestStatus.CANCELLED}.get(
            status, RequestStatus.UNFILLED if past else RequestStatus.OPEN)
        modes = [m for m, flag in ((Mode.ON_SITE, "on_site"), (Mode.PHONE, "by_phone"), (Mode.VIDEO, "by_video"))
                 if profile[flag]]
        mode = Mode.ON_SITE if Mode.ON_SITE in modes and rng.random() < 0.85 else rng.choice(modes)
        place = agency["place"]
        on_site = mode is Mode.ON_SITE
        request_id = self.next_request
        self.next_request += 1
        self.history.requests.append({
            "id": request_id, "office_id": 1, "agency_id": agency["id"], "created_by_id": None,
            "series_id": series_id, "kind": RequestKind.GUIDE if not profile["is_interpreter"]
            or (profile["is_guide"] and rng.random() < 0.2) else RequestKind.INTERPRETER,
            "language": language, "variety": "", "mode": mode, "starts_at": starts_at, "ends_at": ends_at,
            "duration_minutes": duration, "street": "", "postcode": place.postcode if on_site else "", "town": "",
            "municipality_id": place.municipality_id if on_site else None,
            "latitude": place.latitude if on_site else None, "longitude": place.longitude if on_site else None,
            "topic": rng.choice(list(Topic)), "gender_preference": None, "client_reference": reference,
            "contact_name": "Bench", "contact_phone": "", "notes": "", "is_urgent": False, "status": request_status,
            "cancel_reason": "", "cancelled_late": False, "wave_size": None, "wave_interval_minutes": None,
            "next_wave_at": None, "created_at": starts_at - dt.timedelta(days=5), "updated_at": starts_at})
        self.history.assignments.append({
            "id": self.next_assignment, "request_id": request_id, "volunteer_id": volunteer_id, "offer_id": None,
            "status": status, "starts_at": starts_at, "ends_at": ends_at,
            "confirmed_at": starts_at - dt.timedelta(days=3), "confirmed_by_id": None,
            "ended_at": ends_at if status is AssignmentStatus.COMPLETED else None, "end_reason": "",
            "ended_late": False})
        self.next_assignment += 1

    def _day_of(self, window: dict) -> dt.date | None:
        """A date in the history's span on the window's weekday, within its validity."""
        first = self.today - dt.timedelta(days=PAST_DAYS)
        offset = (window["weekday"] - first.weekday()) % 7
        weeks = (PAST_DAYS + FUTURE_DAYS - offset) // 7 + 1
        day = first + dt.timedelta(days=offset + 7 * self.rng.randrange(weeks))
        if (window["valid_from"] and day < window["valid_from"]) or (window["valid_until"]
                                                                   and day > window["valid_until"]):
            return None
        return day

    def _within_limits(self, profile, taken, starts_at, ends_at) -> bool:
        """As matching would have allowed: no overlap, weekly and monthly limits kept."""
        local = starts_at.astimezone(ZONE).date()
        week = [s for s, _ in taken if s.astimezone(ZONE).isocalendar()[:2] == local.isocalendar()[:2]]
        month = [s for s, _ in taken if (s.astimezone(ZONE).year, s.astimezone(ZONE).month) == (local.year,
                                                                                                  local.month)]
        return (not any(s < ends_at and starts_at < e for s, e in taken)
                and (profile["max_per_week"] is None or len(week) < profile["max_per_week"])
                and (profile["max_per_month"] is None or len(month) < profile["max_per_month"]))

    def _reference(self, agency_id: int) -> str:
        """A client reference: often one the agency used before (the same family, the same case)."""
        known = self.history.references[agency_id]
        if known and self.rng.random() < 0.3:
            return self.rng.choice(known)
        reference = f"AZ {agency_id}-{len(known) + 1:05d}"
        known.append(reference)
        return reference

    def _poisson(self, mean: float) -> int:
        count, total = 0, self.rng.expovariate(1.0) if mean else float("inf")
        while total < mean:
            count += 1
            total += self.rng.expovariate(1.0)
        return count


def _minutes(value: dt.time) -> int:
    return value.hour * 60 + value.minute
