"""Demo data: synthetic, deterministic, valid, loaded only into an empty database."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from oncall.db.engine import Database
from oncall.db.models import (
    CallerNumber,
    FosterHousehold,
    KnownCaller,
    Line,
    Person,
    ShiftTemplate,
    Tier,
    Unavailability,
    User,
)
from oncall.domain.people import verify_password
from oncall.domain.setup.demo import DemoDataInvalid, _phone, database_is_empty, load_demo
from oncall.phones import normalise_phone

JERSEY = ZoneInfo("Europe/Jersey")
NOW = datetime(2026, 12, 15, 12, 0, tzinfo=UTC)


async def _load(database: Database, anchor: date | None = date(2027, 1, 1)) -> None:
    async with database.sessions() as session:
        assert await database_is_empty(session)
        await load_demo(session, now=NOW, zone=JERSEY, anchor=anchor)
        await session.commit()


async def test_demo_has_the_staff_lines_and_callers_the_issue_asks_for(database: Database) -> None:
    await _load(database)
    async with database.sessions() as session:
        people = (await session.scalars(select(Person))).all()
        workers = [p for p in people if p.tier == Tier.WORKER]
        managers = [p for p in people if p.tier == Tier.MANAGER]
        assert (len(workers), len(managers)) == (30, 8)
        assert sum("fostering" in p.skills for p in workers) >= 8
        assert 2 <= sum("amhp" in p.skills for p in workers) <= 6
        assert any(p.fte < 1 for p in workers)
        assert {line.kind for line in (await session.scalars(select(Line))).all()} == {
            "police",
            "hospital",
            "foster",
        }
        agencies = {k.agency for k in (await session.scalars(select(KnownCaller))).all()}
        assert agencies == {"police", "hospital"}
        households = (
            await session.scalars(
                select(FosterHousehold).options(selectinload(FosterHousehold.numbers))
            )
        ).all()
        assert len(households) == 20 and all(h.numbers for h in households)
        assert (await session.scalars(select(ShiftTemplate))).all()
        leave = (await session.scalars(select(Unavailability))).all()
        assert leave and all(u.end > u.start for u in leave)
        assert all(date(2027, 1, 1) <= u.start.date() <= date(2027, 5, 31) for u in leave)
        users = (await session.scalars(select(User))).all()
        roles = set().union(*(u.role_names for u in users))
        assert roles == {"admin", "coordinator", "manager", "worker"}
        assert all(verify_password(u.password_hash, "oncall-demo") for u in users)
        numbers = [p.phone for p in people] + [
            n.number for n in (await session.scalars(select(CallerNumber))).all()
        ]
        assert all(normalise_phone(n) == n for n in numbers)
        assert len(set(numbers)) == len(numbers)


async def test_demo_is_deterministic(db_url: str, sqlite_url: str) -> None:
    snapshots = []
    for url in (db_url, sqlite_url):
        db = Database.connect(url)
        try:
            await _load(db)
            async with db.sessions() as session:
                people = (await session.scalars(select(Person).order_by(Person.code))).all()
                leave = (
                    await session.scalars(
                        select(Unavailability).order_by(
                            Unavailability.person_id, Unavailability.start
                        )
                    )
                ).all()
                snapshots.append(
                    (
                        [(p.code, p.name, p.phone, p.fte, p.skills) for p in people],
                        [(u.person_id, u.start, u.end, u.reason) for u in leave],
                    )
                )
        finally:
            await db.dispose()
    assert snapshots[0] == snapshots[1]


def test_a_malformed_demo_number_is_named() -> None:
    with pytest.raises(DemoDataInvalid, match=r"people\[sw099\]\.phone"):
        _phone("+44 1534 1", "people[sw099].phone")
