"""A contact's timeline: the contact and its events in order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import Contact, Event


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    seq: int
    at: datetime
    kind: str
    actor: str
    details: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Timeline:
    contact: Contact
    entries: list[TimelineEntry]


async def timeline_for_call(session: AsyncSession, call_sid: str) -> Timeline | None:
    """The timeline of the contact opened for a Twilio call or message sid."""
    contact = await session.scalar(select(Contact).where(Contact.provider_sid == call_sid))
    if contact is None:
        return None
    events = (
        await session.scalars(
            select(Event).where(Event.contact_id == contact.id).order_by(Event.seq)
        )
    ).all()
    return Timeline(
        contact,
        [
            TimelineEntry(e.seq, e.occurred_at, e.kind, e.actor or e.actor_type, dict(e.details))
            for e in events
        ],
    )
