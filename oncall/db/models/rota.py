"""Shift templates, rota periods and versions, shifts, assignments and duty overrides."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from oncall.db.models.base import Base, EnumText
from oncall.db.models.enums import Tier, VersionStatus, one_of


class ShiftTemplate(Base):
    """How shifts are cut from the calendar for one tier (editable by the coordinator).

    `day_type` picks the days: `weekday` uses `start_days` (0 = Monday); `bank_holiday` and
    `christmas` apply on those days. With `holidays_replace`, a weekday template gives way on a
    bank holiday or Christmas day to that tier's holiday template.
    """

    __tablename__ = "shift_templates"
    __table_args__ = (
        one_of("tier", Tier),
        CheckConstraint(
            "day_type IN ('weekday', 'bank_holiday', 'christmas')", name="day_type_valid"
        ),
        CheckConstraint("weight > 0", name="weight_positive"),
        CheckConstraint("required >= 1", name="required_positive"),
        CheckConstraint("end_day_offset >= 0", name="offset_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    tier: Mapped[Tier] = mapped_column(EnumText(Tier, 16))
    day_type: Mapped[str] = mapped_column(String(16), default="weekday")
    start_days: Mapped[list[int]] = mapped_column(default=list)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    end_day_offset: Mapped[int] = mapped_column(default=1)
    weight: Mapped[float] = mapped_column(default=1.0)
    required: Mapped[int] = mapped_column(default=1)
    categories: Mapped[list[str]] = mapped_column(default=list)
    skills: Mapped[list[dict[str, Any]]] = mapped_column(default=list)  # [{"skill", "min"}]
    holidays_replace: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)


class RotaPeriod(Base):
    """A calendar month of rota, e.g. 2027-01, with its local-midnight bounds in UTC."""

    __tablename__ = "rota_periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), unique=True)
    start: Mapped[datetime]
    end: Mapped[datetime]
    created_at: Mapped[datetime]

    versions: Mapped[list[RotaVersion]] = relationship(
        back_populates="period", order_by="RotaVersion.number"
    )


class RotaVersion(Base):
    """One solved (or edited) rota for a period: draft, then published, later superseded."""

    __tablename__ = "rota_versions"
    __table_args__ = (
        one_of("status", VersionStatus),
        UniqueConstraint("period_id", "number", name="uq_rota_versions_period_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("rota_periods.id", ondelete="CASCADE"))
    number: Mapped[int]
    status: Mapped[VersionStatus] = mapped_column(
        EnumText(VersionStatus, 12), default=VersionStatus.DRAFT
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("rota_versions.id"))
    locked: Mapped[bool] = mapped_column(default=False)
    solver_status: Mapped[str] = mapped_column(String(12), default="")
    problem: Mapped[dict[str, Any]] = mapped_column(default=dict)
    solution: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(80), default="")
    published_at: Mapped[datetime | None]
    published_by: Mapped[str | None] = mapped_column(String(80))

    period: Mapped[RotaPeriod] = relationship(back_populates="versions")
    shifts: Mapped[list[RotaShift]] = relationship(
        back_populates="version", cascade="all, delete-orphan", order_by="RotaShift.start"
    )


class RotaShift(Base):
    """One shift of a version: the interval a tier is on call, and how many people it needs."""

    __tablename__ = "rota_shifts"
    __table_args__ = (
        one_of("tier", Tier),
        UniqueConstraint("version_id", "key", name="uq_rota_shifts_version_key"),
        Index("ix_rota_shifts_version_start", "version_id", "start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("rota_versions.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(40))  # the shift id in the rota problem
    tier: Mapped[Tier] = mapped_column(EnumText(Tier, 16))
    start: Mapped[datetime]
    end: Mapped[datetime]
    weight: Mapped[float] = mapped_column(default=1.0)
    required: Mapped[int] = mapped_column(default=1)
    categories: Mapped[list[str]] = mapped_column(default=list)
    skills: Mapped[list[dict[str, Any]]] = mapped_column(default=list)

    version: Mapped[RotaVersion] = relationship(back_populates="shifts")
    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="shift", cascade="all, delete-orphan", order_by="Assignment.position"
    )


class Assignment(Base):
    """A person on a shift. `position` orders the people of a shift (first, second worker)."""

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("shift_id", "person_id", name="uq_assignments_shift_person"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("rota_shifts.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    pinned: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str] = mapped_column(String(16), default="solver")  # solver, manual, repair

    shift: Mapped[RotaShift] = relationship(back_populates="assignments")


class DutyOverride(Base):
    """A change to who is on duty on top of the published rota (tonight's swap, sickness cover)."""

    __tablename__ = "duty_overrides"
    __table_args__ = (
        one_of("tier", Tier),
        CheckConstraint('"end" > start', name="end_after_start"),
        Index("ix_duty_overrides_start_end", "start", "end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tier: Mapped[Tier] = mapped_column(EnumText(Tier, 16))
    start: Mapped[datetime]
    end: Mapped[datetime]
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))  # who is on duty instead
    replaces_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(80))
    cancelled_at: Mapped[datetime | None]
