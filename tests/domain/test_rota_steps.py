"""Generate and repair given a session factory (the web's background jobs): each step commits its
own short transaction; given a session (the command line), the caller commits once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from oncall.db.engine import Database
from oncall.db.models import RotaPeriod, RotaVersion, Unavailability
from oncall.domain.rota import generate, publish, repair, version_diff
from oncall.domain.rota.transactions import step
from tests.domain.test_rota_flow import JERSEY, LIMIT, NOW, assert_checks, demo


async def _months(database: Database) -> list[str]:
    async with database.sessions() as session:
        return list(await session.scalars(select(RotaPeriod.month).order_by(RotaPeriod.month)))


def _period(month: str) -> RotaPeriod:
    return RotaPeriod(month=month, start=NOW, end=NOW, created_at=NOW)


async def test_a_step_commits_only_when_it_opened_the_session(database: Database) -> None:
    async with database.sessions() as session:
        async with step(session) as inside:
            assert inside is session
            inside.add(_period("2027-01"))
            await inside.flush()
        await session.rollback()  # the caller's to commit or not
    async with step(database.sessions) as inside:
        inside.add(_period("2027-02"))
    with pytest.raises(RuntimeError):
        await _failing_step(database)
    assert await _months(database) == ["2027-02"]


async def _failing_step(database: Database) -> None:
    async with step(database.sessions) as inside:
        inside.add(_period("2027-03"))
        await inside.flush()
        raise RuntimeError("the step failed")


async def test_generate_and_repair_with_a_session_factory(database: Database) -> None:
    await demo(database)
    first = await generate(
        database.sessions, "2027-01", zone=JERSEY, now=NOW, by="job", time_limit_s=LIMIT
    )
    async with database.sessions() as session:  # committed: another session sees it
        stored = await session.get(RotaVersion, first.id)
        assert stored is not None and (stored.number, stored.created_by) == (1, "job")
        await publish(session, "2027-01", now=NOW, by="coordinator")
        await session.commit()
    assert_checks(first)

    now = datetime(2027, 1, 10, 12, tzinfo=UTC)
    friday = next(a for a in first.solution["assignments"] if a["shift"] == "2027-01-15-w")
    sick = friday["person"]
    start, end = datetime(2027, 1, 12, tzinfo=UTC), datetime(2027, 1, 16, tzinfo=UTC)
    result = await repair(
        database.sessions, "2027-01", person_code=sick, start=start, end=end, now=now, by="job",
        zone=JERSEY, time_limit_s=LIMIT,
    )  # fmt: skip
    version = result.version
    assert version.parent_id == first.id and version.reason.startswith(f"repair: {sick} ")
    assert_checks(version)
    assert "2027-01-15-w" in {m.shift for m in result.moves}
    assert all(m.out == [sick] and len(m.into) == 1 for m in result.moves)
    async with database.sessions() as session:
        assert await version_diff(session, "2027-01", 1, 2) == result.moves
        recorded = await session.scalar(
            select(func.count()).select_from(Unavailability).where(Unavailability.start == start)
        )
    assert recorded == 1
