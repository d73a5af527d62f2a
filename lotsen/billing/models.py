"""Programmes with versioned rates, and the assignment record (Einsatznachweis) with every version kept."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (JSON, Boolean, Date, ForeignKey, Index, Integer, Numeric, SmallInteger, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lotsen import clock
from lotsen.assignments.models import Assignment
from lotsen.auth.models import Role, User
from lotsen.auth.permissions import coordinates
from lotsen.billing.lifecycle import RecordAction, RecordStatus, can_record, next_record_status
from lotsen.billing.rules import Outcome, Rule
from lotsen.db import Base, UTCDateTime
from lotsen.enums import TitledEnum, enum_column
from lotsen.i18n import _l
from lotsen.volunteers.models import Mode


class RecordOutcome(TitledEnum):
    """``lotsen.billing.rules.Outcome`` with the titles the forms and pages show."""

    TOOK_PLACE = Outcome.TOOK_PLACE.value
    NO_SHOW = Outcome.NO_SHOW.value
    LATE_CANCELLED = Outcome.LATE_CANCELLED.value
    DID_NOT_TAKE_PLACE = Outcome.DID_NOT_TAKE_PLACE.value

    @classmethod
    def titles(cls):
        return {
            cls.TOOK_PLACE: _l("It took place"),
            cls.NO_SHOW: _l("I was there, the client did not come"),
            cls.LATE_CANCELLED: _l("Cancelled at short notice by the agency"),
            cls.DID_NOT_TAKE_PLACE: _l("It did not take place for another reason"),
        }

    @property
    def rule_outcome(self) -> Outcome:
        return Outcome(self.value)


class Programme(Base):
    """What pays an office's volunteers: e.g. "WIR-Lotsen", "WIR lay interpreters", "own budget"."""

    __tablename__ = "programmes"
    __table_args__ = (UniqueConstraint("office_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    # Which requests it pays unless a coordinator chooses another: "guide", "interpreter".
    kinds: Mapped[list] = mapped_column(JSON, default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)

    rates: Mapped[list[RateVersion]] = relationship(back_populates="programme", order_by="RateVersion.valid_from",
                                                    cascade="all, delete-orphan")

    def rate_on(self, day: dt.date) -> RateVersion | None:
        """The rate valid on ``day``: the latest that started on or before it."""
        valid = [rate for rate in self.rates if rate.valid_from <= day]
        return valid[-1] if valid else None

    def can_manage(self, user) -> bool:
        return coordinates(user, self.office_id)


class RateVersion(Base):
    """One version of a programme's rule, valid from a day until the next version starts."""

    __tablename__ = "programme_rates"
    __table_args__ = (UniqueConstraint("programme_id", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    rule_data: Mapped[dict] = mapped_column("rule", JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    programme: Mapped[Programme] = relationship(back_populates="rates")
    created_by: Mapped[User | None] = relationship()

    @property
    def rule(self) -> Rule:
        return Rule.from_json(self.rule_data or {})


class RecordFacts:
    """What happened at an assignment: the record holds its current version's facts, each version its own."""

    outcome: Mapped[RecordOutcome] = mapped_column(enum_column(RecordOutcome))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    waiting_minutes: Mapped[int] = mapped_column(SmallInteger, default=0)
    travel_minutes: Mapped[int] = mapped_column(SmallInteger, default=0)
    travel_km: Mapped[Decimal] = mapped_column(Numeric(6, 1), default=Decimal("0"))
    mode: Mapped[str] = mapped_column(String(16))

    FIELDS = ("outcome", "starts_at", "ends_at", "waiting_minutes", "travel_minutes", "travel_km", "mode")


class AssignmentRecord(RecordFacts, Base):
    """What happened at one assignment, as it stands now (its versions keep how it got there)."""

    __tablename__ = "assignment_records"
    __table_args__ = (
        Index("ix_assignment_records_office_id_starts_at", "office_id", "starts_at"),
        Index("ix_assignment_records_volunteer_id_starts_at", "volunteer_id", "starts_at"),
        Index("ix_assignment_records_agency_id_status", "agency_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), unique=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programmes.id", ondelete="SET NULL"))
    status: Mapped[RecordStatus] = mapped_column(enum_column(RecordStatus), default=RecordStatus.SUBMITTED)
    version: Mapped[int] = mapped_column(SmallInteger, default=1)
    # The pseudonymous client (the agency's case number), for a programme's cap per client; no name.
    client_key: Mapped[str] = mapped_column(String(80), default="")
    confirm_by: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # after this the office decides
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_via: Mapped[str] = mapped_column(String(16), default="")  # "link", "signed_in", "office"
    agency_comment: Mapped[str] = mapped_column(Text, default="")  # why the agency disputed it
    office_note: Mapped[str] = mapped_column(Text, default="")  # what the office decided and why
    statement_id: Mapped[int | None] = mapped_column(ForeignKey("statements.id", ondelete="SET NULL"))
    # What the approved statement paid for it (for the reports: sums in SQL, not prices in Python).
    amount: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    paid_minutes: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)

    assignment: Mapped[Assignment] = relationship()
    volunteer: Mapped[User] = relationship(foreign_keys=[volunteer_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])
    programme: Mapped[Programme | None] = relationship()
    versions: Mapped[list[RecordVersion]] = relationship(back_populates="record", order_by="RecordVersion.version",
                                                         cascade="all, delete-orphan")

    def move(self, action: RecordAction) -> None:
        self.status = next_record_status(self.status, action)

    @property
    def minutes(self) -> int:
        return max(0, int((self.ends_at - self.starts_at).total_seconds() // 60))

    @property
    def mode_title(self) -> str:
        return Mode(self.mode).title if self.mode in Mode._value2member_map_ else self.mode

    # ---------------------------------------------------------------------------------------- predicates

    def can_view(self, user) -> bool:
        """The volunteer, the office's coordinators, and the agency's caseworkers (who see less: see below)."""
        return self.is_volunteer(user) or coordinates(user, self.office_id) or self.is_agency(user)

    def is_volunteer(self, user) -> bool:
        return user is not None and getattr(user, "is_authenticated", False) and user.id == self.volunteer_id

    def is_agency(self, user) -> bool:
        return (user is not None and getattr(user, "is_authenticated", False) and user.role is Role.CASEWORKER
                and user.agency_id == self.agency_id and self.office_id in user.caseworker_office_ids)

    def can_revise(self, user) -> bool:
        """Not once an approved statement holds it. The office, until then; the volunteer while the agency has not confirmed it (and after a late cancellation,
        whose record was made for them, to add their travel)."""
        open_to_volunteer = self.status in (RecordStatus.SUBMITTED, RecordStatus.DISPUTED) or (
            self.status is RecordStatus.CONFIRMED and self.answered_via == "cancellation")
        return self.statement_id is None and can_record(self.status, RecordAction.REVISE) and (
            coordinates(user, self.office_id) or (self.is_volunteer(user) and open_to_volunteer))

    def can_answer(self, now: dt.datetime) -> bool:
        """The agency may still confirm or dispute it (through the link or signed in)."""
        return self.status is RecordStatus.SUBMITTED and now <= self.confirm_by

    def can_decide(self, user, now: dt.datetime) -> bool:
        """The office decides a disputed record, or one the agency left unanswered past the deadline."""
        return self.statement_id is None and coordinates(user, self.office_id) and can_record(
            self.status, RecordAction.DECIDE) and (
            self.status is RecordStatus.DISPUTED or now > self.confirm_by)

    def can_choose_programme(self, user) -> bool:
        return self.statement_id is None and coordinates(user, self.office_id)


class RecordVersion(RecordFacts, Base):
    """One version of a record: the facts as someone entered them, with who, when and why."""

    __tablename__ = "assignment_record_versions"
    __table_args__ = (UniqueConstraint("record_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("assignment_records.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")  # the volunteer's or coordinator's note to the office
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)

    record: Mapped[AssignmentRecord] = relationship(back_populates="versions")
    recorded_by: Mapped[User | None] = relationship()


class TaxAllowance(TitledEnum):
    """The tax-free allowance a volunteer's activity falls under (§ 3 Nr. 26a or Nr. 26 EStG)."""

    VOLUNTEERING = "volunteering"  # Ehrenamtspauschale
    TRAINER = "trainer"  # Übungsleiterpauschale

    @classmethod
    def titles(cls):
        return {cls.VOLUNTEERING: _l("Volunteering allowance (Ehrenamtspauschale, § 3 Nr. 26a EStG)"),
                cls.TRAINER: _l("Trainer allowance (Übungsleiterpauschale, § 3 Nr. 26 EStG)")}


class PayoutDetails(Base):
    """Where a volunteer's allowance goes, and what the yearly tally measures it against. Seen by the
    volunteer and the coordinators of their office only; the IBAN is masked in lists."""

    __tablename__ = "payout_details"

    volunteer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    account_holder: Mapped[str] = mapped_column(String(140), default="")
    iban: Mapped[str] = mapped_column(String(34), default="")
    bic: Mapped[str] = mapped_column(String(11), default="")
    tax_allowance: Mapped[TaxAllowance] = mapped_column(enum_column(TaxAllowance),
                                                        default=TaxAllowance.VOLUNTEERING)
    on_buergergeld: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)

    volunteer: Mapped[User] = relationship()

    @property
    def masked_iban(self) -> str:
        return f"{self.iban[:4]} •••• {self.iban[-4:]}" if len(self.iban) > 8 else ""

    @property
    def is_complete(self) -> bool:
        return bool(self.iban and self.account_holder)


class StatementStatus(TitledEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    PAID = "paid"

    @classmethod
    def titles(cls):
        return {cls.DRAFT: _l("Draft"), cls.APPROVED: _l("Approved"), cls.PAID: _l("Paid")}


class Statement(Base):
    """A volunteer's month: their confirmed records with amounts, as priced when it was drawn up. Approving it
    fixes its records; a payout pays it."""

    __tablename__ = "statements"
    __table_args__ = (UniqueConstraint("office_id", "volunteer_id", "year", "month"),
                      Index("ix_statements_office_id_year_month", "office_id", "year", "month"))

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(SmallInteger)
    month: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[StatementStatus] = mapped_column(enum_column(StatementStatus), default=StatementStatus.DRAFT)
    total: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))
    minutes: Mapped[int] = mapped_column(Integer, default=0)  # time paid (hours per volunteer for funders)
    # The records as priced: [{"record": id, "starts_at": iso, "outcome": ..., "programme": name,
    # "total": "22.50", "lines": [[kind, quantity, rate, amount, percent], ...]}, ...]
    items: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payouts.id", ondelete="SET NULL"))

    volunteer: Mapped[User] = relationship(foreign_keys=[volunteer_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    payout: Mapped[Payout | None] = relationship(back_populates="statements")

    def can_view(self, user) -> bool:
        return coordinates(user, self.office_id) or (
            user is not None and getattr(user, "is_authenticated", False) and user.id == self.volunteer_id
            and self.status is not StatementStatus.DRAFT)

    def can_approve(self, user) -> bool:
        return coordinates(user, self.office_id) and self.status is StatementStatus.DRAFT


class Payout(Base):
    """One payment run: a month's approved statements as one SEPA credit transfer file."""

    __tablename__ = "payouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(SmallInteger)
    month: Mapped[int] = mapped_column(SmallInteger)
    total: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    count: Mapped[int] = mapped_column(Integer, default=0)
    execution_date: Mapped[dt.date] = mapped_column(Date)
    sepa_xml: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    statements: Mapped[list[Statement]] = relationship(back_populates="payout")
    created_by: Mapped[User | None] = relationship()

    def can_view(self, user) -> bool:
        return coordinates(user, self.office_id)
