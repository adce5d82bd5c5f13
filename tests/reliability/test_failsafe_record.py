"""A fail-safe answer is recorded once per call, however many writers record it at once.

The status callback of the ending call, the runner's pass, another replica and the provider
recovery may each hold the same record; each locks the call's contact before asking whether it is
written, so the second waits for the first's commit and then finds its event.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.engine import Database
from oncall.db.models import Channel, Contact, Event
from oncall.domain.calls.failsafe import FailsafeGiven, record_failsafe, write_failsafe
from oncall.domain.chain import EventKind
from oncall.domain.contacts import identify_caller, open_contact
from tests.support import JERSEY, lock_waiters

AT = datetime(2027, 1, 8, 23, 0, tzinfo=UTC)
SID = "CA" + "f" * 32


def _given(*, step: str = "incoming", recovered: bool = False) -> FailsafeGiven:
    return FailsafeGiven(
        call_sid=SID, step=step, receipt="", from_="+447797000001", to="+441534700100",
        numbers=("+447797000002",), fallback=True, at=AT, recovered=recovered,
    )  # fmt: skip


async def _record(database: Database, given: FailsafeGiven) -> None:
    async with database.sessions() as session:
        await record_failsafe(session, given, zone=JERSEY)
        await asyncio.sleep(0.2)  # hold the transaction open: the other writer is now waiting
        await session.commit()


async def _failsafes(database: Database) -> int:
    async with database.sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(Event).where(Event.kind == EventKind.CALL_FAILSAFE)
        )
        return int(count or 0)


async def _open_call(session: AsyncSession) -> None:
    """The call's contact, as the call's first step opens it (not committed)."""
    await open_contact(
        session, channel=Channel.VOICE, line=None, caller_number="+447797000001",
        caller=await identify_caller(session, "+447797000001"), provider_sid=SID, at=AT,
        zone_year=2027,
    )  # fmt: skip


async def _call(database: Database) -> None:
    async with database.sessions() as session:
        await _open_call(session)
        await session.commit()


async def test_two_writers_at_once_record_one_failsafe(database: Database) -> None:
    await _call(database)
    await asyncio.gather(*(_record(database, _given()) for _ in range(2)))
    assert await _failsafes(database) == 1


async def test_the_recovered_record_and_the_remembered_one_are_one_failsafe(
    database: Database,
) -> None:
    await _call(database)
    await _record(database, _given(step="never reached the service", recovered=True))
    await _record(database, _given(step="incoming"))
    assert await _failsafes(database) == 1


async def test_one_transaction_recording_twice_writes_once(database: Database) -> None:
    await _call(database)
    async with database.sessions() as session:
        await record_failsafe(session, _given(), zone=JERSEY)
        await record_failsafe(session, _given(), zone=JERSEY)
        await session.commit()
    assert await _failsafes(database) == 1


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)  # the unique index waits there
async def test_a_contact_the_timed_out_step_commits_meanwhile_takes_the_record(
    database: Database,
) -> None:
    """The step that missed its budget opened the call's contact, and its commit was in flight:
    the record found no contact, and its own insert waited on the unique call id, then was
    refused when the step committed. The record is then made on the step's contact."""
    async with database.sessions() as step:
        await _open_call(step)
        record = asyncio.ensure_future(write_failsafe(database.sessions, _given(), zone=JERSEY))
        for _ in range(1000):
            if await lock_waiters(database) or record.done():
                break
            await asyncio.sleep(0.01)
        assert not record.done(), record  # it waits for the step's insert
        await step.commit()
    await record
    async with database.sessions() as session:
        contacts = await session.scalar(
            select(func.count()).select_from(Contact).where(Contact.provider_sid == SID)
        )
    assert contacts == 1
    assert await _failsafes(database) == 1
