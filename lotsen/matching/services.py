"""Matching against the database: narrow the pool in SQL, then let the pure rules decide and rank.

The prefilter (matching/prefilter.py) only ever keeps too many; the rules make the exact decision.
Candidates are built from plain rows: the prefilter's own query returns what the rules read of each
profile, and matching/facts.py loads everything else (availability, assignments) for all of them at
once, and only around the need's time.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import NamedTuple

from sqlalchemy import String, Text, and_, cast, select, type_coerce
from sqlalchemy.orm import Session

from lotsen.auth.models import User, UserStatus
from lotsen.distance import EARTH_RADIUS_KM, Point
from lotsen.matching import facts, rules
from lotsen.matching.prefilter import prefilter
from lotsen.offices import settings as office_settings
from lotsen.offices.models import Office
from lotsen.requests.models import HelpRequest
from lotsen.volunteers.models import VolunteerLanguage, VolunteerProfile, add_years

__all__ = ["candidates_for", "count_candidates", "explain", "judge", "match", "need_for", "prefilter", "settings_for"]

# What the rules read of a profile and of its row for the need's language, in this order (see _build).
# Enums and JSON come as their stored text: most lists are empty, and parsing each costs more than the rules.
COLUMNS = (
    VolunteerProfile.user_id, VolunteerProfile.is_guide, VolunteerProfile.is_interpreter, VolunteerProfile.on_site,
    VolunteerProfile.by_phone, VolunteerProfile.by_video, VolunteerProfile.vetted_at.is_not(None),
    User.status == UserStatus.ACTIVE, VolunteerProfile.is_paused, VolunteerProfile.paused_until,
    VolunteerProfile.declaration_signed_on.is_not(None), VolunteerProfile.certificate_checked_on,
    cast(VolunteerProfile.topics_excluded, Text), VolunteerProfile.latitude, VolunteerProfile.longitude,
    VolunteerProfile.travel_radius_km, VolunteerProfile.max_per_week, VolunteerProfile.max_per_month,
    VolunteerProfile.min_notice_hours, VolunteerProfile.short_notice, type_coerce(VolunteerProfile.gender, String),
    type_coerce(VolunteerLanguage.level, String), cast(VolunteerLanguage.varieties, Text),
)
ID, LATITUDE, LONGITUDE = 0, 13, 14  # positions in COLUMNS
MODES = {(on_site, phone, video): frozenset(mode for mode, offered in
                                            (("on_site", on_site), ("phone", phone), ("video", video)) if offered)
         for on_site in (False, True) for phone in (False, True) for video in (False, True)}


def settings_for(office: Office) -> rules.Settings:
    value = lambda key: office_settings.value(office, key)  # noqa: E731
    return rules.Settings(
        weights=rules.Weights(distance=value("weight_distance"), load=value("weight_load"),
                              level=value("weight_level"), continuity=value("weight_continuity"),
                              variety=value("weight_variety")),
        travel_speed_kmh=value("travel_speed_kmh"), near_miss_km=value("near_miss_km"),
        near_miss_minutes=value("near_miss_minutes"))


def need_for(request: HelpRequest, zone: str = "Europe/Berlin") -> rules.Need:
    place = Point(request.latitude, request.longitude) if request.latitude is not None else None
    return rules.Need(kind=request.kind.value, language=request.language, mode=request.mode.value,
                      starts_at=request.starts_at, ends_at=request.ends_at, topic=request.topic.value, place=place,
                      variety=request.variety, gender=request.gender_preference.value if request.gender_preference
                      else "", series_id=request.series_id, client_reference=request.client_reference, zone=zone,
                      is_urgent=request.is_urgent)


def match(session: Session, request: HelpRequest, now: dt.datetime, zone: str = "Europe/Berlin") -> rules.Outcome:
    """Ranked candidates for a request: SQL prefilter, then the rules."""
    office = request.office
    rows = _plain(session.connection().execute(prefilter(request, office, zone, now, columns=COLUMNS)))
    return _rank(session, request, office, rows, now, zone)


def explain(session: Session, request: HelpRequest, now: dt.datetime, zone: str = "Europe/Berlin"):
    """The whole office pool judged by the rules: the ranked list, near misses, and why not for everyone else."""
    office = request.office
    # users.office_id repeats the profile's office: the database reads the office's people alone (an instance
    # holds many offices), not every account.
    pool = (VolunteerProfile.office_id == office.id, User.office_id == office.id,
            VolunteerProfile.anonymized_at.is_(None))
    rows = _plain(session.connection().execute(_rows(request).where(*pool)))
    outcome = _rank(session, request, office, rows, now, zone)
    people = {volunteer_id: Person(name, short_notice) for volunteer_id, name, short_notice in session.execute(
        select(VolunteerProfile.user_id, User.name, VolunteerProfile.short_notice)
        .join(User, User.id == VolunteerProfile.user_id).where(*pool))}
    return outcome, people


class Person(NamedTuple):
    """What the candidates page shows of a volunteer beside the rules' verdict (a pool of thousands is listed:
    plain rows, not profiles)."""

    name: str
    short_notice: bool


def count_candidates(session: Session, request: HelpRequest, now: dt.datetime, zone: str = "Europe/Berlin") -> int:
    return len(match(session, request, now, zone).ranked)


def judge(session: Session, request: HelpRequest, volunteer_ids, now: dt.datetime,
          zone: str = "Europe/Berlin") -> rules.Outcome:
    """The rules' verdict on just these volunteers (of the request's office): ranked, near misses, excluded."""
    return rules.rank(need_for(request, zone), candidates_for(session, request, volunteer_ids, now, zone), now,
                      settings_for(request.office))


def candidates_for(session: Session, request: HelpRequest, volunteer_ids, now: dt.datetime,
                   zone: str = "Europe/Berlin") -> list[rules.Candidate]:
    """These volunteers (those of the request's office) as the rules see them for this request."""
    ids = facts.among(session, list(volunteer_ids))
    rows = _plain(session.connection().execute(_rows(request).where(
        ids(VolunteerProfile.user_id), VolunteerProfile.office_id == request.office_id)))
    return _candidates(session, request, request.office, rows, now, zone)


def _rows(request: HelpRequest):
    """The rules' columns for any volunteers, with their row for the need's language if they speak it."""
    return (select(*COLUMNS).select_from(VolunteerProfile).join(User, User.id == VolunteerProfile.user_id)
            .outerjoin(VolunteerLanguage, and_(VolunteerLanguage.volunteer_id == VolunteerProfile.user_id,
                                               VolunteerLanguage.language == request.language)))


def _plain(result) -> list[tuple]:
    """The rows as plain tuples: of plain values only, the garbage collector soon stops tracking them."""
    return [tuple(row) for row in result.all()]  # all at once: row by row costs a driver call each


def _rank(session, request, office, rows, now, zone) -> rules.Outcome:
    candidates = _candidates(session, request, office, rows, now, zone)
    return rules.rank(need_for(request, zone), candidates, now, settings_for(office))


def _candidates(session, request, office, rows, now, zone) -> list[rules.Candidate]:
    """Candidates from profile rows and, loaded in bulk, everything else the rules read."""
    return _build(request, office, rows, _facts(session, request, office, rows, now, zone)) if rows else []


def _facts(session, request, office, rows, now, zone) -> facts.Facts:
    settings = settings_for(office)
    around = facts.Around(request, zone, _longest_travel(request, rows, settings),
                          dt.timedelta(minutes=settings.near_miss_minutes))
    return facts.load(session, request, [row[ID] for row in rows], around, now)


def _build(request: HelpRequest, office: Office, rows, found: facts.Facts) -> list[rules.Candidate]:
    years = office_settings.value(office, "certificate_valid_years")
    language, nothing, no_counts, no_topics = request.language, (), (0, 0, 0), frozenset()
    windows, extra_dates, absences, busy, counts = (found.windows, found.extra_dates, found.absences, found.busy,
                                                    found.counts)
    candidates, spoken = [], {}  # the same (read-only) language entry for all who speak it alike
    for (volunteer_id, is_guide, is_interpreter, on_site, by_phone, by_video, is_vetted, is_active, paused,
         paused_until, declaration_signed, checked, topics_excluded, latitude, longitude, radius_km, max_per_week,
         max_per_month, min_notice_hours, short_notice, gender, level, varieties) in rows:
        week, month, recent = counts.get(volunteer_id, no_counts)
        candidates.append(rules.Candidate(
            volunteer_id=volunteer_id,
            languages=(spoken.get((level, varieties)) or spoken.setdefault(
                (level, varieties), {language: (level, _listed(varieties))} if level is not None else {})),
            is_guide=is_guide, is_interpreter=is_interpreter,
            modes=MODES[bool(on_site), bool(by_phone), bool(by_video)],
            is_vetted=bool(is_vetted), is_active=bool(is_active), paused=paused, paused_until=paused_until,
            declaration_signed=bool(declaration_signed),
            certificate_valid_until=add_years(checked, years) if checked is not None else None,
            topics_excluded=frozenset(_listed(topics_excluded)) if topics_excluded else no_topics,
            home=Point(latitude, longitude) if latitude is not None else None, radius_km=radius_km,
            windows=windows.get(volunteer_id, nothing), extra_dates=extra_dates.get(volunteer_id, nothing),
            absences=absences.get(volunteer_id, nothing), busy=busy.get(volunteer_id, nothing),
            max_per_week=max_per_week, max_per_month=max_per_month, count_week=week, count_month=month,
            recent_30d=recent, min_notice_hours=min_notice_hours, short_notice=bool(short_notice),
            gender=gender or "",
            served_series=volunteer_id in found.served_series, served_client=volunteer_id in found.served_client))
    return candidates


def _listed(text: str | None) -> tuple:
    """A stored JSON list as a tuple (most are empty)."""
    return () if not text or text == "[]" else tuple(json.loads(text))


def _longest_travel(request: HelpRequest, rows, settings: rules.Settings) -> dt.timedelta:
    """At least the longest travel the rules will add to the need for any of these volunteers.

    Along the meridian and then the parallel is never shorter than the great circle: R·(|Δφ| + |Δλ|).
    """
    if request.mode.value != "on_site" or request.latitude is None:
        return dt.timedelta(0)
    place_lat, place_lon = request.latitude, request.longitude
    degrees = max((abs(row[LATITUDE] - place_lat) + abs(row[LONGITUDE] - place_lon) for row in rows
                   if row[LATITUDE] is not None), default=0.0)
    return dt.timedelta(minutes=rules.travel_minutes(EARTH_RADIUS_KM * math.radians(degrees), settings) + 1)
