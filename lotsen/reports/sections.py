"""The report's sections: figures from ``queries`` with their labels, as tables and charts; suppression for
reports that leave the office."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import format_currency, format_date, format_decimal
from sqlalchemy import select
from sqlalchemy.orm import Session

from lotsen import languages as catalogue
from lotsen.billing.models import Programme
from lotsen.i18n import _, _l, ngettext
from lotsen.offices import settings as office_settings
from lotsen.offices.models import AgencyType, Office
from lotsen.reports import queries
from lotsen.requests.lifecycle import UnfilledReason
from lotsen.requests.models import RequestKind
from lotsen.volunteers.models import Mode, Topic, TrainingKind

THRESHOLD = 5  # for publication: counts from 1 to 4 are shown as "fewer than 5"


class Suppressed:
    """A count too small to publish (it could single out a person)."""

    def __str__(self) -> str:
        return _("fewer than %(n)d", n=THRESHOLD)


SUPPRESSED = Suppressed()


@dataclass
class Column:
    key: str
    title: object
    kind: str = "count"  # count, label, hours, percent, money, ratio
    group: str = ""  # the office whose figure this is, when offices are compared side by side

    @property
    def heading(self) -> str:
        """The column's title where only one line of headings fits (CSV, workbook, PDF, chart legend)."""
        return f"{self.group}: {self.title}" if self.group else str(self.title)


@dataclass
class Table:
    key: str
    title: object
    columns: list[Column]
    rows: list[dict]
    chart: tuple[str, ...] = ()  # the columns the chart shows (the first column labels the bars)
    note: object = ""
    stacked: bool = False

    @property
    def groups(self) -> list[tuple[str, int]]:
        """The offices compared and how many columns each has, in the columns' order (none for one office)."""
        spans: dict[str, list] = {}  # by the office's place in the comparison (two offices may share a name)
        for column in self.columns[1:]:
            if column.group:
                spans.setdefault(column.key.split(".")[0], [column.group, 0])[1] += 1
        return [(group, span) for group, span in spans.values()]


def _label(dimension: str, value) -> str:
    if value in (None, ""):
        return str(_("not given"))
    if dimension == "language":
        return catalogue.name(value)
    if dimension == "agency_type":
        return AgencyType(value).title
    if dimension == "topic":
        return Topic(value).title
    if dimension == "mode":
        return Mode(value).title
    if dimension == "urgent":
        return str(_("Urgent") if value else _("Planned"))
    if dimension == "reason":
        return UnfilledReason(value).title
    if dimension == "role":
        return RequestKind(value).title
    return str(value)


DIMENSION_TITLES = {
    "language": _l("Language"), "agency_type": _l("Agency type"), "agency": _l("Agency"),
    "municipality": _l("Municipality"), "topic": _l("Topic"), "mode": _l("How"), "urgent": _l("Urgent or planned"),
    "programme": _l("Programme"), "role": _l("Role"),
}


# Which sections read each breakdown of the requests.
REQUEST_READERS = {**{d: (f"fill_{d}",) for d in queries.DIMENSIONS},
                   "language": ("fill_language", "unmet_language", "short_supply"),
                   "municipality": ("fill_municipality", "unmet_municipality"), "office": ("offices",)}


def build(session: Session, scope: queries.Scope, *, publish: bool, only: str | None = None) -> list[Table]:
    """The report's sections in the page's order. ``only`` names the one section a CSV or a chart needs: then
    only its figures are queried."""

    def want(key: str) -> bool:
        return only is None or only == key

    tables = []
    # The breakdowns the wanted sections read, each kind (requests, hours) in one query.
    offices = len(scope.office_ids) > 1 and want("offices")
    filled = queries.fill_by(session, scope, tuple(
        d for d, readers in REQUEST_READERS.items()
        if any(want(key) for key in readers) and (d != "office" or offices)))
    hours = queries.hours_by(session, scope, tuple(
        d for d in queries.HOURS_DIMENSIONS + ("office",) if want(f"hours_{d}") or (d == "office" and offices)))
    if offices:
        tables.append(_offices(session, scope, filled["office"], hours["office"]))
    if want("requests"):
        months = queries.requests_by_month(session, scope)
        for row in months:
            row["label"] = format_date(row["month"], "LLLL yyyy")
        tables.append(Table("requests", _l("Requests by month"), [
            Column("label", _l("Month"), "label"), Column("requests", _l("Requests")), Column("filled", _l("Filled")),
            Column("unfilled", _l("Not filled")), Column("cancelled_late", _l("Cancelled late")),
            Column("cancelled_in_time", _l("Cancelled in time"))], months,
            chart=("label", "filled", "unfilled", "cancelled_late", "cancelled_in_time"), stacked=True,
            note=_l("Counted by the day of the appointment.")))
    if want("unfilled"):
        reasons = queries.unfilled_by_reason(session, scope)
        for row in reasons:
            row["label"] = _label("reason", row["reason"])
        tables.append(Table("unfilled", _l("Not filled, by reason"), [
            Column("label", _l("Reason"), "label"), Column("requests", _l("Requests"))], reasons,
            chart=("label", "requests")))
    for dimension in (d for d in queries.DIMENSIONS if want(f"fill_{d}")):
        rows = [{k: v for k, v in row.items() if k != "unfilled"} for row in filled[dimension]]
        for row in rows:
            row["label"] = _label(dimension, row["key"])
            row["rate"] = row["filled"] / row["requests"] if row["requests"] else None
        tables.append(Table(f"fill_{dimension}", _l("Fill rate and time to fill by %(what)s",
                                                     what=DIMENSION_TITLES[dimension]), [
            Column("label", DIMENSION_TITLES[dimension], "label"), Column("requests", _l("Requests")),
            Column("filled", _l("Filled")), Column("rate", _l("Fill rate"), "percent"),
            Column("median_hours", _l("Hours to fill, median"), "hours"),
            Column("p90_hours", _l("Hours to fill, 90 % within"), "hours")], rows,
            chart=("label", "rate") if dimension in ("language", "agency_type") else (),
            note=_l("Cancelled requests are not counted. Time to fill: from filing to the confirmed volunteer.")))
    for dimension in (d for d in ("language", "municipality") if want(f"unmet_{d}")):
        rows = queries.unmet(filled[dimension])
        for row in rows:
            row["label"] = _label(dimension, row["key"])
        tables.append(Table(f"unmet_{dimension}", _l("Not filled, by %(what)s", what=DIMENSION_TITLES[dimension]),
                            [Column("label", DIMENSION_TITLES[dimension], "label"),
                             Column("unfilled", _l("Not filled"))], rows, chart=("label", "unfilled")))
    if want("short_supply"):
        supply = queries.short_supply(session, scope, filled["language"])
        for row in supply:
            row["label"] = _label("language", row["key"])
            row["per_volunteer"] = row["requests"] / row["volunteers"] if row["volunteers"] else None
        tables.append(Table("short_supply", _l("Languages in short supply"), [
            Column("label", _l("Language"), "label"), Column("requests", _l("Requests")),
            Column("unfilled", _l("Not filled")), Column("volunteers", _l("Active volunteers who speak it")),
            Column("per_volunteer", _l("Requests per volunteer"), "ratio")], supply,
            chart=("label", "per_volunteer"),
            note=_l("Most requests per volunteer first: where recruiting helps most.")))
    for dimension in (d for d in queries.HOURS_DIMENSIONS if want(f"hours_{d}")):
        rows = hours[dimension]
        for row in rows:
            row["label"] = _label(dimension, row["key"])
        tables.append(Table(f"hours_{dimension}", _l("Hours and allowances by %(what)s",
                                                      what=DIMENSION_TITLES[dimension]), [
            Column("label", DIMENSION_TITLES[dimension], "label"), Column("assignments", _l("Assignments")),
            Column("hours", _l("Hours"), "hours"), Column("amount", _l("Allowances approved"), "money")], rows,
            chart=("label", "hours") if dimension in ("programme", "language") else (),
            note=_l("Records confirmed by the agency or decided by the office; amounts once a statement is "
                    "approved.")))
    if want("volunteers"):
        summary = queries.volunteers_summary(session, scope)
        tables.append(Table("volunteers", _l("Volunteers"), [
            Column("label", _l("Volunteers"), "label"), Column("volunteers", _l("Number"))], [
            {"label": str(_("Active now")), "volunteers": summary["active"]},
            {"label": str(_("New in the period")), "volunteers": summary["new"]},
            {"label": str(_("Paused now")), "volunteers": summary["paused"]},
            {"label": str(_("Left in the period")), "volunteers": summary["left"]}]))
    if want("trainings"):
        held = queries.trainings(session, scope)
        for row in held:
            row["label"] = TrainingKind(row["key"]).title
        tables.append(Table("trainings", _l("Trainings held"), [
            Column("label", _l("Training"), "label"), Column("trainings", _l("Trainings")),
            Column("volunteers", _l("Volunteers"))], held, note=_l("Completed in the period.")))
    for dimension in (d for d in ("language", "role", "municipality") if want(f"volunteers_{d}")):
        rows = queries.volunteers_by(session, scope, dimension)
        for row in rows:
            row["label"] = _label(dimension, row["key"])
        tables.append(Table(f"volunteers_{dimension}", _l("Active volunteers by %(what)s",
                                                          what=DIMENSION_TITLES[dimension]), [
            Column("label", DIMENSION_TITLES[dimension], "label"), Column("volunteers", _l("Volunteers"))], rows,
            chart=("label", "volunteers") if dimension == "language" else ()))
    if only is None or only.startswith(("cap_", "budget")):
        tables += [t for t in _funders(session, scope, publish=publish) if want(t.key)]
    if publish:
        for table in tables:
            suppress(table)
    return tables


MAX_COMPARED = 5  # offices side by side: more would not fit a page


def compare(session: Session, scopes: list[tuple[str, queries.Scope]], *, publish: bool,
            only: str | None = None) -> list[Table]:
    """The same sections for several offices side by side: each section's rows once, and each office's
    figures in a group of columns of its own (headed by the office's name); first the offices' main figures."""
    together = queries.Scope(tuple(i for _name, scope in scopes for i in scope.office_ids), scopes[0][1].period,
                             scopes[0][1].zone)
    merged: dict[str, Table] = {}
    if only is None or only == "offices":
        merged["offices"] = build(session, together, publish=publish, only="offices")[0]
    for number, (name, scope) in enumerate(scopes):
        for table in build(session, scope, publish=publish, only=only):
            into = merged.setdefault(table.key, Table(
                table.key, table.title, [table.columns[0]], [], note=table.note,
                chart=(table.chart[0],) if table.chart else ()))
            label = table.columns[0].key
            into.columns += [Column(f"{number}.{c.key}", c.title, c.kind, name) for c in table.columns[1:]]
            if table.chart:
                # Per office the first figure the section's chart shows, as bars beside each other.
                into.chart = (*into.chart, f"{number}.{table.chart[1]}")
            rows = {row[label]: row for row in into.rows}
            for row in table.rows:
                if row[label] not in rows:
                    rows[row[label]] = {label: row[label]}
                    into.rows.append(rows[row[label]])
                rows[row[label]].update({f"{number}.{key}": value for key, value in row.items() if key != label})
    return list(merged.values())


def _offices(session: Session, scope: queries.Scope, filled: list[dict], hours: list[dict]) -> Table:
    """The main figures of each office side by side (for admins, across the offices of an instance)."""
    offices = queries.by_office(session, scope, filled, hours)
    for row in offices:
        row["label"] = row["key"]
        row["rate"] = row["filled"] / row["requests"] if row["requests"] else None
    return Table("offices", _l("Offices side by side"), [
        Column("label", _l("Office"), "label"), Column("requests", _l("Requests")), Column("filled", _l("Filled")),
        Column("rate", _l("Fill rate"), "percent"), Column("unfilled", _l("Not filled")),
        Column("hours", _l("Hours"), "hours"), Column("amount", _l("Allowances approved"), "money"),
        Column("volunteers", _l("Active volunteers"))], offices, chart=("label", "requests", "filled"),
        note=_l("Cancelled requests are not counted."))


def _funders(session: Session, scope: queries.Scope, *, publish: bool) -> list[Table]:
    """What funders ask: hours per volunteer against a programme's yearly cap, assignments per client
    against its cap, and the budget used (one office at a time)."""
    if len(scope.office_ids) != 1:
        return []
    tables = []
    office = session.get(Office, scope.office_ids[0])
    for programme in session.scalars(select(Programme).where(Programme.office_id == office.id)
                                     .order_by(Programme.name)):
        rate = programme.rate_on(scope.period.last_day)
        rule = rate.rule if rate else None
        if rule is not None and rule.yearly_hour_cap:
            rows = queries.hours_per_volunteer(session, scope, programme.id)
            for number, row in enumerate(rows, 1):
                row["label"] = str(_("Volunteer %(n)d", n=number)) if publish else row["key"]
                row["left"] = max(0.0, rule.yearly_hour_cap - row["paid_hours"])
            tables.append(Table(f"cap_hours_{programme.id}", _l("%(programme)s: hours per volunteer (at most "
                                                                  "%(cap)d paid hours a year)",
                                                                  programme=programme.name,
                                                                  cap=rule.yearly_hour_cap), [
                Column("label", _l("Volunteer"), "label"), Column("assignments", _l("Assignments")),
                Column("hours", _l("Hours worked"), "hours"), Column("paid_hours", _l("Hours paid"), "hours"),
                Column("left", _l("Hours left of the cap"), "hours")], rows,
                note=_l("Hours paid: as approved in the statements of the period.")))
        if rule is not None and rule.per_client_cap:
            spread = queries.assignments_per_client(session, scope, programme.id)
            rows = []
            for n, clients in spread.items():
                label = str(ngettext("%(num)d assignment", "%(num)d assignments", n))
                over = n > rule.per_client_cap
                rows.append({"label": str(_("%(what)s (more than allowed)", what=label)) if over else label,
                             "clients": clients, "over": over})
            tables.append(Table(f"cap_clients_{programme.id}", _l("%(programme)s: assignments per client (at most "
                                                                    "%(cap)d)", programme=programme.name,
                                                                    cap=rule.per_client_cap), [
                Column("label", _l("Assignments per client"), "label"), Column("clients", _l("Clients"))], rows,
                chart=("label", "clients"),
                note=_l("Clients counted by the agency's case number, never by name.")))
    budget = office_settings.value(office, "allowance_budget")
    if budget:
        used = queries.amount_used(session, scope)
        tables.append(Table("budget", _l("Budget"), [
            Column("label", _l("Budget"), "label"), Column("amount", _l("Amount"), "money"),
            Column("share", _l("Share of the budget"), "percent")], [
            {"label": str(_("Budget for the year")), "amount": Decimal(budget), "share": 1.0},
            {"label": str(_("Used in the period")), "amount": used, "share": float(used / Decimal(budget))}]))
    return tables


# A row's figures that are derived from its counts, and the counts they would give away.
DERIVED = {"left": ("assignments",), "paid_hours": ("assignments",), "rate": ("requests", "filled"),
           "median_hours": ("filled",), "p90_hours": ("filled",),
           "per_volunteer": ("requests", "volunteers"), "hours": ("assignments",), "amount": ("assignments",)}


def suppress(table: Table, threshold: int = THRESHOLD) -> None:
    """Counts from 1 to ``threshold - 1`` become "fewer than …", and what is derived from them disappears, so
    that no cell of a published report can point to a person."""
    counts = [c.key for c in table.columns if c.kind == "count"]
    for row in table.rows:
        small = {key for key in counts if isinstance(row.get(key), int) and 0 < row[key] < threshold}
        for key in small:
            row[key] = SUPPRESSED
        for derived, bases in DERIVED.items():
            if derived in row and small.intersection(bases):
                row[derived] = None


def plain(value, kind: str):
    """A cell for CSV: numbers as numbers, suppressed counts as their text."""
    if value is None:
        return ""
    if isinstance(value, Suppressed):
        return str(value)
    if kind == "hours":
        return f"{value:.1f}"
    if kind == "percent":
        return f"{value * 100:.0f}"
    if kind == "ratio":
        return f"{value:.2f}"
    if kind == "money":
        return f"{Decimal(value):.2f}"
    return value


def display(value, kind: str) -> str:
    """A cell as the page shows it, in the reader's language (for the PDF)."""
    if value is None:
        return "–"
    if isinstance(value, Suppressed):
        return str(value)
    if kind == "hours":
        return format_decimal(value, "#,##0.0")
    if kind == "percent":
        return format_decimal(value * 100, "#,##0") + " %"
    if kind == "ratio":
        return format_decimal(value, "#,##0.00")
    if kind == "money":
        return format_currency(value, "EUR")
    if isinstance(value, int) and not isinstance(value, bool):
        return format_decimal(value)
    return str(value)
