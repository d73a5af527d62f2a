"""Programmes and their rate versions: the office's allowance rules. Services take the session, never commit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from lotsen.acting import Acting
from lotsen.audit.services import record_by
from lotsen.billing.models import Programme, RateVersion
from lotsen.billing.rules import Rule, Travel
from lotsen.errors import DomainError
from lotsen.i18n import _, format_date
from lotsen.offices.models import Office

OWN_BUDGET = "Eigenes Budget"


class ProgrammeError(DomainError):
    """A programme or rate the office cannot have as entered."""


def programmes_of(session: Session, office_id: int) -> list[Programme]:
    return list(session.scalars(select(Programme).where(Programme.office_id == office_id).order_by(Programme.name)))


def create_default(session: Session, office: Office, now: dt.datetime) -> Programme:
    """A new office's first programme: its own budget, paying every request at the usual rates."""
    programme = Programme(office_id=office.id, name=OWN_BUDGET, kinds=["guide", "interpreter"],
                          created_at=now)
    programme.rates.append(RateVersion(valid_from=dt.date(2000, 1, 1), rule_data=Rule().to_json(), created_at=now))
    session.add(programme)
    return programme


def save_programme(session: Session, acting: Acting, office_id: int, programme: Programme | None, *, name: str,
                   kinds: list[str], is_active: bool) -> Programme:
    name = name.strip()
    clash = session.scalar(select(Programme.id).where(Programme.office_id == office_id, Programme.name == name))
    if clash is not None and (programme is None or clash != programme.id):
        raise ProgrammeError(_("The office already has a programme of this name."), "name")
    created = programme is None
    if created:
        programme = Programme(office_id=office_id, created_at=acting.now)
        session.add(programme)
    programme.name, programme.kinds, programme.is_active = name, sorted(set(kinds)), is_active
    session.flush()
    record_by(session, acting, "programme.created" if created else "programme.changed", subject=programme,
              office_id=office_id, details={"name": name, "kinds": programme.kinds, "active": is_active})
    return programme


def add_rate(session: Session, acting: Acting, programme: Programme, valid_from: dt.date, rule: Rule) -> RateVersion:
    """A new rate from ``valid_from`` on. Past months stay as they were paid: a rate starts at the earliest on
    the first of the current month (a rate of the same day this month is replaced)."""
    today = acting.now.astimezone(ZoneInfo(acting.zone)).date()
    first_of_month = today.replace(day=1)
    if valid_from < first_of_month:
        raise ProgrammeError(_("A new rate can start on %(date)s at the earliest: past months stay as they were "
                               "paid.", date=format_date(first_of_month)), "valid_from")
    existing = next((r for r in programme.rates if r.valid_from == valid_from), None)
    if existing is not None:
        existing.rule_data, existing.created_by_id, existing.created_at = rule.to_json(), acting.actor.id, acting.now
        rate = existing
    else:
        rate = RateVersion(valid_from=valid_from, rule_data=rule.to_json(), created_by_id=acting.actor.id,
                           created_at=acting.now)
        programme.rates.append(rate)
    session.flush()
    record_by(session, acting, "programme.rate_added", subject=programme, office_id=programme.office_id,
              details={"valid_from": valid_from.isoformat(), **rule.to_json()})
    return rate


def parse_zones(text: str) -> tuple[tuple[int, Decimal], ...]:
    """"10=5.00, 25=10.00" as ((10, 5.00), (25, 10.00)), ascending; a ProgrammeError names what is wrong."""
    zones = []
    for part in (p.strip() for p in (text or "").split(",")):
        if not part:
            continue
        upto, _sep, amount = part.partition("=")
        try:
            zones.append((int(upto.strip()), Decimal(amount.strip().replace(",", "."))))
        except (ValueError, InvalidOperation):
            raise ProgrammeError(_("Write each zone as “up to km = EUR”, e.g. “10=5.00”."), "zones") from None
    if any(upto <= 0 or upto > 1000 or amount < 0 or amount > 1000 for upto, amount in zones):
        raise ProgrammeError(_("Zones go up to 1,000 km and 1,000 EUR."), "zones")
    return tuple(sorted(zones))


def rule_from(values: dict) -> Rule:
    """A rule from the rate form's values; empty fields take the defaults (caps: no limit)."""
    base = Rule()
    travel = Travel(values.get("travel") or base.travel.value)
    zones = parse_zones(values.get("zones") or "")
    if travel is Travel.ZONE and not zones:
        raise ProgrammeError(_("Name at least one distance zone."), "zones")
    pick = lambda key: values.get(key) if values.get(key) is not None else getattr(base, key)  # noqa: E731
    return Rule(
        per_hour=pick("per_hour"), step_minutes=pick("step_minutes"), first_hour_full=bool(values.get("first_hour_full")),
        minimum_minutes=pick("minimum_minutes"), waiting_paid=bool(values.get("waiting_paid")),
        flat_per_assignment=pick("flat_per_assignment"), travel=travel, per_km=pick("per_km"),
        travel_max_minutes=pick("travel_max_minutes"), zones=zones, night_percent=values.get("night_percent") or 0,
        night_from=pick("night_from"), night_until=pick("night_until"),
        sunday_percent=values.get("sunday_percent") or 0, holiday_percent=values.get("holiday_percent") or 0,
        late_cancel_minutes=pick("late_cancel_minutes"), late_cancel_travel=bool(values.get("late_cancel_travel")),
        per_client_cap=values.get("per_client_cap"), yearly_hour_cap=values.get("yearly_hour_cap"),
        monthly_cap=values.get("monthly_cap"))
