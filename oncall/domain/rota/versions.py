"""Rota periods and versions in the database: finding them, numbering them, storing a solved one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from oncall.db.models import Assignment, Person, RotaPeriod, RotaShift, RotaVersion, VersionStatus
from oncall.domain.rota.errors import RotaConflict, RotaInvalid
from oncall.domain.rota.months import Month

USABLE = ("optimal", "feasible")  # solver statuses of a version that holds a complete rota


@dataclass(frozen=True, slots=True)
class LoadedVersion:
    """A version with its shifts, their people in position order, and everyone's names."""

    version: RotaVersion
    month: Month
    people: dict[int, Person]  # by person id

    def crew(self, shift: RotaShift) -> list[Person]:
        return [self.people[a.person_id] for a in shift.assignments]

    def assignments(self) -> dict[str, list[str]]:
        """Shift key -> person codes in position order."""
        return {s.key: [p.code for p in self.crew(s)] for s in self.version.shifts}


async def period_for(
    session: AsyncSession, month: Month, zone: ZoneInfo, now: datetime
) -> RotaPeriod:
    """The month's period, created on first use with its local-midnight bounds."""
    period = await find_period(session, month)
    if period is None:
        start, end = month.bounds(zone)
        period = RotaPeriod(month=month.key, start=start, end=end, created_at=now)
        session.add(period)
        await session.flush()
    return period


async def find_period(session: AsyncSession, month: Month) -> RotaPeriod | None:
    found: RotaPeriod | None = await session.scalar(
        select(RotaPeriod).where(RotaPeriod.month == month.key)
    )
    return found


async def month_versions(session: AsyncSession, month: Month) -> list[RotaVersion]:
    """Every version of the month, oldest first (empty when none was generated)."""
    period = await find_period(session, month)
    if period is None:
        return []
    rows = await session.scalars(
        select(RotaVersion).where(RotaVersion.period_id == period.id).order_by(RotaVersion.number)
    )
    return list(rows)


async def rota_months(session: AsyncSession) -> list[tuple[str, list[RotaVersion]]]:
    """Every month with a rota period ("2027-01"), in order, each with its versions newest first."""
    periods = (await session.scalars(select(RotaPeriod).order_by(RotaPeriod.month))).all()
    versions = await session.scalars(select(RotaVersion).order_by(RotaVersion.number.desc()))
    by_period: dict[int, list[RotaVersion]] = {}
    for version in versions:
        by_period.setdefault(version.period_id, []).append(version)
    return [(period.month, by_period.get(period.id, [])) for period in periods]


async def next_number(session: AsyncSession, period: RotaPeriod) -> int:
    highest = await session.scalar(
        select(func.max(RotaVersion.number)).where(RotaVersion.period_id == period.id)
    )
    return int(highest or 0) + 1


async def find_version(
    session: AsyncSession, month: Month, number: int | None = None, *, status: str | None = None
) -> RotaVersion:
    """Version `number` of the month, or the newest one with `status` (any status when None)."""
    period = await find_period(session, month)
    if period is None:
        raise RotaConflict(f"month: no rota has been generated for {month.key}")
    query = select(RotaVersion).where(RotaVersion.period_id == period.id)
    if number is not None:
        version = await session.scalar(query.where(RotaVersion.number == number))
        if version is None:
            raise RotaInvalid(f"version: {month.key} has no version {number}")
        return version
    if status is not None:
        query = query.where(RotaVersion.status == status)
    version = await session.scalar(query.order_by(RotaVersion.number.desc()).limit(1))
    if version is None:
        wanted = f"{status} version" if status else "version"
        raise RotaConflict(f"version: {month.key} has no {wanted}")
    return version


async def published_version(session: AsyncSession, month: Month) -> RotaVersion:
    try:
        return await find_version(session, month, status=VersionStatus.PUBLISHED.value)
    except RotaConflict:
        raise RotaConflict(f"month: {month.key} has no published rota") from None


async def load_version(session: AsyncSession, version_id: int) -> LoadedVersion:
    """A version with shifts, assignments, its period and the people on it, in one go."""
    version = await session.scalar(
        select(RotaVersion)
        .where(RotaVersion.id == version_id)
        .options(
            selectinload(RotaVersion.period),
            selectinload(RotaVersion.shifts).selectinload(RotaShift.assignments),
        )
        .execution_options(populate_existing=True)
    )
    assert version is not None, "load_version is called with the id of a stored version"
    ids = {a.person_id for s in version.shifts for a in s.assignments}
    people = (await session.scalars(select(Person).where(Person.id.in_(ids)))).all() if ids else []
    return LoadedVersion(version, Month.parse(version.period.month), {p.id: p for p in people})


def ordered_crew(people: Sequence[str], before: Sequence[str] | None) -> list[str]:
    """The people of a shift in position order: whoever stays keeps their place, newcomers take
    the places of those who left (so a repair swaps one name, not the whole order)."""
    if not before:
        return sorted(people)
    staying = set(people).intersection(before)
    newcomers = sorted(set(people).difference(before))
    order: list[str] = []
    for code in before:
        if code in staying:
            order.append(code)
        elif newcomers:
            order.append(newcomers.pop(0))
    return order + newcomers


async def store_version(
    session: AsyncSession,
    period: RotaPeriod,
    problem: dict[str, Any],
    solution: dict[str, Any],
    *,
    now: datetime,
    by: str,
    reason: str,
    parent: LoadedVersion | None = None,
) -> RotaVersion:
    """A new draft version with a row per shift and per assignment (flushed, not committed)."""
    version = RotaVersion(
        period_id=period.id,
        number=await next_number(session, period),
        status=VersionStatus.DRAFT.value,
        reason=reason,
        parent_id=parent.version.id if parent else None,
        solver_status=str(solution.get("status", "")),
        problem=problem,
        solution=solution,
        created_at=now,
        created_by=by,
    )
    session.add(version)
    try:
        await session.flush()
    except IntegrityError:
        # Someone stored a version of this month at the same moment and took the number.
        raise RotaConflict(
            f"version: another version of {period.month} was stored at the same time; try again"
        ) from None
    crews: dict[str, list[str]] = {}
    for item in solution.get("assignments", []):
        crews.setdefault(item["shift"], []).append(item["person"])
    codes = {c for crew in crews.values() for c in crew}
    ids = dict(
        (await session.execute(select(Person.code, Person.id).where(Person.code.in_(codes)))).all()
    )
    before = parent.assignments() if parent else {}
    for shift in problem["shifts"]:
        row = RotaShift(
            version_id=version.id,
            key=shift["id"],
            tier=shift["tier"],
            start=datetime.fromisoformat(shift["start"]),
            end=datetime.fromisoformat(shift["end"]),
            weight=shift.get("weight", 1.0),
            required=shift.get("required", 1),
            categories=list(shift.get("categories", [])),
            skills=list(shift.get("skills", [])),
        )
        previous = before.get(shift["id"], [])
        for position, code in enumerate(ordered_crew(crews.get(shift["id"], []), previous)):
            source = "solver" if parent is None or code in previous else "repair"
            row.assignments.append(
                Assignment(person_id=ids[code], position=position, source=source)
            )
        session.add(row)
    await session.flush()
    return version
