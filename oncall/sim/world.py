"""The world the simulator plays in: the demo's people, lines and callers, and a plain published
rota for the nights it runs or lays down (no solver). No web here: the history uses it too."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from oncall.db.engine import Database
from oncall.db.migrate import upgrade
from oncall.db.models import (
    Assignment,
    CallerNumber,
    KnownCaller,
    Line,
    Person,
    RotaPeriod,
    RotaShift,
    RotaVersion,
    Tier,
    VersionStatus,
)
from oncall.domain.setup import database_is_empty, load_demo

UNVERIFIED_NUMBERS = tuple(f"+4477979{n:05d}" for n in range(40))


@dataclass(frozen=True, slots=True)
class Directory:
    """Who is who: line numbers, staff phones, and caller numbers by kind."""

    lines: dict[str, str]  # line kind -> our number
    staff: dict[str, str]  # phone -> person code
    managers: tuple[str, ...]  # person codes
    workers: tuple[str, ...]
    callers: dict[str, tuple[str, ...]] = field(default_factory=dict)  # kind -> numbers


async def prepare_database(url: str, *, zone: ZoneInfo, loaded_at: datetime) -> None:
    """Migrate and, if empty, load the demo's people, lines and callers (no rota)."""
    await asyncio.to_thread(upgrade, url)
    database = Database.connect(url)
    try:
        async with database.sessions() as session:
            if await database_is_empty(session):
                await load_demo(session, now=loaded_at, zone=zone, anchor=loaded_at.date())
                await session.commit()
    finally:
        await database.dispose()


async def read_directory(database: Database) -> Directory:
    async with database.sessions() as session:
        lines = {
            line.kind.value: line.twilio_number for line in await session.scalars(select(Line))
        }
        people = list(
            await session.scalars(select(Person).where(Person.active).order_by(Person.code))
        )
        numbers = list(await session.scalars(select(CallerNumber).order_by(CallerNumber.number)))
    callers: dict[str, list[str]] = defaultdict(list)
    async with database.sessions() as session:
        for number in numbers:
            if number.household_id is not None:
                callers["carer"].append(number.number)
            else:
                caller = await session.get(KnownCaller, number.known_caller_id)
                agency = caller.agency.value if caller is not None else "other"
                callers[agency].append(number.number)
    callers["unverified"] = list(UNVERIFIED_NUMBERS)
    return Directory(
        lines=lines,
        staff={p.phone: p.code for p in people},
        managers=tuple(p.code for p in people if p.tier is Tier.MANAGER),
        workers=tuple(p.code for p in people if p.tier is Tier.WORKER),
        callers={kind: tuple(found) for kind, found in callers.items()},
    )


def _month_bounds(first: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return datetime.combine(first, datetime.min.time(), zone), datetime.combine(
        following, datetime.min.time(), zone
    )


async def publish_nights(
    database: Database,
    nights: Sequence[tuple[datetime, datetime]],
    directory: Directory,
    *,
    zone: ZoneInfo,
) -> None:
    """A published rota of exactly these nights (no solver): two workers in ringing order and
    one senior manager per night, taking turns; one version per calendar month."""
    async with database.sessions() as session:
        people = {p.code: p.id for p in await session.scalars(select(Person))}
        by_month: dict[date, list[tuple[int, datetime, datetime]]] = defaultdict(list)
        for n, (start, end) in enumerate(nights):
            by_month[start.astimezone(zone).date().replace(day=1)].append((n, start, end))
        for first, items in by_month.items():
            month = first.strftime("%Y-%m")
            existing = await session.scalar(select(RotaPeriod).where(RotaPeriod.month == month))
            if existing is not None:
                continue  # the month already has a rota (the demo's own): keep it
            start, end = _month_bounds(first, zone)
            at = datetime.now(UTC)
            period = RotaPeriod(month=month, start=start, end=end, created_at=at)
            version = RotaVersion(
                period=period, number=1, status=VersionStatus.PUBLISHED, created_at=at,
                published_at=at, published_by="simulator", created_by="simulator",
            )  # fmt: skip
            workers, managers = directory.workers, directory.managers
            for n, night_start, night_end in items:
                pairs = [
                    (Tier.WORKER, [workers[(2 * n) % len(workers)],
                                   workers[(2 * n + 1) % len(workers)]]),
                    (Tier.MANAGER, [managers[n % len(managers)]]),
                ]  # fmt: skip
                for tier, codes in pairs:
                    shift = RotaShift(
                        key=f"n{n}-{tier.value}", tier=tier, start=night_start, end=night_end,
                        weight=1.0, required=1,
                    )  # fmt: skip
                    shift.assignments = [
                        Assignment(person_id=people[code], position=pos, source="manual")
                        for pos, code in enumerate(codes)
                    ]
                    version.shifts.append(shift)
            session.add(version)
        await session.commit()
