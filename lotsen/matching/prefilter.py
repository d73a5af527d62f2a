"""The SQL prefilter: everyone who might take a request, narrowed in the database.

Every condition here is necessary for the rules to accept a volunteer, none is sufficient: the
prefilter may keep too many, never too few (tests/integration/test_matching*.py hold it to that
on both databases). The rules then make the exact decision in Python.
"""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

from sqlalchemy import Boolean, and_, case, exists, func, not_, or_, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from lotsen.auth.models import User, UserStatus
from lotsen.distance import EARTH_RADIUS_KM
from lotsen.matching.models import LanguageWindow
from lotsen.offices import settings as office_settings
from lotsen.offices.models import Office
from lotsen.requests.models import HelpRequest
from lotsen.volunteers.models import Absence, ExtraDate, Mode, VolunteerLanguage, VolunteerProfile, add_years

MODE_COLUMN = {Mode.ON_SITE: VolunteerProfile.on_site, Mode.PHONE: VolunteerProfile.by_phone,
               Mode.VIDEO: VolunteerProfile.by_video}
DEGREES_PER_KM = 180 / (EARTH_RADIUS_KM * math.pi)  # of a great circle
# The distance circle is a lower bound of the great-circle distance for homes within this many km of the
# place (see _within_reach); a volunteer with a larger radius is kept by the box alone.
CIRCLE_MAX_KM = 200


def prefilter(request: HelpRequest, office: Office, zone: str = "Europe/Berlin", now: dt.datetime | None = None,
              columns=None):
    """``select(VolunteerProfile.user_id)`` (or ``columns``) of everyone who might qualify, never fewer.

    Checked here: office, account, vetting, documents, pause, role, mode, gender, language, a home within
    reach, a window or extra date that day covering the first and the last minute, no absence that day,
    and with ``now`` the notice the volunteer asks for. The rules then check the rest exactly: the whole
    appointment plus travel across joined windows and midnight, busy times, limits, topics.
    ``columns`` may name the volunteer's row for the request's language (VolunteerLanguage).
    """
    day = request.starts_at.astimezone(ZoneInfo(zone)).date()
    years = office_settings.value(office, "certificate_valid_years")
    kind_column = VolunteerProfile.is_interpreter if request.kind.value == "interpreter" else VolunteerProfile.is_guide
    query = (
        select(*(columns if columns is not None else (VolunteerProfile.user_id,)))
        .select_from(VolunteerProfile)
        .join(User, User.id == VolunteerProfile.user_id)
        .where(
            OneOf(VolunteerProfile.user_id, _speaking_and_offering(request, zone)),
            VolunteerProfile.office_id == office.id,
            User.status == UserStatus.ACTIVE,
            VolunteerProfile.vetted_at.is_not(None),
            VolunteerProfile.declaration_signed_on.is_not(None),
            VolunteerProfile.anonymized_at.is_(None),
            VolunteerProfile.certificate_checked_on >= add_years(day, -years),
            kind_column.is_(True),
            MODE_COLUMN[request.mode].is_(True),
            or_(VolunteerProfile.is_paused.is_(False), VolunteerProfile.paused_until <= day),
            not_(exists().where(Absence.volunteer_id == VolunteerProfile.user_id, Absence.starts_on <= day,
                                Absence.ends_on >= day)),
        )
    )
    query = query.join(VolunteerLanguage, and_(VolunteerLanguage.volunteer_id == VolunteerProfile.user_id,
                                               VolunteerLanguage.language == request.language))
    if request.gender_preference is not None:
        query = query.where(VolunteerProfile.gender == request.gender_preference)
    if now is not None:
        # The rules refuse less notice than asked for, in real hours: whole hours suffice for the integer column.
        ahead = request.starts_at.astimezone(dt.timezone.utc) - now.astimezone(dt.timezone.utc)
        enough = VolunteerProfile.min_notice_hours <= ahead // dt.timedelta(hours=1)
        # For an urgent request, those on the on-call list need no notice.
        query = query.where(or_(enough, VolunteerProfile.short_notice.is_(True)) if request.is_urgent else enough)
    if request.mode is Mode.ON_SITE and request.latitude is not None:
        query = query.where(*_within_reach(request.latitude, request.longitude))
    return query


def _speaking_and_offering(request: HelpRequest, zone: str):
    """Ids of volunteers who speak the language and whose weekly windows (valid that day) or extra dates that
    day cover the first minute and, if the appointment ends the same day, the last minute too.

    Necessary, not sufficient: the rules check the whole appointment plus travel, across joined windows.
    """
    local_start, local_end = request.starts_at.astimezone(ZoneInfo(zone)), request.ends_at.astimezone(ZoneInfo(zone))
    day, at = local_start.date(), local_start.time()
    until = local_end.time() if local_end.date() == day else at  # else only the first minute is checked
    slot = LanguageWindow
    windows = select(slot.volunteer_id, slot.starts, slot.ends).where(
        slot.language == request.language, slot.weekday == day.weekday(), slot.starts <= max(at, until),
        or_(slot.valid_from.is_(None), slot.valid_from <= day),
        or_(slot.valid_until.is_(None), slot.valid_until >= day))
    extra = (select(ExtraDate.volunteer_id, ExtraDate.starts, ExtraDate.ends)
             .join(VolunteerLanguage, and_(VolunteerLanguage.volunteer_id == ExtraDate.volunteer_id,
                                           VolunteerLanguage.language == request.language))
             .where(ExtraDate.day == day, ExtraDate.starts <= max(at, until)))
    spans = union_all(windows, extra).subquery()
    first = and_(spans.c.starts <= at, spans.c.ends > at)
    last = and_(spans.c.starts < until, spans.c.ends >= until) if until != at else first
    return (select(spans.c.volunteer_id).where(or_(first, last)).group_by(spans.c.volunteer_id)
            .having(func.max(case((first, 1), else_=0)) == 1, func.max(case((last, 1), else_=0)) == 1))


class OneOf(ColumnElement):
    """``column IN (ids)``; on PostgreSQL ``column = ANY(ARRAY(ids))``.

    PostgreSQL then gathers the ids once and looks each volunteer up by key; with IN it misjudges how
    few pass the profile's conditions and scans every profile.
    """

    inherit_cache = True
    type = Boolean()
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement),
                           ("ids", InternalTraversal.dp_clauseelement)]

    def __init__(self, column, ids):
        self.column, self.ids = column, ids


@compiles(OneOf)
def _one_of(element, compiler, **kw):
    return compiler.process(element.column.in_(element.ids), **kw)


@compiles(OneOf, "postgresql")
def _one_of_postgresql(element, compiler, **kw):
    column, ids = compiler.process(element.column, **kw), compiler.process(element.ids.scalar_subquery(), **kw)
    return f"{column} = ANY(ARRAY({ids}))"


def _within_reach(latitude: float, longitude: float) -> list:
    """A home within the volunteer's own radius of the place: a box, then a circle inside it.

    The box is widened a little so that it never cuts off someone in reach. The circle compares
    Δφ² + c·Δλ² (degrees) with (radius in degrees)², c being the smallest cos φ·cos φ' in the box. On a
    sphere R²(Δφ² + c·Δλ²)(1 - ε) is at most the great-circle distance² (haversine with asin x >= x and
    sin y >= y(1 - y²/6), ε = y²/3 for the box's half-widths y), so the circle keeps everyone the rules keep.
    """
    radius, lat, lon = VolunteerProfile.travel_radius_km, VolunteerProfile.latitude, VolunteerProfile.longitude
    per_km_lat = 1.01 * DEGREES_PER_KM
    per_km_lon = per_km_lat / max(math.cos(math.radians(abs(latitude) + 1)), 0.01)
    box = [lat.between(latitude - radius * per_km_lat, latitude + radius * per_km_lat),
           lon.between(longitude - radius * per_km_lon, longitude + radius * per_km_lon)]
    half_angle = math.radians(CIRCLE_MAX_KM * max(per_km_lat, per_km_lon) / 2)  # y at most, in the box
    shortfall = half_angle * half_angle / 3 + 1e-9  # ε, and a little for rounding
    if shortfall > 0.01:  # near a pole: the box alone
        return box
    farthest = min(90.0, abs(latitude) + CIRCLE_MAX_KM * per_km_lat)
    squeeze = math.cos(math.radians(latitude)) * math.cos(math.radians(farthest))
    limit = DEGREES_PER_KM * DEGREES_PER_KM / (1 - shortfall)
    circle = (lat - latitude) * (lat - latitude) + squeeze * (lon - longitude) * (lon - longitude)
    return [*box, or_(radius > CIRCLE_MAX_KM, circle <= radius * radius * limit)]
