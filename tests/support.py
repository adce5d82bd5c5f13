"""Test data helpers: the demo data set, and a published rota written straight into the database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import asyncpg
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.engine import Database
from oncall.db.models import (
    Assignment,
    Base,
    Person,
    RotaPeriod,
    RotaShift,
    RotaVersion,
    VersionStatus,
)
from oncall.domain.setup import load_demo

JERSEY = ZoneInfo("Europe/Jersey")
DEMO_LOADED_AT = datetime(2026, 12, 15, 12, 0, tzinfo=UTC)


async def load_demo_data(database: Database, anchor: date = date(2027, 1, 1)) -> None:
    async with database.sessions() as session:
        await load_demo(session, now=DEMO_LOADED_AT, zone=JERSEY, anchor=anchor)
        await session.commit()


@dataclass(frozen=True, slots=True)
class ShiftSpec:
    start: datetime
    end: datetime
    tier: str
    people: Sequence[str]  # person codes in ringing order


async def publish_rota(session: AsyncSession, month: str, shifts: Sequence[ShiftSpec]) -> None:
    """A published version made of exactly these shifts (no solver): for routing and duty tests."""
    codes = {code for spec in shifts for code in spec.people}
    people = {
        p.code: p.id
        for p in (await session.scalars(select(Person).where(Person.code.in_(codes)))).all()
    }
    first, last = min(s.start for s in shifts), max(s.end for s in shifts)
    period = RotaPeriod(month=month, start=first, end=last, created_at=first)
    version = RotaVersion(
        period=period,
        number=1,
        status=VersionStatus.PUBLISHED,
        created_at=first,
        published_at=first,
        published_by="test",
    )
    for i, spec in enumerate(shifts):
        shift = RotaShift(
            key=f"s{i}", tier=spec.tier, start=spec.start, end=spec.end, weight=1.0, required=1
        )
        shift.assignments = [
            Assignment(person_id=people[code], position=pos) for pos, code in enumerate(spec.people)
        ]
        version.shifts.append(shift)
    session.add(version)
    await session.flush()


async def truncate_all(url: str) -> None:
    """Empty every table of a migrated PostgreSQL database, keeping its schema."""
    conn = await asyncpg.connect("postgresql://" + url.split("://", 1)[1])
    try:
        # replica role skips the append-only trigger on events: only tests ever do this.
        await conn.execute("SET session_replication_role = replica")
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        await conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


async def lock_waiters(database: Database, statement: str = "") -> int:
    """How many sessions of this PostgreSQL database are waiting for a lock now; with
    `statement`, only those whose waiting statement starts with it (a service's periodic jobs may
    wait on the same lock: the hourly prune of the sign-in throttle's rows, say)."""
    async with database.engine.connect() as conn:
        found = await conn.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock' "
                "AND starts_with(ltrim(query), :statement)"
            ),
            {"statement": statement},
        )
    return int(found or 0)
