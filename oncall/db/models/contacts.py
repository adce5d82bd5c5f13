"""Contacts (one per inbound call or message), the phones rung for each, and reference numbering."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from oncall.db.models.base import Base, EnumText
from oncall.db.models.enums import CallerType, Channel, ContactStatus, LegResult, one_of


class ReferenceCounter(Base):
    """The last contact number issued in a year: OOH-2027-00042 is the 42nd contact of 2027."""

    __tablename__ = "reference_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(default=0)


class Contact(Base):
    """One inbound call or message to a line, from receipt to recorded outcome."""

    __tablename__ = "contacts"
    __table_args__ = (
        one_of("channel", Channel),
        one_of("caller_type", CallerType),
        one_of("status", ContactStatus),
        Index("ix_contacts_received_at", "received_at"),
        Index("ix_contacts_line_received", "line_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)  # OOH-2027-00042
    short_ref: Mapped[str] = mapped_column(String(4), index=True)  # 0042, said and texted
    line_id: Mapped[int | None] = mapped_column(ForeignKey("lines.id"))
    channel: Mapped[Channel] = mapped_column(EnumText(Channel, 8))
    caller_type: Mapped[CallerType] = mapped_column(EnumText(CallerType, 16))
    caller_number: Mapped[str] = mapped_column(String(32), default="")
    known_caller_id: Mapped[int | None] = mapped_column(ForeignKey("known_callers.id"))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("foster_households.id"))
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)  # CallSid/MessageSid
    status: Mapped[ContactStatus] = mapped_column(
        EnumText(ContactStatus, 12), default=ContactStatus.OPEN
    )
    received_at: Mapped[datetime]
    first_rung_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    outcome: Mapped[str | None] = mapped_column(String(32))
    outcome_notes: Mapped[str] = mapped_column(Text, default="")
    agencies_informed: Mapped[list[str]] = mapped_column(default=list)
    case_reference: Mapped[str] = mapped_column(String(40), default="")
    day_team_follow_up: Mapped[bool] = mapped_column(default=False)
    recording_url: Mapped[str | None] = mapped_column(Text)

    legs: Mapped[list[CallLeg]] = relationship(
        back_populates="contact", cascade="all, delete-orphan", order_by="CallLeg.attempt"
    )


class CallLeg(Base):
    """One phone rung for a contact, and what that phone did (our own record, not Twilio's)."""

    __tablename__ = "call_legs"
    __table_args__ = (
        one_of("result", LegResult),
        Index("uq_call_legs_contact_attempt", "contact_id", "attempt", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    attempt: Mapped[int]  # 1, 2, 3 … in ringing order
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    number: Mapped[str] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(String(24))  # duty worker, second worker, manager, fallback
    result: Mapped[LegResult] = mapped_column(EnumText(LegResult, 12), default=LegResult.RINGING)
    rung_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    talk_seconds: Mapped[int | None]

    contact: Mapped[Contact] = relationship(back_populates="legs")
