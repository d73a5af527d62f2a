"""Imports every model so that ``Base.metadata`` is complete (Alembic, tests)."""

from lotsen.audit.models import AuditEvent
from lotsen.auth.models import Role, User, UserStatus
from lotsen.offices.models import Agency, AgencyType, Municipality, Office, OfficeKind

__all__ = ["AuditEvent", "Agency", "AgencyType", "Municipality", "Office", "OfficeKind", "Role", "User", "UserStatus"]
