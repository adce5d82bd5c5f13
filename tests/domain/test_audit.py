"""The response log: appends form one chain; any altered or deleted row breaks it at that row."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from oncall.db.engine import Database
from oncall.db.models import ActorType
from oncall.domain.chain import GENESIS_HASH, EventKind, append_event, verify_chain

T0 = datetime(2027, 1, 8, 23, 0, tzinfo=UTC)


async def _append(database: Database, count: int) -> None:
    async with database.sessions() as session:
        for i in range(count):
            await append_event(
                session,
                kind=EventKind.CALL_RECEIVED if i % 2 == 0 else EventKind.CALL_RANG,
                at=T0 + timedelta(seconds=i),
                actor_type=ActorType.SYSTEM,
                details={"i": i, "line": "police", "note": "é ✓"},
            )
        await session.commit()


async def _tamper(database: Database, statement: str) -> None:
    """Change the table behind the service's back, as an intruder with database access could."""
    async with database.engine.begin() as conn:
        if database.is_sqlite:
            await conn.execute(text("DROP TRIGGER events_no_update"))
            await conn.execute(text("DROP TRIGGER events_no_delete"))
        else:
            await conn.execute(text("SET LOCAL session_replication_role = replica"))
        await conn.execute(text(statement))


async def test_appended_events_form_a_chain(database: Database) -> None:
    await _append(database, 7)
    async with database.sessions() as session:
        report = await verify_chain(session, batch=3)
    assert report.ok
    assert (report.checked, report.last_seq) == (7, 7)


async def test_an_empty_log_verifies(database: Database) -> None:
    async with database.sessions() as session:
        report = await verify_chain(session)
    assert report.ok and report.checked == 0


@pytest.mark.parametrize(
    ("statement", "seq", "words"),
    [
        ("UPDATE events SET details = '{\"i\": 99}' WHERE seq = 4", 4, "details were altered"),
        ("UPDATE events SET kind = 'call.accepted' WHERE seq = 3", 3, "hash differs"),
        ("UPDATE events SET occurred_at = occurred_at WHERE seq = 2", None, None),
        ("DELETE FROM events WHERE seq = 5", 6, "events 5 to 5 are missing"),
        ("DELETE FROM events WHERE seq >= 6", 7, "events at the end were deleted"),
        (f"UPDATE events SET prev_hash = '{GENESIS_HASH}' WHERE seq = 2", 2, "does not link"),  # noqa: S608
    ],
)
async def test_tampering_breaks_the_chain_at_the_right_event(
    database: Database, statement: str, seq: int | None, words: str | None
) -> None:
    await _append(database, 7)
    await _tamper(database, statement)
    async with database.sessions() as session:
        report = await verify_chain(session, batch=2)
    if seq is None:  # a no-op update changes nothing
        assert report.ok
        return
    assert report.broken is not None
    assert report.broken.seq == seq
    assert words is not None and words in report.broken.problem


async def test_redacted_details_still_verify(database: Database) -> None:
    await _append(database, 3)
    async with database.engine.begin() as conn:
        await conn.execute(
            text("""UPDATE events SET details = '{"redacted": true}' WHERE seq = 2""")
        )
    async with database.sessions() as session:
        assert (await verify_chain(session)).ok


async def test_concurrent_appends_stay_one_chain(database: Database) -> None:
    async def one(i: int) -> None:
        async with database.sessions() as session:
            await append_event(session, kind=EventKind.SMS_SENT, at=T0, details={"i": i})
            await asyncio.sleep(0.001)  # hold the transaction open while others try
            await session.commit()

    await asyncio.gather(*(one(i) for i in range(20)))
    async with database.sessions() as session:
        report = await verify_chain(session)
    assert report.ok
    assert report.checked == 20


@pytest.mark.postgres
async def test_two_replicas_appending_at_once_give_one_chain_without_gaps(
    postgres_database: str,
) -> None:
    """Two engines (two replicas' connection pools) append many-event transactions at once;
    some roll back. The chain verifies, with exactly the committed events and no gap."""
    replicas = [Database.connect(postgres_database) for _ in range(2)]
    async with replicas[0].engine.begin() as conn:  # this test's own empty log
        await conn.execute(text("SET LOCAL session_replication_role = replica"))
        await conn.execute(text("TRUNCATE events, event_chain_head"))
    sealed: list[int] = []

    async def writer(db: Database, replica: int, i: int) -> None:
        async with db.sessions() as session:
            events = [
                await append_event(
                    session,
                    kind=EventKind.SMS_SENT,
                    at=T0,
                    details={"replica": replica, "i": i, "n": n},
                )
                for n in range(3)
            ]
            await asyncio.sleep(0.001 * (i % 3))  # transactions overlap in varied ways
            if i % 5 == 4:
                await session.rollback()  # appends nothing, leaves no gap
                return
            await session.commit()
            sealed.extend(e.seq or 0 for e in events)  # 0 would be an event left unsealed

    async def verifier() -> list[bool]:
        """Verifications while the replicas append: new events are not a 'deleted' tail."""
        found = []
        for _ in range(5):
            async with replicas[0].sessions() as session:
                found.append((await verify_chain(session)).ok)
            await asyncio.sleep(0.005)
        return found

    try:
        *_, during = await asyncio.gather(
            *(writer(db, r, i) for i in range(20) for r, db in enumerate(replicas)), verifier()
        )
        async with replicas[1].sessions() as session:
            report = await verify_chain(session, batch=7)
            rows = (await session.execute(text("SELECT count(*) FROM events"))).scalar_one()
    finally:
        for db in replicas:
            await db.dispose()
    assert report.ok, report.broken
    assert during == [True] * 5
    committed = 2 * 16 * 3
    assert (report.checked, report.last_seq, rows) == (committed, committed, committed)
    assert sorted(sealed) == list(range(1, committed + 1))  # each caller's events got their seq


async def test_an_event_inside_a_savepoint_is_refused(database: Database) -> None:
    # A savepoint rolled back would still commit the transaction's pending events: refused.
    at = datetime(2027, 1, 8, 23, 0, tzinfo=UTC)
    async with database.sessions() as session:
        await append_event(session, kind=EventKind.CALL_RECEIVED, at=at)
        async with session.begin_nested():
            with pytest.raises(RuntimeError, match="savepoint"):
                await append_event(session, kind=EventKind.CALL_RANG, at=at)
        await session.commit()
        report = await verify_chain(session)
    assert report.ok and report.checked == 1
