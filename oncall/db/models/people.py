"""People on the rota, their leave and unavailability, requests and carried balances."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from oncall.db.models.base import Base, EnumText
from oncall.db.models.enums import RequestKind, Tier, UnavailabilityReason, one_of


class Person(Base):
    """Someone on the out-of-hours rota, in the first tier or the senior manager tier."""

    __tablename__ = "people"
    __table_args__ = (
        one_of("tier", Tier),
        CheckConstraint("fte >= 0 AND fte <= 1", name="fte_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # e.g. sw014, used in rota problems
    name: Mapped[str] = mapped_column(String(120))
    tier: Mapped[Tier] = mapped_column(EnumText(Tier, 16))
    job_title: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(20), unique=True)  # E.164
    email: Mapped[str] = mapped_column(String(200), default="")
    fte: Mapped[float] = mapped_column(default=1.0)
    skills: Mapped[list[str]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]

    unavailability: Mapped[list[Unavailability]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="Unavailability.start"
    )


class Unavailability(Base):
    """A period in which a person may not be rostered: leave, sickness, training."""

    __tablename__ = "unavailability"
    __table_args__ = (
        one_of("reason", UnavailabilityReason),
        CheckConstraint('"end" > start', name="end_after_start"),
        Index("ix_unavailability_person_start", "person_id", "start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    start: Mapped[datetime]
    end: Mapped[datetime]
    reason: Mapped[UnavailabilityReason] = mapped_column(EnumText(UnavailabilityReason, 20))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]

    person: Mapped[Person] = relationship(back_populates="unavailability")


class RotaRequest(Base):
    """A coordinator's soft request: a person avoids or prefers a time (broken costs its weight)."""

    __tablename__ = "rota_requests"
    __table_args__ = (
        one_of("kind", RequestKind),
        CheckConstraint('"end" > start', name="end_after_start"),
        CheckConstraint("weight > 0", name="weight_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[RequestKind] = mapped_column(EnumText(RequestKind, 8))
    start: Mapped[datetime]
    end: Mapped[datetime]
    weight: Mapped[float] = mapped_column(default=1.0)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class Balance(Base):
    """A person's carried balance after a published period (positive: did more than their share)."""

    __tablename__ = "balances"
    __table_args__ = (Index("uq_balances_person_period", "person_id", "period_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    period_id: Mapped[int] = mapped_column(ForeignKey("rota_periods.id", ondelete="CASCADE"))
    load: Mapped[float] = mapped_column(default=0.0)
    categories: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"weekend": 1.2, ...}
    created_at: Mapped[datetime]
