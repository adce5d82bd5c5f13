"""Figures for the start page: how many staff, lines and households the service knows."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from oncall.db.models import CallerNumber, FosterHousehold, Line, Person, Tier


@dataclass(frozen=True, slots=True)
class LineSummary:
    kind: str
    name: str
    number: str
    routing_policy: str


@dataclass(frozen=True, slots=True)
class Overview:
    workers: int
    managers: int
    households: int
    lines: list[LineSummary]


async def service_overview(session: AsyncSession) -> Overview:
    counts = dict(
        (
            await session.execute(
                select(Person.tier, func.count()).where(Person.active).group_by(Person.tier)
            )
        ).all()
    )
    households = await session.scalar(
        select(func.count()).select_from(FosterHousehold).where(FosterHousehold.active)
    )
    lines = (await session.scalars(select(Line).where(Line.active).order_by(Line.id))).all()
    return Overview(
        workers=counts.get(Tier.WORKER, 0),
        managers=counts.get(Tier.MANAGER, 0),
        households=households or 0,
        lines=[
            LineSummary(line.kind, line.name, line.twilio_number, line.routing_policy)
            for line in lines
        ],
    )


@dataclass(frozen=True, slots=True)
class SimulatorEntries:
    """Labelled numbers for the demo's phone simulator."""

    lines: list[tuple[str, str]]
    callers: list[tuple[str, str]]
    phones: list[tuple[str, str]]


DEMO_UNKNOWN_CALLER = "+447797999999"


async def simulator_entries(session: AsyncSession, on_duty_first: list[int]) -> SimulatorEntries:
    """Lines, caller identities and staff phones, the people on duty first."""
    lines = (await session.scalars(select(Line).where(Line.active).order_by(Line.id))).all()
    numbers = (
        await session.scalars(
            select(CallerNumber)
            .options(selectinload(CallerNumber.known_caller), selectinload(CallerNumber.household))
            .order_by(CallerNumber.id)
        )
    ).all()
    callers: list[tuple[str, str]] = []
    for number in numbers:
        if number.known_caller is not None:
            callers.append((f"{number.known_caller.name} ({number.label})", number.number))
        elif number.household is not None:
            callers.append((f"Foster carer {number.household.reference}", number.number))
    callers.append(("Unknown caller", DEMO_UNKNOWN_CALLER))
    people = (
        await session.scalars(select(Person).where(Person.active).order_by(Person.code))
    ).all()
    rank = {person_id: i for i, person_id in enumerate(on_duty_first)}
    people = sorted(people, key=lambda p: (rank.get(p.id, len(rank)), p.code))
    return SimulatorEntries(
        lines=[(line.name, line.twilio_number) for line in lines],
        callers=callers,
        phones=[
            (f"{p.name} ({p.code}{', on duty' if p.id in rank else ''})", p.phone) for p in people
        ],
    )
