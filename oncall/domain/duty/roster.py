"""Who is on duty: the out-of-hours window, and the published rota plus overrides at any instant."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from oncall.db.models import (
    DutyOverride,
    Person,
    RotaShift,
    RotaVersion,
    ServiceCalendar,
    Tier,
    VersionStatus,
)

CALENDAR_COUNTRY = "JE"


@lru_cache(maxsize=16)
def _bank_holidays(year: int) -> dict[date, str]:
    return dict(holidays.country_holidays(CALENDAR_COUNTRY, years=year).items())


def bank_holiday_name(day: date) -> str | None:
    """The island's bank holiday on `day` (Liberation Day included), or None."""
    return _bank_holidays(day.year).get(day)


@dataclass(frozen=True, slots=True)
class OutOfHoursWindow:
    """When the out-of-hours service answers: weekday evenings and nights, weekends, holidays."""

    weekday_start: time = time(17, 0)
    weekday_end: time = time(9, 0)
    weekends_all_day: bool = True
    bank_holidays_all_day: bool = True

    @classmethod
    def from_calendar(cls, calendar: ServiceCalendar | None) -> OutOfHoursWindow:
        if calendar is None:
            return cls()
        return cls(
            calendar.weekday_start,
            calendar.weekday_end,
            calendar.weekends_all_day,
            calendar.bank_holidays_all_day,
        )

    def contains(self, at: datetime, zone: ZoneInfo) -> bool:
        """True when `at` falls in the window, judged by the local clock in `zone`."""
        local = at.astimezone(zone)
        if self.weekends_all_day and local.weekday() >= 5:
            return True
        if self.bank_holidays_all_day and bank_holiday_name(local.date()) is not None:
            return True
        clock = local.time()
        if self.weekday_start <= self.weekday_end:  # a window inside one day, e.g. 12:00-14:00
            return self.weekday_start <= clock < self.weekday_end
        return clock >= self.weekday_start or clock < self.weekday_end


@dataclass(frozen=True, slots=True)
class OnDuty:
    """One person on duty, in ringing order within their tier."""

    person_id: int
    code: str
    name: str
    phone: str
    tier: str
    skills: tuple[str, ...]
    source: str  # "rota" or "override"


@dataclass(frozen=True, slots=True)
class DutySnapshot:
    at: datetime
    workers: tuple[OnDuty, ...]
    managers: tuple[OnDuty, ...]

    def tier(self, tier: str) -> tuple[OnDuty, ...]:
        return self.workers if tier == Tier.WORKER else self.managers

    @property
    def everyone(self) -> tuple[OnDuty, ...]:
        return self.workers + self.managers


def _on_duty(person: Person, source: str) -> OnDuty:
    return OnDuty(
        person.id,
        person.code,
        person.name,
        person.phone,
        person.tier,
        tuple(person.skills),
        source,
    )


async def service_window(session: AsyncSession) -> OutOfHoursWindow:
    calendar = await session.scalar(select(ServiceCalendar).order_by(ServiceCalendar.id).limit(1))
    return OutOfHoursWindow.from_calendar(calendar)


async def day_desk_number(session: AsyncSession) -> str | None:
    """Where calls go outside the out-of-hours window, if set."""
    number = await session.scalar(
        select(ServiceCalendar.day_desk_number).order_by(ServiceCalendar.id).limit(1)
    )
    return number or None


async def on_duty_at(session: AsyncSession, at: datetime) -> DutySnapshot:
    """The people on duty at `at`: the published rota's shifts covering it, then overrides."""
    shifts = (
        await session.scalars(
            select(RotaShift)
            .join(RotaVersion, RotaShift.version_id == RotaVersion.id)
            .where(
                RotaVersion.status == VersionStatus.PUBLISHED,
                RotaShift.start <= at,
                RotaShift.end > at,
            )
            .options(selectinload(RotaShift.assignments))
            .order_by(RotaShift.start)
        )
    ).all()
    person_ids = [a.person_id for s in shifts for a in s.assignments]
    overrides = (
        await session.scalars(
            select(DutyOverride)
            .where(
                DutyOverride.cancelled_at.is_(None),
                DutyOverride.start <= at,
                DutyOverride.end > at,
            )
            .order_by(DutyOverride.created_at)
        )
    ).all()
    person_ids += [o.person_id for o in overrides]
    people = {
        p.id: p
        for p in (await session.scalars(select(Person).where(Person.id.in_(person_ids)))).all()
    }
    tiers: dict[str, list[OnDuty]] = {Tier.WORKER: [], Tier.MANAGER: []}
    for shift in shifts:
        for assignment in shift.assignments:
            person = people.get(assignment.person_id)
            if person is not None and person.active:
                tiers.setdefault(shift.tier, []).append(_on_duty(person, "rota"))
    for override in overrides:
        person = people.get(override.person_id)
        if person is None or not person.active:
            continue
        listed = tiers.setdefault(override.tier, [])
        entry = replace(_on_duty(person, "override"), tier=override.tier)
        listed[:] = [d for d in listed if d.person_id != person.id]
        position = next(
            (i for i, d in enumerate(listed) if d.person_id == override.replaces_person_id), None
        )
        if position is None:
            listed.append(entry)
        else:
            listed[position] = entry
    return DutySnapshot(
        at,
        tuple(_dedupe(tiers[Tier.WORKER])),
        tuple(_dedupe(tiers[Tier.MANAGER])),
    )


def _dedupe(people: list[OnDuty]) -> list[OnDuty]:
    seen: set[int] = set()
    kept = []
    for person in people:
        if person.person_id not in seen:
            seen.add(person.person_id)
            kept.append(person)
    return kept
