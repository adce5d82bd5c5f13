"""Build the solver's problem document for a month from the database (the one ORM translator)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import (
    Balance,
    Person,
    RotaPeriod,
    RotaRequest,
    RotaVersion,
    ShiftTemplate,
    Tier,
    Unavailability,
    VersionStatus,
)
from oncall.domain.rota.errors import RotaInvalid
from oncall.domain.rota.months import CutShift, Month, cut_shifts, island_holidays

PROBLEM_FORMAT = "oncall-rota-problem/1"
CATEGORIES = ["weekend", "bank_holiday", "christmas"]


@dataclass(frozen=True, slots=True)
class RotaRules:
    """The hard and soft rules of a month (defaults explained in docs/rota.md)."""

    # A full day off between two duties: no night straight after a weekend day, and no manager
    # going from the weeknight block into the weekend block.
    min_rest_hours: float = 24
    # At most two duties starting in any seven days.
    windows: tuple[tuple[float, int], ...] = ((168, 2),)
    # Duties starting less than four days apart cost a point each pair (spread them out).
    spread_hours: float = 96

    def to_problem(self) -> dict[str, Any]:
        return {
            "min_rest_hours": self.min_rest_hours,
            "windows": [{"hours": h, "max": n} for h, n in self.windows],
            "spread_hours": self.spread_hours,
        }


DEFAULT_RULES = RotaRules()


@dataclass(frozen=True, slots=True)
class MonthShifts:
    month: Month
    shifts: list[CutShift]


async def month_shifts(session: AsyncSession, month: Month, zone: ZoneInfo) -> MonthShifts:
    """The month's shifts cut from the active templates and the island's holidays."""
    templates = list(
        (
            await session.scalars(
                select(ShiftTemplate).where(ShiftTemplate.active).order_by(ShiftTemplate.id)
            )
        ).all()
    )
    if not templates:
        raise RotaInvalid("templates: there are no active shift templates to cut shifts from")
    shifts = cut_shifts(month, templates, zone, island_holidays([month.year]))
    if not shifts:
        raise RotaInvalid(f"templates: the active templates cut no shift in {month.key}")
    return MonthShifts(month, shifts)


async def build_problem(
    session: AsyncSession, month: Month | str, zone: ZoneInfo, *, rules: RotaRules = DEFAULT_RULES
) -> dict[str, Any]:
    """The problem document (specs/rota-format.md) for `month`: shifts, people, leave, balances,
    requests and rules. Reads only; the caller owns the session."""
    month = Month.parse(month) if isinstance(month, str) else month
    cut = await month_shifts(session, month, zone)
    span_start = min(s.start for s in cut.shifts)
    span_end = max(s.end for s in cut.shifts)
    people = list(
        (
            await session.scalars(
                select(Person).where(Person.active).order_by(Person.tier, Person.code)
            )
        ).all()
    )
    tiers = [t.value for t in Tier]
    categories = CATEGORIES + sorted(
        {c for s in cut.shifts for c in s.categories}.difference(CATEGORIES)
    )
    unavailable = await unavailability_between(session, span_start, span_end)
    balances = await carried_balances(session, month)
    return {
        "format": PROBLEM_FORMAT,
        "name": f"Out-of-hours rota, {month.title()}",
        "tiers": tiers,
        "categories": categories,
        "shifts": [s.to_problem() for s in cut.shifts],
        "people": [
            _person(p, unavailable.get(p.id, []), balances.get(p.id), categories)
            for p in people
            if p.tier in tiers
        ],
        "requests": await _requests(session, span_start, span_end, {p.id: p.code for p in people}),
        "rules": rules.to_problem(),
    }


def _person(
    person: Person,
    unavailable: list[dict[str, str]],
    balance: Balance | None,
    categories: list[str],
) -> dict[str, Any]:
    carried: dict[str, float] = {}
    if balance is not None:
        if balance.load:
            carried["load"] = float(balance.load)
        for name, value in balance.categories.items():
            # A category no longer in use would be invalid input; it has nothing to balance now.
            if name in categories and value:
                carried[name] = float(value)
    return {
        "id": person.code,
        "name": person.name,
        "tier": person.tier,
        "fte": float(person.fte),
        "skills": sorted(person.skills),
        "balance": carried,
        "unavailable": unavailable,
    }


async def unavailability_between(
    session: AsyncSession, start: datetime, end: datetime
) -> dict[int, list[dict[str, str]]]:
    rows = await session.scalars(
        select(Unavailability)
        .where(Unavailability.start < end, Unavailability.end > start)
        .order_by(Unavailability.person_id, Unavailability.start)
    )
    found: dict[int, list[dict[str, str]]] = {}
    for row in rows:
        found.setdefault(row.person_id, []).append(
            {"start": row.start.isoformat(), "end": row.end.isoformat(), "reason": row.reason}
        )
    return found


async def _requests(
    session: AsyncSession, start: datetime, end: datetime, codes: dict[int, str]
) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(RotaRequest)
        .where(RotaRequest.start < end, RotaRequest.end > start)
        .order_by(RotaRequest.start, RotaRequest.id)
    )
    return [
        {
            "person": codes[r.person_id],
            "kind": r.kind,
            "weight": float(r.weight),
            "start": r.start.isoformat(),
            "end": r.end.isoformat(),
        }
        for r in rows
        if r.person_id in codes  # requests of people no longer on the rota do not apply
    ]


async def last_published_period(session: AsyncSession, month: Month) -> RotaPeriod | None:
    """The latest period before `month` with a published version: its balances carry."""
    result: RotaPeriod | None = await session.scalar(
        select(RotaPeriod)
        .join(RotaVersion, RotaVersion.period_id == RotaPeriod.id)
        .where(RotaPeriod.month < month.key, RotaVersion.status == VersionStatus.PUBLISHED)
        .order_by(RotaPeriod.month.desc())
        .limit(1)
    )
    return result


async def carried_balances(session: AsyncSession, month: Month) -> dict[int, Balance]:
    """Each person's balance after the last published period before `month`, by person id."""
    period = await last_published_period(session, month)
    if period is None:
        return {}
    rows = await session.scalars(select(Balance).where(Balance.period_id == period.id))
    return {b.person_id: b for b in rows}
