"""The closed sets of values the model uses, stored as short strings with CHECK constraints."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import CheckConstraint


class Tier(StrEnum):
    """The two tiers of the rota (ids used in rota problems)."""

    WORKER = "worker"  # first-line social worker or senior practitioner
    MANAGER = "manager"  # senior manager on call


class UnavailabilityReason(StrEnum):
    ANNUAL_LEAVE = "annual_leave"
    SICKNESS = "sickness"
    TRAINING = "training"
    OTHER = "other"


class LineKind(StrEnum):
    POLICE = "police"
    HOSPITAL = "hospital"
    FOSTER = "foster"


class Agency(StrEnum):
    POLICE = "police"
    HOSPITAL = "hospital"
    OTHER = "other"


class CallerType(StrEnum):
    POLICE = "police"
    HOSPITAL = "hospital"
    FOSTER_CARER = "foster_carer"
    STAFF = "staff"
    UNVERIFIED = "unverified"


class VersionStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"
    DISCARDED = "discarded"


class RequestKind(StrEnum):
    AVOID = "avoid"
    PREFER = "prefer"


class Channel(StrEnum):
    VOICE = "voice"
    SMS = "sms"
    WEB = "web"


class ContactStatus(StrEnum):
    OPEN = "open"  # received, being routed or escalated
    ANSWERED = "answered"  # a person on duty accepted it
    MISSED = "missed"  # nobody accepted; an alert chases it
    CLOSED = "closed"  # outcome recorded


class AlertKind(StrEnum):
    MISSED_CALL = "missed_call"
    VOICEMAIL = "voicemail"
    INBOUND_SMS = "inbound_sms"
    ADVICE_REQUEST = "advice_request"
    SHIFT_UNCONFIRMED = "shift_unconfirmed"
    NO_OUTCOME = "no_outcome"
    MISSING_HIGH = "missing_high"  # a child reported missing at high risk
    MISSING_MEDIUM = "missing_medium"  # … at medium risk (low risk raises no alert)


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    CANCELLED = "cancelled"


class OutboxStatus(StrEnum):
    """Where an outbox text or alert call is: ours until the provider has it, then its reports."""

    PENDING = "pending"  # in the outbox, not yet handed to the provider
    SENDING = "sending"  # claimed by a sender, handed to the provider under a lease
    CANCELLED = "cancelled"  # never sent: the alert was owned before its turn came
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    # for voice alert calls
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    NO_ANSWER = "no-answer"
    BUSY = "busy"


class LegResult(StrEnum):
    RINGING = "ringing"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"
    CANCELLED = "cancelled"  # the caller hung up while this phone rang


class Role(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    MANAGER = "manager"
    WORKER = "worker"


class ActorType(StrEnum):
    SYSTEM = "system"
    PERSON = "person"
    CALLER = "caller"
    USER = "user"


def one_of(column: str, values: type[StrEnum], name: str | None = None) -> CheckConstraint:
    """A CHECK constraint that `column` holds one of the enum's values."""
    allowed = ", ".join(f"'{v.value}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=name or f"{column}_valid")
