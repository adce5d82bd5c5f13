"""Telling staff a rota was published: one SMS per person, written to the outbox (never sent here).

The escalation engine's sender delivers outbox rows; the dedupe key makes publishing the same
version twice harmless.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import Channel, Line, MessageStatus, OutboundMessage, RotaVersion
from oncall.domain.rota import load_version


async def notify_published(
    session: AsyncSession, version: RotaVersion, *, zone: ZoneInfo, now: datetime
) -> int:
    """Queue a short SMS to everyone on the published version; returns how many were queued."""
    loaded = await load_version(session, version.id)
    sender = await session.scalar(
        select(Line.twilio_number).where(Line.active).order_by(Line.id).limit(1)
    )
    firsts: dict[int, datetime] = {}
    counts: dict[int, int] = defaultdict(int)
    for shift in loaded.version.shifts:
        for person in loaded.crew(shift):
            counts[person.id] += 1
            firsts.setdefault(person.id, shift.start)
    queued = 0
    existing = set(
        await session.scalars(
            select(OutboundMessage.dedupe_key).where(
                OutboundMessage.dedupe_key.like(f"rota:{version.id}:%")
            )
        )
    )
    for person_id, count in counts.items():
        person = loaded.people[person_id]
        key = f"rota:{version.id}:{person_id}"
        if key in existing or not person.phone:
            continue
        first = firsts[person_id].astimezone(zone)
        body = (
            f"On-call rota {loaded.month.title()} published (version {version.number}): "
            f"you have {count} shift{'s' if count != 1 else ''}, "
            f"the first {first:%a %-d %b %H:%M}. "
            "See My shifts in the on-call app."
        )
        session.add(
            OutboundMessage(
                dedupe_key=key,
                person_id=person_id,
                channel=Channel.SMS.value,
                to_number=person.phone,
                from_number=sender or "",
                body=body,
                status=MessageStatus.PENDING.value,
                next_attempt_at=now,
                created_at=now,
                updated_at=now,
            )
        )
        queued += 1
    await session.flush()
    return queued
