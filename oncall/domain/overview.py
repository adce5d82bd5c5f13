"""Figures for the start page: how many staff, lines and households the service knows."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import FosterHousehold, Line, Person, Tier


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
        workers=counts.get(Tier.WORKER.value, 0),
        managers=counts.get(Tier.MANAGER.value, 0),
        households=households or 0,
        lines=[
            LineSummary(line.kind, line.name, line.twilio_number, line.routing_policy)
            for line in lines
        ],
    )
