"""Staff's own requests from the web app (shift swaps, leave) and calendar subscription tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from oncall.db.models.base import Base, EnumText
from oncall.db.models.enums import UnavailabilityReason, one_of


class RequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    CANCELLED = "cancelled"


class SwapRequest(Base):
    """A worker asks to hand one of their shifts to a colleague; the coordinator decides.

    The shift is named by month and shift key (stable across versions), not by a row id.
    """

    __tablename__ = "swap_requests"
    __table_args__ = (
        one_of("status", RequestStatus),
        Index("ix_swap_requests_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7))
    shift_key: Mapped[str] = mapped_column(String(40))
    requester_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    colleague_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[RequestStatus] = mapped_column(
        EnumText(RequestStatus, 12), default=RequestStatus.PENDING
    )
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decision_note: Mapped[str] = mapped_column(Text, default="")
    result_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("rota_versions.id", ondelete="SET NULL")
    )


class LeaveRequest(Base):
    """A worker asks for leave; approval records it as unavailability."""

    __tablename__ = "leave_requests"
    __table_args__ = (
        one_of("status", RequestStatus),
        one_of("reason", UnavailabilityReason),
        CheckConstraint('"end" > start', name="end_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    start: Mapped[datetime]
    end: Mapped[datetime]
    reason: Mapped[UnavailabilityReason] = mapped_column(EnumText(UnavailabilityReason, 20))
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[RequestStatus] = mapped_column(
        EnumText(RequestStatus, 12), default=RequestStatus.PENDING
    )
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(80))
    unavailability_id: Mapped[int | None] = mapped_column(
        ForeignKey("unavailability.id", ondelete="SET NULL")
    )


class CalendarToken(Base):
    """A private iCalendar feed link for one person. Only the token's SHA-256 is stored."""

    __tablename__ = "calendar_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
