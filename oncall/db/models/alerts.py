"""Alerts and their escalation policies, the outbox of messages and calls, and inbound messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from oncall.db.models.base import Base, EnumText
from oncall.db.models.enums import AlertKind, AlertStatus, Channel, OutboxStatus, Tier, one_of


class EscalationPolicy(Base):
    """Ordered steps for one line (or every line, when `line_id` is null) and alert kind.

    `steps` is a list of {"targets": [...], "channels": ["sms", "voice"], "wait_minutes": N};
    the steps run `repeat` times, then the final step notifies all managers.
    """

    __tablename__ = "escalation_policies"
    __table_args__ = (
        one_of("alert_kind", AlertKind),
        Index("uq_escalation_policies_line_kind", "line_id", "alert_kind", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("lines.id"))
    alert_kind: Mapped[AlertKind] = mapped_column(EnumText(AlertKind, 20))
    steps: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    repeat: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime]


class Alert(Base):
    """Something a person must own: open → acknowledged → resolved, or cancelled.

    `next_action_at` is the durable timer: a scheduler on any replica claims due alerts.
    """

    __tablename__ = "alerts"
    __table_args__ = (
        one_of("kind", AlertKind),
        one_of("status", AlertStatus),
        Index("ix_alerts_status_next_action", "status", "next_action_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    kind: Mapped[AlertKind] = mapped_column(EnumText(AlertKind, 20))
    status: Mapped[AlertStatus] = mapped_column(EnumText(AlertStatus, 12), default=AlertStatus.OPEN)
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("escalation_policies.id"))
    step_index: Mapped[int] = mapped_column(default=0)
    round: Mapped[int] = mapped_column(default=0)
    next_action_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    resolved_at: Mapped[datetime | None]
    summary: Mapped[str] = mapped_column(Text, default="")  # no child's details, ever
    # The person the alert is about: who asked for advice, who did not confirm a shift.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))


class OutboundMessage(Base):
    """The outbox: an SMS or alert call, written in the transaction of the step that decides it."""

    __tablename__ = "outbound_messages"
    __table_args__ = (
        one_of("channel", Channel),
        one_of("status", OutboxStatus),
        Index("ix_outbound_messages_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(
        String(120), unique=True
    )  # idempotency: matched, never parsed
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    # The escalation step that sent it (its alert's round and step index then); null for
    # anything else (notices, outcome links, rota and shift texts).
    round: Mapped[int | None]
    step_index: Mapped[int | None]
    channel: Mapped[Channel] = mapped_column(EnumText(Channel, 8))
    to_number: Mapped[str] = mapped_column(String(20))
    from_number: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[OutboxStatus] = mapped_column(
        EnumText(OutboxStatus, 12), default=OutboxStatus.PENDING
    )
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]  # handed to the provider (per-recipient throttling)
    # The last status written to the log: callbacks only update `status`, the sender's next pass
    # logs the change, so a flood of callbacks never queues on the event chain's lock.
    status_logged: Mapped[str] = mapped_column(String(12), default="", server_default="")


class InboundMessage(Base):
    """An SMS received on a line or from a staff phone; the provider sid makes retries harmless."""

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_sid: Mapped[str] = mapped_column(String(64), unique=True)
    from_number: Mapped[str] = mapped_column(String(32))
    to_number: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    reply: Mapped[str] = mapped_column(Text, default="")


class WebhookReceipt(Base):
    """A webhook already handled, with its reply, so a retry by Twilio gets the same answer."""

    __tablename__ = "webhook_receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    response_body: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(index=True)


class PeriodicMark(Base):
    """When a pass of a job shared by the replicas (the provider recovery) last started."""

    __tablename__ = "periodic_marks"

    job: Mapped[str] = mapped_column(String(60), primary_key=True)
    last_started_at: Mapped[datetime]


class ShiftConfirmation(Base):
    """A person asked to confirm a shift before it starts, their answer, and any alert raised."""

    __tablename__ = "shift_confirmations"
    __table_args__ = (
        Index("uq_shift_confirmations_person_start", "person_id", "shift_start", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    tier: Mapped[Tier] = mapped_column(EnumText(Tier, 16))
    shift_start: Mapped[datetime] = mapped_column(index=True)
    shift_end: Mapped[datetime]
    asked_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"))
