"""CSV exports of contacts and events, streamed in batches, with formula injection defused
(oncall/domain/spreadsheet.py).

Contacts: rows are fetched on the event loop a small batch at a time and made into text in a
worker thread. Events (a year is 100,000 rows and more): fetched and made into text entirely in a
worker process with a connection of its own (`events_csv_into`), the loop only passing the bytes
on; so a long export never holds the loop that answers webhooks (docs/routing.md, "Isolation")."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from oncall.cpu import Offload
from oncall.db.models import Contact, Event, FosterHousehold, KnownCaller, Line, Person
from oncall.db.reading import connect_for_reading
from oncall.domain.audit.contacts import ContactFilter, filtered
from oncall.domain.spreadsheet import csv_text, safe_cell

BATCH = 500  # rows fetched at a time: each batch is a short turn of the event loop
PROCESS_BATCH = 5000  # rows per message from the worker process (about 2 MB of text)
__all__ = ["contacts_csv", "csv_text", "events_csv", "events_csv_into", "safe_cell"]

CONTACT_COLUMNS = (
    "reference", "received_local", "received_utc", "line", "channel", "caller_type", "caller",
    "status", "first_rung_utc", "answered_utc", "answer_seconds", "acknowledged_utc",
    "resolved_utc", "ended_utc", "handled_by", "outcome", "agencies_informed", "case_reference",
    "day_team_follow_up", "outcome_notes",
)  # fmt: skip
EVENT_COLUMNS = (
    "seq", "occurred_utc", "occurred_local", "contact_reference", "kind", "actor_type", "actor",
    "details", "details_digest", "prev_hash", "hash",
)  # fmt: skip


def _utc(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ") if at else ""


async def contacts_csv(
    session: AsyncSession, f: ContactFilter, *, zone: ZoneInfo
) -> AsyncIterator[str]:
    """The contacts matching `f`, oldest first, as CSV text in chunks (header first)."""
    yield csv_text([CONTACT_COLUMNS])
    handler = aliased(Person)
    query = (
        select(Contact, Line.name, KnownCaller.name, FosterHousehold.reference, handler.code)
        .outerjoin(Line, Line.id == Contact.line_id)
        .outerjoin(KnownCaller, KnownCaller.id == Contact.known_caller_id)
        .outerjoin(FosterHousehold, FosterHousehold.id == Contact.household_id)
        .outerjoin(handler, handler.id == Contact.handled_by_id)
        .where(Contact.id.in_(filtered(f, zone)))
        .order_by(Contact.received_at, Contact.id)
    )
    result = await session.stream(query.execution_options(yield_per=BATCH))
    async for batch in result.partitions(BATCH):
        # Rows are fetched on the event loop; turning them into text is CPU work: a thread's.
        yield await asyncio.to_thread(_contact_csv, batch, zone)


def _contact_csv(batch: Sequence[Any], zone: ZoneInfo) -> str:
    rows = []
    for c, line, known, household, worker in batch:
        answer = (c.answered_at - c.received_at).total_seconds() if c.answered_at else None
        rows.append(
            (
                c.reference, c.received_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
                _utc(c.received_at), line or "", c.channel, c.caller_type,
                known or household or "", c.status, _utc(c.first_rung_at),
                _utc(c.answered_at), "" if answer is None else f"{answer:.0f}",
                _utc(c.acknowledged_at), _utc(c.resolved_at), _utc(c.ended_at), worker or "",
                c.outcome or "", ";".join(c.agencies_informed), c.case_reference,
                c.day_team_follow_up, c.outcome_notes,
            )
        )  # fmt: skip
    return csv_text(rows)


async def events_csv(
    session: AsyncSession,
    *,
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    offload: Offload = asyncio.to_thread,
    batch: int = BATCH,
) -> AsyncIterator[str]:
    """The events that occurred in [start, end), in chain order, as CSV text in chunks.

    Each row carries its digest and hashes, so an export can be checked against the chain.
    The text is made by `offload` (the server's: a worker process, oncall.cpu).
    """
    yield csv_text([EVENT_COLUMNS])
    query = (
        select(*_EVENT_FIELDS, Contact.reference)
        .outerjoin(Contact, Contact.id == Event.contact_id)
        .where(Event.occurred_at >= start, Event.occurred_at < end)
        .order_by(Event.seq)
    )
    result = await session.stream(query.execution_options(yield_per=batch))
    async for rows in result.partitions(batch):
        # Plain columns (no ORM objects) fetched here; the text made by `offload`.
        text: str = await offload(_event_csv, [tuple(row) for row in rows], zone)
        yield text


class BytesSink(Protocol):
    """Where a worker process sends its output: a multiprocessing Connection's writing end."""

    def send_bytes(self, data: bytes) -> None: ...

    def close(self) -> None: ...


def events_csv_into(
    out: BytesSink, database_url: str, start: datetime, end: datetime, zone_name: str
) -> None:
    """`events_csv` in a worker process (oncall.cpu.CpuWorkers), over an engine of its own: the
    CSV sent through `out` as UTF-8 bytes, the header first, then PROCESS_BATCH rows at a time
    (a send waits while the reader is behind); `out` is closed at the end, which the reader sees
    as the end of the file. The server's loop neither fetches a row nor makes any text."""

    async def inline(fn: Any, /, *args: Any) -> Any:
        return fn(*args)

    async def export() -> None:
        database = connect_for_reading(database_url)
        try:
            async with database.sessions() as session:
                chunks = events_csv(
                    session, start=start, end=end, zone=ZoneInfo(zone_name), offload=inline,
                    batch=PROCESS_BATCH,
                )  # fmt: skip
                async for text in chunks:
                    out.send_bytes(text.encode("utf-8"))
        finally:
            await database.dispose()

    try:
        asyncio.run(export())
    finally:
        out.close()


_EVENT_FIELDS = (
    Event.seq, Event.occurred_at, Event.kind, Event.actor_type, Event.actor, Event.details,
    Event.details_digest, Event.prev_hash, Event.hash,
)  # fmt: skip


def _event_csv(batch: Sequence[Any], zone: ZoneInfo) -> str:
    return csv_text(
        [
            (
                seq, _utc(at), at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
                reference or "", kind, actor_type, actor,
                json.dumps(details, sort_keys=True, ensure_ascii=False), digest, prev, stored,
            )
            for seq, at, kind, actor_type, actor, details, digest, prev, stored, reference in batch
        ]
    )  # fmt: skip
