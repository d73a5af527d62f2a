"""Imports every model so that ``Base.metadata`` is complete (Alembic, tests)."""

from lotsen.api.models import ApiToken, IdempotentResponse, WebhookEndpoint
from lotsen.assignments.models import Assignment, Offer
from lotsen.audit.models import AuditEvent
from lotsen.auth.models import Role, User, UserStatus
from lotsen.auth.sessions import UserSession
from lotsen.billing.models import (AssignmentRecord, PayoutDetails, Payout, Programme, RateVersion, RecordVersion,
                                   Statement)
from lotsen.geo.models import OfficePostcode, PlaceAlias
from lotsen.jobs.models import Job
from lotsen.matching.models import LanguageWindow
from lotsen.notifications.models import OutboxMessage
from lotsen.offices.models import Agency, AgencyType, Municipality, Office, OfficeKind
from lotsen.requests.models import HelpRequest, RequestEvent, RequestSeries
from lotsen.volunteers.models import (
                                      Absence,
                                      AvailabilityWindow,
                                      ExtraDate,
                                      Training,
                                      VolunteerLanguage,
                                      VolunteerProfile,
)

__all__ = ["Absence", "Agency", "ApiToken", "IdempotentResponse", "WebhookEndpoint", "AgencyType", "Assignment", "AssignmentRecord", "AuditEvent", "AvailabilityWindow", "ExtraDate",
           "HelpRequest", "Job", "LanguageWindow", "Municipality", "Offer", "Office", "OfficeKind", "OfficePostcode",
           "OutboxMessage", "Payout", "PayoutDetails", "PlaceAlias", "Programme", "RateVersion", "RecordVersion", "RequestEvent", "RequestSeries", "Role", "Statement", "Training", "User", "UserSession", "UserStatus",
           "VolunteerLanguage", "VolunteerProfile"]
