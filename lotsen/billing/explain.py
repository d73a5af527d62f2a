"""An allowance explained line by line, in the reader's language: "1 h 30 min at 15.00 EUR = 22.50 EUR"."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import format_currency, format_decimal

from lotsen.billing.rules import Allowance, Line, LineKind, Rule, Travel
from lotsen.i18n import _


def money(amount: Decimal) -> str:
    return format_currency(amount, "EUR")


def duration(minutes: int | Decimal) -> str:
    minutes = int(minutes)
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return _("%(h)d h %(m)d min", h=hours, m=rest)
    if hours:
        return _("%(h)d h", h=hours)
    return _("%(m)d min", m=rest)


def describe(line: Line) -> str:
    """What one line pays for and how it is reckoned."""
    amount, rate = money(line.amount), money(line.rate)
    kind = line.kind
    if kind is LineKind.TIME:
        return _("Time: %(time)s at %(rate)s per hour = %(amount)s", time=duration(line.quantity), rate=rate,
                 amount=amount)
    if kind in (LineKind.NIGHT, LineKind.SUNDAY, LineKind.HOLIDAY):
        what = {LineKind.NIGHT: _("Night surcharge"), LineKind.SUNDAY: _("Sunday surcharge"),
                LineKind.HOLIDAY: _("Public holiday surcharge")}[kind]
        return _("%(what)s %(percent)d %%: %(time)s at %(rate)s per hour = %(amount)s", what=what,
                 percent=line.percent, time=duration(line.quantity), rate=rate, amount=amount)
    if kind is LineKind.FLAT:
        return _("Flat amount per assignment = %(amount)s", amount=amount)
    if kind is LineKind.TRAVEL_KM:
        return _("Travel: %(km)s km at %(rate)s = %(amount)s", km=format_decimal(line.quantity), rate=rate,
                 amount=amount)
    if kind is LineKind.TRAVEL_TIME:
        return _("Travel time: %(time)s at %(rate)s per hour = %(amount)s", time=duration(line.quantity),
                 rate=rate, amount=amount)
    if kind is LineKind.TRAVEL_ZONE:
        return _("Travel: %(km)s km, flat for the zone = %(amount)s", km=format_decimal(line.quantity),
                 amount=amount)
    if kind is LineKind.LATE_CANCEL:
        return _("Late cancellation or no-show: %(time)s at %(rate)s per hour = %(amount)s",
                 time=duration(line.quantity), rate=rate, amount=amount)
    if kind is LineKind.CLIENT_CAP:
        return _("At most %(cap)d paid assignments per client and year (this is no. %(n)d) = %(amount)s",
                 cap=int(line.rate), n=int(line.quantity) + 1, amount=amount)
    if kind is LineKind.HOUR_CAP:
        return _("Beyond the yearly limit of paid hours: %(time)s = %(amount)s", time=duration(line.quantity),
                 amount=amount)
    return _("Beyond the monthly limit of %(cap)s = %(amount)s", cap=rate, amount=amount)


def explained(allowance: Allowance | None) -> list[str]:
    return [describe(line) for line in allowance.lines] if allowance is not None else []


def rule_summary(rule: Rule) -> list[str]:
    """A rate in a few plain sentences."""
    steps = {1: _("to the minute"), 15: _("per started quarter hour"), 30: _("per started half hour"),
             60: _("per started hour")}
    said = []
    if rule.per_hour:
        said.append(_("%(rate)s per hour, %(step)s", rate=money(rule.per_hour),
                      step=steps.get(rule.step_minutes, steps[1]))
                    + (_("; the first started hour in full") if rule.first_hour_full else "")
                    + (_("; at least %(time)s", time=duration(rule.minimum_minutes)) if rule.minimum_minutes else "")
                    + (_("; waiting time counts") if rule.waiting_paid else _("; waiting time does not count")))
    if rule.flat_per_assignment:
        said.append(_("%(amount)s per assignment", amount=money(rule.flat_per_assignment)))
    if rule.travel is Travel.KM:
        said.append(_("Travel: %(rate)s per km", rate=money(rule.per_km)))
    elif rule.travel is Travel.TIME:
        said.append(_("Travel time at the hourly rate, up to %(time)s", time=duration(rule.travel_max_minutes)))
    elif rule.travel is Travel.ZONE:
        said.append(_("Travel by zone: %(zones)s", zones=", ".join(
            _("up to %(km)d km %(amount)s", km=upto, amount=money(amount)) for upto, amount in rule.zones)))
    surcharges = [(rule.night_percent, _("nights")), (rule.sunday_percent, _("Sundays")),
                  (rule.holiday_percent, _("public holidays"))]
    if any(percent for percent, _what in surcharges):
        said.append(_("Surcharges: %(list)s", list=", ".join(f"{what} +{percent} %" for percent, what in surcharges
                                                                 if percent)))
    said.append(_("A late cancellation or no-show pays %(time)s", time=duration(rule.late_cancel_minutes))
                + (_(" and the travel") if rule.late_cancel_travel else ""))
    caps = []
    if rule.per_client_cap:
        caps.append(_("%(n)d paid assignments per client and year", n=rule.per_client_cap))
    if rule.yearly_hour_cap:
        caps.append(_("%(n)d paid hours per year", n=rule.yearly_hour_cap))
    if rule.monthly_cap is not None:
        caps.append(_("%(amount)s per month", amount=money(rule.monthly_cap)))
    if caps:
        said.append(_("At most: %(list)s", list=", ".join(caps)))
    return said
