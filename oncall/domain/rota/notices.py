"""Telling staff a rota was published: one SMS each, written to the outbox (never sent here).

The escalation engine's outbox sender delivers the rows; the dedupe key makes publishing the
same version twice harmless.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import Channel, RotaVersion
from oncall.domain.outbox import queue as outbox
from oncall.domain.rota.versions import load_version


async def notify_published(
    session: AsyncSession, version: RotaVersion, *, zone: ZoneInfo, now: datetime
) -> int:
    """Queue a short SMS to everyone on the published version; returns how many were queued."""
    loaded = await load_version(session, version.id)
    sender = await outbox.sending_number(session, None)
    firsts: dict[int, datetime] = {}
    counts: dict[int, int] = defaultdict(int)
    for shift in loaded.version.shifts:
        for person in loaded.crew(shift):
            counts[person.id] += 1
            firsts.setdefault(person.id, shift.start)
    queued = 0
    for person_id, count in counts.items():
        person = loaded.people[person_id]
        if not person.phone:
            continue
        first = firsts[person_id].astimezone(zone)
        body = (
            f"On-call rota {loaded.month.title()} published (version {version.number}): "
            f"you have {count} shift{'s' if count != 1 else ''}, "
            f"the first {first:%a %-d %b %H:%M}. "
            "See My shifts in the on-call app."
        )
        added = await outbox.enqueue(
            session, dedupe_key=f"rota:{version.id}:{person_id}", channel=Channel.SMS,
            to=person.phone, from_=sender, body=body, now=now, person_id=person_id,
        )  # fmt: skip
        queued += int(added)
    await session.flush()
    return queued
