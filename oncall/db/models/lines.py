"""Phone lines, known callers, foster carer households and the service's calendar settings."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from oncall.db.models.base import Base, EnumText
from oncall.db.models.enums import Agency, LineKind, one_of


class Line(Base):
    """A dedicated number callers ring: police HQ, the hospital, foster carers."""

    __tablename__ = "lines"
    __table_args__ = (one_of("kind", LineKind),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[LineKind] = mapped_column(EnumText(LineKind, 16), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    twilio_number: Mapped[str] = mapped_column(String(20), unique=True)  # E.164
    greeting: Mapped[str] = mapped_column(Text)
    # Foster line: "1 for an emergency, 2 for advice" before ringing.
    offers_menu: Mapped[bool] = mapped_column(default=False)
    routing_policy: Mapped[str] = mapped_column(String(40), default="default")
    active: Mapped[bool] = mapped_column(default=True)


class KnownCaller(Base):
    """An agency caller recognised by number (police control room, hospital switchboard)."""

    __tablename__ = "known_callers"
    __table_args__ = (one_of("agency", Agency),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency: Mapped[Agency] = mapped_column(EnumText(Agency, 16))
    name: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(default=True)

    numbers: Mapped[list[CallerNumber]] = relationship(
        back_populates="known_caller", cascade="all, delete-orphan"
    )


class FosterHousehold(Base):
    """A registered foster carer household: carers' names and numbers, never children's details."""

    __tablename__ = "foster_households"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)  # e.g. FC-014
    carer_names: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)

    numbers: Mapped[list[CallerNumber]] = relationship(
        back_populates="household", cascade="all, delete-orphan"
    )


class CallerNumber(Base):
    """One phone number of a known caller or a foster household; a number belongs to one of them."""

    __tablename__ = "caller_numbers"
    __table_args__ = (
        CheckConstraint(
            "(known_caller_id IS NULL) <> (household_id IS NULL)", name="exactly_one_owner"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # E.164
    label: Mapped[str] = mapped_column(String(60), default="")
    known_caller_id: Mapped[int | None] = mapped_column(
        ForeignKey("known_callers.id", ondelete="CASCADE")
    )
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("foster_households.id", ondelete="CASCADE")
    )

    known_caller: Mapped[KnownCaller | None] = relationship(back_populates="numbers")
    household: Mapped[FosterHousehold | None] = relationship(back_populates="numbers")


class ServiceCalendar(Base):
    """The out-of-hours window and where calls go outside it (one row)."""

    __tablename__ = "service_calendar"

    id: Mapped[int] = mapped_column(primary_key=True)
    weekday_start: Mapped[time] = mapped_column(Time, default=time(17, 0))
    weekday_end: Mapped[time] = mapped_column(Time, default=time(9, 0))
    weekends_all_day: Mapped[bool] = mapped_column(default=True)
    bank_holidays_all_day: Mapped[bool] = mapped_column(default=True)
    day_desk_number: Mapped[str] = mapped_column(String(20))  # E.164, daytime duty desk
    updated_at: Mapped[datetime]
