"""CSV exports of contacts and events, streamed in batches, with formula injection defused
(oncall/domain/spreadsheet.py)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from oncall.db.models import Contact, Event, FosterHousehold, KnownCaller, Line, Person
from oncall.domain.audit.contacts import ContactFilter, filtered
from oncall.domain.spreadsheet import csv_text, safe_cell

BATCH = 2000
__all__ = ["contacts_csv", "csv_text", "events_csv", "safe_cell"]

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
        yield csv_text(rows)


async def events_csv(
    session: AsyncSession, *, start: datetime, end: datetime, zone: ZoneInfo
) -> AsyncIterator[str]:
    """The events that occurred in [start, end), in chain order, as CSV text in chunks.

    Each row carries its digest and hashes, so an export can be checked against the chain.
    """
    yield csv_text([EVENT_COLUMNS])
    query = (
        select(Event, Contact.reference)
        .outerjoin(Contact, Contact.id == Event.contact_id)
        .where(Event.occurred_at >= start, Event.occurred_at < end)
        .order_by(Event.seq)
    )
    result = await session.stream(query.execution_options(yield_per=BATCH))
    async for batch in result.partitions(BATCH):
        yield csv_text(
            [
                (
                    e.seq,
                    _utc(e.occurred_at),
                    e.occurred_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
                    reference or "",
                    e.kind,
                    e.actor_type,
                    e.actor,
                    json.dumps(e.details, sort_keys=True, ensure_ascii=False),
                    e.details_digest,
                    e.prev_hash,
                    e.hash,
                )
                for e, reference in batch
            ]
        )
