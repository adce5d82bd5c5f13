"""Demo episodes: on the first run the pack and the dashboard show something in every part."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from oncall.db.engine import Database
from oncall.db.models import Alert, Contact
from oncall.domain.audit import latest_handover_day
from oncall.domain.calls.reconcile import open_calls
from oncall.domain.chain import verify_chain
from oncall.domain.missing import (
    dashboard,
    default_period,
    gather_pack,
    load_demo_episodes,
    missing_config,
)
from tests.missing.support import RULES
from tests.support import JERSEY, load_demo_data

NOW = datetime(2027, 6, 16, 14, 30, tzinfo=UTC)  # any day: the demo is dated back from it


async def test_the_demo_fills_the_pack_and_the_dashboard(database: Database) -> None:
    await load_demo_data(database)
    async with database.sessions() as session:
        added = await load_demo_episodes(session, RULES, now=NOW, zone=JERSEY)
        await session.commit()
        day = latest_handover_day(NOW, JERSEY, time(9, 0))
        pack = await gather_pack(session, day=day, zone=JERSEY, boundary=time(9, 0))
        first, last = default_period(NOW, JERSEY)
        figures = await dashboard(session, first=first, last=last, now=NOW, zone=JERSEY)
        open_alerts = list(await session.scalars(select(Alert).where(Alert.status == "open")))
        without_outcome = list(
            await session.scalars(select(Contact.reference).where(Contact.outcome.is_(None)))
        )
        # Calls of the past: none is still open for the server to ask the provider about (it
        # never saw them: every start of `make run` warned "call lookup failed").
        still_open = await open_calls(session, now=NOW, after=timedelta(0), skip=(), limit=100)
        assert (await verify_chain(session)).ok
    assert added == 13
    sections = [pack.still_missing, pack.returned, pack.interviews_due, pack.interviews_overdue]
    assert [len(s) for s in sections] == [1, 1, 1, 1]
    assert len(pack.repeats) == 1
    assert figures.episodes == 13 and figures.open_now == 1 and figures.repeat_cases == 2
    assert figures.median_missing is not None and figures.median_first_action is not None
    assert figures.in_time_percent is not None and 0 < figures.in_time_percent < 100
    assert sum(1 for _, n in figures.weeks if n) >= 8  # spread over the weeks
    assert open_alerts == []  # the senior manager acknowledged each: nothing texts on start
    assert without_outcome == []  # nor does the handover remind anyone
    assert still_open == []


async def test_no_demo_episodes_when_the_case_reference_setting_refuses_them(
    database: Database,
) -> None:
    await load_demo_data(database)
    async with database.sessions() as session:
        rules = missing_config(r"^[0-9]{8}$", 72)
        assert await load_demo_episodes(session, rules, now=NOW, zone=JERSEY) == 0
