"""User accounts, roles and account status."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, CheckConstraint, Column, ForeignKey, Index, Integer, String, Table, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lotsen import clock
from lotsen.db import Base, UTCDateTime
from lotsen.enums import TitledEnum, enum_column
from lotsen.i18n import _l
from lotsen.offices.models import Agency, Office


class Role(TitledEnum):
    VOLUNTEER = "volunteer"
    CASEWORKER = "caseworker"
    COORDINATOR = "coordinator"
    ADMIN = "admin"

    @classmethod
    def titles(cls):
        return {
            cls.VOLUNTEER: _l("Volunteer"),
            cls.CASEWORKER: _l("Caseworker"),
            cls.COORDINATOR: _l("Coordinator"),
            cls.ADMIN: _l("Administrator"),
        }


class UserStatus(TitledEnum):
    INVITED = "invited"  # has not set a password yet
    PENDING = "pending"  # registered themselves, waits to be vetted
    ACTIVE = "active"
    DEACTIVATED = "deactivated"

    @classmethod
    def titles(cls):
        return {
            cls.INVITED: _l("Invited"),
            cls.PENDING: _l("Awaiting vetting"),
            cls.ACTIVE: _l("Active"),
            cls.DEACTIVATED: _l("Deactivated"),
        }


# The offices a caseworker works with: they file to and see their agency's requests of these offices only.
# An agency may work with several offices; each office grants its own access (see auth/permissions.py).
caseworker_offices = Table(
    "caseworker_offices",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("office_id", ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class User(Base):
    """Anyone who signs in: volunteer, caseworker, coordinator or admin."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "(role = 'caseworker' AND agency_id IS NOT NULL AND office_id IS NULL)"
            " OR (role IN ('volunteer', 'coordinator') AND office_id IS NOT NULL AND agency_id IS NULL)"
            " OR (role = 'admin' AND agency_id IS NULL)",
            name="role_membership",
        ),
        # Lists of people sorted by name (the volunteer directory, the people page) read the first page from here
        # instead of sorting the whole pool.
        Index("ix_users_lower_name_id", func.lower(text("name")), "id"),
        # An office's people by name: its lists read their first page from the office's part alone.
        Index("ix_users_office_id_lower_name_id", "office_id", func.lower(text("name")), "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so the unique constraint holds regardless of case.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role), index=True)
    status: Mapped[UserStatus] = mapped_column(enum_column(UserStatus), index=True)
    locale: Mapped[str] = mapped_column(String(10), default="de")
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    # Bumped on password change and deactivation: every session and link issued before dies.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    mail_opt_out: Mapped[list] = mapped_column(JSON, default=list)  # categories of optional mail switched off
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)  # the private iCal feed's secret
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # Caseworkers only: the agency's lead caseworker, who issues its API tokens where the office allows it.
    manages_api: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Self-registered people confirm their address by a mailed link; invited people by using the invitation.
    email_verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Two-factor sign-in (lotsen/auth/two_factor.py): the TOTP secret, the last time step used (a code counts
    # once), and the hashes of the unused recovery codes.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    recovery_codes: Mapped[list] = mapped_column(JSON, default=list)

    office: Mapped[Office | None] = relationship()
    agency: Mapped[Agency | None] = relationship()
    # Caseworkers only: the offices that granted them access to their agency's requests.
    caseworker_offices: Mapped[list[Office]] = relationship(secondary=caseworker_offices, order_by="Office.name")

    @property
    def caseworker_office_ids(self) -> set[int]:
        return {office.id for office in self.caseworker_offices}

    @property
    def first_name(self) -> str:
        """What an agency is told of the volunteer: the first word of the name."""
        return (self.name or "").split(" ")[0]

    # Flask-Login's protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.status in (UserStatus.ACTIVE, UserStatus.PENDING)

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    # Predicates
    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_pending(self) -> bool:
        return self.status is UserStatus.PENDING

    @property
    def has_two_factor(self) -> bool:
        return self.totp_enabled_at is not None and bool(self.totp_secret)

    @property
    def is_invited(self) -> bool:
        """Invited, and has not set a password yet."""
        return self.status is UserStatus.INVITED

    @property
    def can_sign_in(self) -> bool:
        """The account is fully active (not invited, pending or deactivated)."""
        return self.status is UserStatus.ACTIVE

    def can_deactivate(self) -> bool:
        return self.status in (UserStatus.ACTIVE, UserStatus.PENDING, UserStatus.INVITED)

    def can_reactivate(self) -> bool:
        return self.status is UserStatus.DEACTIVATED

    def can_vet(self) -> bool:
        return self.status is UserStatus.PENDING and self.role is Role.VOLUNTEER

    def revoke_sessions(self) -> None:
        self.session_version += 1

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"
