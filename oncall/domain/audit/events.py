"""Browsing the log itself: events newest first (pages) or in chain order (the API), by kind,
contact, actor or time, with keyset pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import Contact, Event
from oncall.domain.audit.describe import describe_event
from oncall.domain.chain import is_redacted

_Query = TypeVar("_Query", bound=Select[*tuple[Any, ...]])


@dataclass(frozen=True, slots=True)
class LogLine:
    seq: int
    at: datetime
    kind: str
    actor_type: str
    actor: str
    contact_id: int | None
    reference: str
    text: str
    redacted: bool


@dataclass(frozen=True, slots=True)
class LogPage:
    lines: list[LogLine]
    older_than: int | None  # pass as `before` for the next (older) page


async def browse_events(
    session: AsyncSession,
    *,
    before: int | None = None,
    kind: str = "",
    actor: str = "",
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 100,
) -> LogPage:
    """Events newest first; `kind` may end in * for a prefix (audit.*), `actor` is exact."""
    query = (
        select(Event, Contact.reference)
        .outerjoin(Contact, Contact.id == Event.contact_id)
        .order_by(Event.seq.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(Event.seq < before)
    if actor:
        query = query.where(Event.actor == actor)
    rows = (await session.execute(_within(query, kind=kind, start=start, end=end))).all()
    lines = [
        LogLine(
            seq=e.seq,
            at=e.occurred_at,
            kind=e.kind,
            actor_type=e.actor_type,
            actor=e.actor or e.actor_type,
            contact_id=e.contact_id,
            reference=reference or "",
            text=describe_event(e.kind, e.details),
            redacted=is_redacted(e.details),
        )
        for e, reference in rows
    ]
    return LogPage(lines, lines[-1].seq if len(lines) == limit else None)


async def events_in_order(
    session: AsyncSession,
    *,
    after: int = 0,
    limit: int = 200,
    contact_id: int | None = None,
    kind: str = "",
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[Event]:
    """Up to `limit` events after sequence number `after`, in chain order (the API's keyset
    pages); `kind` as in `browse_events`."""
    query = select(Event).where(Event.seq > after).order_by(Event.seq).limit(limit)
    if contact_id is not None:
        query = query.where(Event.contact_id == contact_id)
    return list(await session.scalars(_within(query, kind=kind, start=start, end=end)))


def _within(query: _Query, *, kind: str, start: datetime | None, end: datetime | None) -> _Query:
    """`query` narrowed to a kind (exact, or a prefix ending in *) and [start, end)."""
    if kind:
        query = query.where(
            Event.kind.startswith(kind[:-1]) if kind.endswith("*") else Event.kind == kind
        )
    if start is not None:
        query = query.where(Event.occurred_at >= start)
    if end is not None:
        query = query.where(Event.occurred_at < end)
    return query
