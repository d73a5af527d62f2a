"""Matching against the database: narrow the pool in SQL, then let the pure rules decide and rank.

The SQL prefilter only ever keeps too many (it checks necessary conditions: language, kind,
mode, documents, pause, a window covering the starting minute, no absence that day, a home
within reach); the rules make the exact decision.
"""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, not_, or_, select
from sqlalchemy.orm import Session, selectinload

from lotsen.auth.models import User, UserStatus
from lotsen.distance import EARTH_RADIUS_KM, Point
from lotsen.matching import rules
from lotsen.offices import settings as office_settings
from lotsen.offices.models import Office
from lotsen.requests.models import HelpRequest
from lotsen.volunteers.models import (Absence, AvailabilityWindow, ExtraDate, Mode, VolunteerLanguage, add_years,
                                      VolunteerProfile)

MODE_COLUMN = {Mode.ON_SITE: VolunteerProfile.on_site, Mode.PHONE: VolunteerProfile.by_phone,
               Mode.VIDEO: VolunteerProfile.by_video}


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
                      else "", series_id=request.series_id, client_reference=request.client_reference, zone=zone)


def prefilter(request: HelpRequest, office: Office, zone: str):
    """``select(VolunteerProfile.user_id)`` of everyone who might qualify (never fewer)."""
    local_start = request.starts_at.astimezone(ZoneInfo(zone))
    day, at = local_start.date(), local_start.time()
    years = office_settings.value(office, "certificate_valid_years")
    kind_column = VolunteerProfile.is_interpreter if request.kind.value == "interpreter" else VolunteerProfile.is_guide
    # Necessary, not sufficient: some window or extra date that day covers the starting minute.
    # (The rules then check the whole appointment plus travel, across joined windows and midnight.)
    window = exists().where(
        AvailabilityWindow.volunteer_id == VolunteerProfile.user_id, AvailabilityWindow.weekday == day.weekday(),
        AvailabilityWindow.starts <= at, AvailabilityWindow.ends > at,
        or_(AvailabilityWindow.valid_from.is_(None), AvailabilityWindow.valid_from <= day),
        or_(AvailabilityWindow.valid_until.is_(None), AvailabilityWindow.valid_until >= day))
    extra = exists().where(ExtraDate.volunteer_id == VolunteerProfile.user_id, ExtraDate.day == day,
                           ExtraDate.starts <= at, ExtraDate.ends > at)
    covered = [or_(window, extra)]
    local_end = request.ends_at.astimezone(ZoneInfo(zone))
    if local_end.date() == day:
        # ... and some span that day reaches the last minute too.
        until = local_end.time()
        covered.append(or_(
            exists().where(
                AvailabilityWindow.volunteer_id == VolunteerProfile.user_id,
                AvailabilityWindow.weekday == day.weekday(), AvailabilityWindow.starts < until,
                AvailabilityWindow.ends >= until,
                or_(AvailabilityWindow.valid_from.is_(None), AvailabilityWindow.valid_from <= day),
                or_(AvailabilityWindow.valid_until.is_(None), AvailabilityWindow.valid_until >= day)),
            exists().where(ExtraDate.volunteer_id == VolunteerProfile.user_id, ExtraDate.day == day,
                           ExtraDate.starts < until, ExtraDate.ends >= until)))
    query = (
        select(VolunteerProfile.user_id)
        .join(User, User.id == VolunteerProfile.user_id)
        .join(VolunteerLanguage, and_(VolunteerLanguage.volunteer_id == VolunteerProfile.user_id,
                                      VolunteerLanguage.language == request.language))
        .where(
            VolunteerProfile.office_id == office.id,
            User.status == UserStatus.ACTIVE,
            VolunteerProfile.vetted_at.is_not(None),
            VolunteerProfile.declaration_signed_on.is_not(None),
            VolunteerProfile.anonymized_at.is_(None),
            VolunteerProfile.certificate_checked_on >= add_years(day, -years),
            kind_column.is_(True),
            MODE_COLUMN[request.mode].is_(True),
            or_(VolunteerProfile.is_paused.is_(False), VolunteerProfile.paused_until <= day),
            *covered,
            not_(exists().where(Absence.volunteer_id == VolunteerProfile.user_id, Absence.starts_on <= day,
                                Absence.ends_on >= day)),
        )
    )
    if request.gender_preference is not None:
        query = query.where(VolunteerProfile.gender == request.gender_preference)
    if request.mode is Mode.ON_SITE and request.latitude is not None:
        # Degrees per km at this latitude, widened a little so the box never cuts off someone in reach.
        per_km_lat = 1.01 / (EARTH_RADIUS_KM * math.pi / 180)
        per_km_lon = per_km_lat / max(math.cos(math.radians(abs(request.latitude) + 1)), 0.01)
        query = query.where(
            VolunteerProfile.latitude.between(request.latitude - VolunteerProfile.travel_radius_km * per_km_lat,
                                              request.latitude + VolunteerProfile.travel_radius_km * per_km_lat),
            VolunteerProfile.longitude.between(request.longitude - VolunteerProfile.travel_radius_km * per_km_lon,
                                               request.longitude + VolunteerProfile.travel_radius_km * per_km_lon))
    return query


def _load(session: Session, ids) -> list[VolunteerProfile]:
    return list(session.scalars(
        select(VolunteerProfile).where(VolunteerProfile.user_id.in_(ids)).options(
            selectinload(VolunteerProfile.user), selectinload(VolunteerProfile.languages),
            selectinload(VolunteerProfile.windows), selectinload(VolunteerProfile.extra_dates),
            selectinload(VolunteerProfile.absences))))


def candidate_for(profile: VolunteerProfile, office: Office) -> rules.Candidate:
    """The profile as the rules see it."""
    years = office_settings.value(office, "certificate_valid_years")
    home = Point(profile.latitude, profile.longitude) if profile.latitude is not None else None
    return rules.Candidate(
        volunteer_id=profile.user_id,
        languages={e.language: (e.level.value, tuple(e.varieties)) for e in profile.languages},
        is_guide=profile.is_guide, is_interpreter=profile.is_interpreter,
        modes=frozenset(m.value for m in profile.modes()),
        is_vetted=profile.vetted_at is not None, is_active=profile.user.status is UserStatus.ACTIVE,
        paused=profile.is_paused, paused_until=profile.paused_until,
        declaration_signed=profile.declaration_signed_on is not None,
        certificate_valid_until=profile.certificate_expires_on(years),
        topics_excluded=frozenset(profile.topics_excluded or ()), home=home, radius_km=profile.travel_radius_km,
        windows=tuple(rules.Window(w.weekday, w.starts, w.ends, w.valid_from, w.valid_until) for w in profile.windows),
        extra_dates=tuple(rules.ExtraDate(d.day, d.starts, d.ends) for d in profile.extra_dates),
        absences=tuple((a.starts_on, a.ends_on) for a in profile.absences),
        max_per_week=profile.max_per_week, max_per_month=profile.max_per_month,
        min_notice_hours=profile.min_notice_hours, gender=profile.gender.value if profile.gender else "",
        # Confirmed assignments (busy times, counts, continuity) join here once assignments exist.
    )


def match(session: Session, request: HelpRequest, now: dt.datetime, zone: str = "Europe/Berlin") -> rules.Outcome:
    """Ranked candidates for a request: SQL prefilter, then the rules."""
    office = request.office
    ids = session.scalars(prefilter(request, office, zone)).all()
    candidates = [candidate_for(p, office) for p in _load(session, ids)]
    return rules.rank(need_for(request, zone), candidates, now, settings_for(office))


def explain(session: Session, request: HelpRequest, now: dt.datetime, zone: str = "Europe/Berlin"):
    """The whole office pool judged by the rules: the ranked list, near misses, and why not for everyone else."""
    office = request.office
    ids = session.scalars(select(VolunteerProfile.user_id).where(
        VolunteerProfile.office_id == office.id, VolunteerProfile.anonymized_at.is_(None))).all()
    profiles = {p.user_id: p for p in _load(session, ids)}
    outcome = rules.rank(need_for(request, zone), [candidate_for(p, office) for p in profiles.values()], now,
                         settings_for(office))
    return outcome, profiles


def count_candidates(session: Session, request: HelpRequest, now: dt.datetime, zone: str = "Europe/Berlin") -> int:
    return len(match(session, request, now, zone).ranked)



def judge(session: Session, request: HelpRequest, volunteer_ids, now: dt.datetime,
          zone: str = "Europe/Berlin") -> rules.Outcome:
    """The rules' verdict on just these volunteers (of the request's office): ranked, near misses, excluded."""
    office = request.office
    profiles = [p for p in _load(session, list(volunteer_ids)) if p.office_id == office.id]
    return rules.rank(need_for(request, zone), [candidate_for(p, office) for p in profiles], now,
                      settings_for(office))
