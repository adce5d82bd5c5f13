"""Who is on duty: the out-of-hours window by the local clock, the published rota, overrides."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from oncall.db.engine import Database
from oncall.db.models import DutyOverride, Person, RotaVersion, Tier, VersionStatus
from oncall.domain.duty import OutOfHoursWindow, bank_holiday_name, on_duty_at
from tests.support import JERSEY, ShiftSpec, load_demo_data, publish_rota

WINDOW = OutOfHoursWindow()


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=JERSEY)


@pytest.mark.parametrize(
    ("at", "inside"),
    [
        (local(2027, 1, 6, 16, 59), False),  # Wednesday afternoon: the day team
        (local(2027, 1, 6, 17, 0), True),
        (local(2027, 1, 7, 8, 59), True),
        (local(2027, 1, 7, 9, 0), False),
        (local(2027, 1, 9, 12, 0), True),  # Saturday
        (local(2027, 1, 1, 12, 0), True),  # New Year's Day
        (local(2025, 5, 9, 12, 0), True),  # Liberation Day, a Friday
        (local(2027, 7, 1, 12, 0), False),  # summer time: 12:00 BST is still office hours
        (local(2027, 7, 1, 17, 30), True),
    ],
)
def test_out_of_hours_window_by_the_local_clock(at: datetime, inside: bool) -> None:
    assert WINDOW.contains(at.astimezone(UTC), JERSEY) is inside


def test_liberation_day_is_a_bank_holiday() -> None:
    assert bank_holiday_name(datetime(2025, 5, 9).date()) is not None  # noqa: DTZ001
    day_window = OutOfHoursWindow(weekday_start=time(12), weekday_end=time(14))
    assert day_window.contains(local(2027, 1, 6, 13, 0), JERSEY)


async def test_the_published_rota_says_who_is_on_duty(database: Database) -> None:
    await load_demo_data(database)
    start, end = local(2027, 1, 8, 17, 0), local(2027, 1, 9, 9, 0)
    async with database.sessions() as session:
        await publish_rota(
            session,
            "2027-01",
            [
                ShiftSpec(start, end, Tier.WORKER, ["sw003", "sw004"]),
                ShiftSpec(start, end + timedelta(days=2), Tier.MANAGER, ["sm002"]),
            ],
        )
        await session.commit()
    async with database.sessions() as session:
        duty = await on_duty_at(session, local(2027, 1, 8, 23, 0))
        assert [d.code for d in duty.workers] == ["sw003", "sw004"]
        assert [d.code for d in duty.managers] == ["sm002"]
        assert (await on_duty_at(session, end)).workers == ()
        before = await on_duty_at(session, start - timedelta(seconds=1))
        assert before.everyone == ()
        # a draft is not the rota
        version = (await session.scalars(select(RotaVersion))).one()
        version.status = VersionStatus.DRAFT
        await session.flush()
        assert (await on_duty_at(session, local(2027, 1, 8, 23, 0))).everyone == ()


async def test_an_override_replaces_the_person_in_their_place(database: Database) -> None:
    await load_demo_data(database)
    start, end = local(2027, 1, 8, 17, 0), local(2027, 1, 9, 9, 0)
    async with database.sessions() as session:
        await publish_rota(
            session, "2027-01", [ShiftSpec(start, end, Tier.WORKER, ["sw003", "sw004"])]
        )
        ids = {p.code: p.id for p in (await session.scalars(select(Person))).all()}
        session.add_all(
            [
                DutyOverride(
                    tier=Tier.WORKER, start=start, end=end, person_id=ids["sw010"],
                    replaces_person_id=ids["sw003"], reason="sick", created_at=start,
                    created_by="coordinator",
                ),
                DutyOverride(
                    tier=Tier.WORKER, start=start, end=end, person_id=ids["sw011"],
                    replaces_person_id=None, reason="extra cover", created_at=start,
                    created_by="coordinator", cancelled_at=start,
                ),
            ]
        )  # fmt: skip
        await session.commit()
    async with database.sessions() as session:
        duty = await on_duty_at(session, local(2027, 1, 8, 23, 0))
    assert [(d.code, d.source) for d in duty.workers] == [("sw010", "override"), ("sw004", "rota")]
