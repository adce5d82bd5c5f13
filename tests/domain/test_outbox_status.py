"""A status callback's one-statement update (`advance_status`) moves a row exactly as the
locked read and update of `apply_status` does, for every status that is not a failure."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from oncall.db.engine import Database
from oncall.db.models import Channel, OutboundMessage, OutboxStatus
from oncall.domain.outbox import queue

S = OutboxStatus
THEN = datetime(2027, 1, 8, 23, 0, tzinfo=UTC)
NOW = THEN + timedelta(minutes=1)
OLD = [S.PENDING, S.SENDING, S.QUEUED, S.SENT, S.RINGING, S.IN_PROGRESS, S.DELIVERED,
       S.UNDELIVERED, S.FAILED, S.COMPLETED, S.NO_ANSWER, S.CANCELLED]  # fmt: skip
NEW = [s for s in OLD if s not in queue.FINAL_FAILURES and s not in (S.PENDING, S.CANCELLED)]
SIDS = ["none", "same", "other", "absent"]  # the row's SID and the callback's


async def _row(database: Database, old: S, last_error: str, had_sid: bool, tag: str) -> int:
    async with database.sessions() as session:
        row = OutboundMessage(
            dedupe_key=f"test:{tag}", channel=Channel.SMS, to_number="+447700900001",
            from_number="+441534700100", body="x", status=old, last_error=last_error,
            provider_sid=f"SMrow{tag}" if had_sid else None, next_attempt_at=THEN,
            created_at=THEN, updated_at=THEN,
        )  # fmt: skip
        session.add(row)
        await session.commit()
        return row.id


async def _state(database: Database, row_id: int, tag: str) -> tuple[object, ...]:
    async with database.sessions() as session:
        row = await session.get(OutboundMessage, row_id)
        assert row is not None
        sid = (row.provider_sid or "").replace(tag, "")
        state = (row.status, sid, row.updated_at == NOW, row.next_attempt_at, row.last_error)
        await session.execute(delete(OutboundMessage).where(OutboundMessage.id == row_id))
        await session.commit()
        return state


async def test_advance_status_moves_a_row_as_apply_status_does(database: Database) -> None:
    cases = itertools.product(OLD, NEW, SIDS, ["", queue.UNKNOWN_OUTCOME], ["", "Twilio 1"])
    compared = 0
    for n, (old, new, sids, last_error, error) in enumerate(cases):
        had_sid = sids in ("same", "other")
        results = []
        for how in ("apply", "advance"):
            tag = f"{n}{how}"
            sid = {"none": f"SMnew{tag}", "same": f"SMrow{tag}", "other": f"SMoth{tag}",
                   "absent": ""}[sids]  # fmt: skip
            row_id = await _row(database, old, last_error, had_sid, tag)
            async with database.sessions() as session:
                if how == "apply":
                    row, _failed = await queue.apply_status(
                        session, row_id=row_id, sid=sid, status=new, error=error, now=NOW
                    )
                    moved = row is not None and row.updated_at == NOW
                else:
                    moved = await queue.advance_status(
                        session, row_id=row_id, sid=sid, status=new, error=error, now=NOW
                    )
                await session.commit()
            state = await _state(database, row_id, tag)
            results.append((moved, state))
        assert results[0] == results[1], (old, new, sids, last_error, error, results)
        compared += 1
    assert compared == len(OLD) * len(NEW) * len(SIDS) * 4
    async with database.sessions() as session:
        assert (await session.scalars(select(OutboundMessage.id))).all() == []
