"""Verifying the log: walk every event in order and report the first link that does not hold."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import ChainHead, Event
from oncall.db.reading import connect_for_reading
from oncall.domain.chain.append import HEAD_ID
from oncall.domain.chain.hashing import GENESIS_HASH, details_digest, event_hash, is_redacted


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """The first link that does not hold."""

    seq: int
    occurred_at: datetime | None
    problem: str


@dataclass(frozen=True, slots=True)
class ChainReport:
    checked: int
    last_seq: int
    broken: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.broken is None


_COLUMNS = (
    Event.seq,
    Event.occurred_at,
    Event.contact_id,
    Event.kind,
    Event.actor_type,
    Event.actor,
    Event.details,
    Event.details_digest,
    Event.prev_hash,
    Event.hash,
)


@dataclass(slots=True)
class _Walk:
    """Where a verification has got to."""

    expected_seq: int = 1
    prev_hash: str = GENESIS_HASH
    checked: int = 0
    last_at: datetime | None = None


def _check_rows(walk: _Walk, rows: Sequence[Any]) -> ChainBreak | None:
    """Check a batch of rows in order, advancing `walk`; the first broken link, if any."""
    for seq, at, contact, kind, actor_type, actor, details, digest, prev, stored in rows:
        problem = None
        if seq != walk.expected_seq:
            problem = f"events {walk.expected_seq} to {seq - 1} are missing (deleted)"
        elif prev != walk.prev_hash:
            problem = "does not link to the event before it (prev_hash differs)"
        elif not is_redacted(details) and details_digest(details) != digest:
            problem = "details were altered (they no longer match their digest)"
        elif stored != event_hash(
            seq=seq,
            occurred_at=at,
            contact_id=contact,
            kind=kind,
            actor_type=actor_type,
            actor=actor,
            digest=digest,
            prev_hash=prev,
        ):
            problem = "time, contact, kind or actor were altered (hash differs)"
        if problem:
            return ChainBreak(seq, at, problem)
        walk.expected_seq, walk.prev_hash, walk.last_at = seq + 1, stored, at
        walk.checked += 1
    return None


# A walk in the server's worker process (verify_chain_at) is paced: after each batch it rests so
# that the database's fetches take at most this share of its time. The walk's PostgreSQL backend
# runs at full priority (the worker's `nice` does not reach it), beside the webhooks' own; the
# hashing, in the worker at its lower priority, is not counted (under load it waits for the CPU,
# and counting that wait would slow the walk down for nothing).
WALK_SHARE = 0.25
WALK_BATCH = 500


async def verify_chain(
    session: AsyncSession, *, batch: int = 1000, share: float = 1.0
) -> ChainReport:
    """Walk every event in order and report the first broken link, if any.

    The walk ends at the chain head as it was when the walk began: events appended meanwhile
    (their seq is above it, and every event at or below it had committed when the head moved
    there) are left for the next verification instead of reading as a tail that was deleted.
    Each batch is hashed in a worker thread, so a long walk does not stall the event loop (the
    server keeps answering while a manager's verification runs). With `share` below 1 the walk
    rests after each batch, so that the database's fetches take at most that share of the
    walk's time.
    """
    if not 0 < share <= 1:
        raise ValueError("share must be more than 0 and at most 1")
    head = (
        await session.execute(select(ChainHead.seq, ChainHead.hash).where(ChainHead.id == HEAD_ID))
    ).first()
    walk = _Walk()
    while True:
        started = time.monotonic()
        query = select(*_COLUMNS).where(Event.seq >= walk.expected_seq)
        if head is not None:
            query = query.where(Event.seq <= head.seq)
        rows = (await session.execute(query.order_by(Event.seq).limit(batch))).all()
        fetched = time.monotonic() - started
        broken = await asyncio.to_thread(_check_rows, walk, rows)
        if broken is not None:
            return ChainReport(walk.checked, walk.expected_seq - 1, broken)
        if len(rows) < batch:
            break
        if share < 1:
            # No transaction stays open while resting (a PostgreSQL snapshot, or SQLite's
            # read mark holding back the WAL's checkpoint): the walk reads by seq, and the head
            # read first bounds it.
            await session.commit()
            await asyncio.sleep(fetched * (1 - share) / share)
    expected_seq, prev_hash = walk.expected_seq, walk.prev_hash
    if head is not None and (head.seq != expected_seq - 1 or head.hash != prev_hash):
        return ChainReport(
            walk.checked,
            expected_seq - 1,
            ChainBreak(
                head.seq,
                walk.last_at,
                f"the log ends at event {expected_seq - 1} but the chain head records "
                f"event {head.seq}: events at the end were deleted",
            ),
        )
    return ChainReport(walk.checked, expected_seq - 1, None)


def verify_chain_at(database_url: str) -> ChainReport:
    """`verify_chain` over an engine of its own, for a worker process (oncall.cpu.CpuWorkers):
    the server's event loop then neither hashes the chain nor holds a connection for the walk."""

    async def walk() -> ChainReport:
        database = connect_for_reading(database_url)
        try:
            async with database.sessions() as session:
                return await verify_chain(session, batch=WALK_BATCH, share=WALK_SHARE)
        finally:
            await database.dispose()

    return asyncio.run(walk())
