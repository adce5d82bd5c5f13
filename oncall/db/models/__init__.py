"""Typed SQLAlchemy 2.0 models, one module per concept; everything is importable from here."""

from oncall.db.models.alerts import (
    Alert,
    EscalationPolicy,
    InboundMessage,
    OutboundMessage,
    WebhookReceipt,
)
from oncall.db.models.audit import ChainHead, Event
from oncall.db.models.base import Base, UTCDateTime
from oncall.db.models.contacts import CallLeg, Contact, ReferenceCounter
from oncall.db.models.enums import (
    ActorType,
    Agency,
    AlertKind,
    AlertStatus,
    CallerType,
    Channel,
    ContactStatus,
    LegResult,
    LineKind,
    MessageStatus,
    RequestKind,
    Role,
    Tier,
    UnavailabilityReason,
    VersionStatus,
)
from oncall.db.models.lines import CallerNumber, FosterHousehold, KnownCaller, Line, ServiceCalendar
from oncall.db.models.people import Balance, Person, RotaRequest, Unavailability
from oncall.db.models.requests import CalendarToken, LeaveRequest, RequestStatus, SwapRequest
from oncall.db.models.rota import (
    Assignment,
    DutyOverride,
    RotaPeriod,
    RotaShift,
    RotaVersion,
    ShiftTemplate,
)
from oncall.db.models.users import ApiToken, User, UserRole

__all__ = [
    "ActorType",
    "Agency",
    "Alert",
    "AlertKind",
    "AlertStatus",
    "ApiToken",
    "Assignment",
    "Balance",
    "Base",
    "CalendarToken",
    "CallLeg",
    "CallerNumber",
    "CallerType",
    "ChainHead",
    "Channel",
    "Contact",
    "ContactStatus",
    "DutyOverride",
    "EscalationPolicy",
    "Event",
    "FosterHousehold",
    "InboundMessage",
    "KnownCaller",
    "LeaveRequest",
    "LegResult",
    "Line",
    "LineKind",
    "MessageStatus",
    "OutboundMessage",
    "Person",
    "ReferenceCounter",
    "RequestKind",
    "RequestStatus",
    "Role",
    "RotaPeriod",
    "RotaRequest",
    "RotaShift",
    "RotaVersion",
    "ServiceCalendar",
    "ShiftTemplate",
    "SwapRequest",
    "Tier",
    "UTCDateTime",
    "Unavailability",
    "UnavailabilityReason",
    "User",
    "UserRole",
    "VersionStatus",
    "WebhookReceipt",
]
