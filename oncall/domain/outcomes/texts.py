"""Texts that carry the outcome link to the worker: after an accepted call, and at shift end."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import Alert, Channel, Contact, Line, Person
from oncall.domain.chain import EventKind, append_event
from oncall.domain.outbox import queue as outbox
from oncall.domain.outcomes.links import OutcomeLinks
from oncall.domain.texts import staff as text

LINK_TEXTED = EventKind.OUTCOME_LINK_TEXTED
Purpose = Literal["call_ended", "reminder"]


async def worker_of(session: AsyncSession, contact: Contact) -> Person | None:
    """Who should record the outcome: who took the call, else who last acknowledged an alert."""
    person_id = contact.handled_by_id or await session.scalar(
        select(Alert.acknowledged_by_id)
        .where(Alert.contact_id == contact.id, Alert.acknowledged_by_id.is_not(None))
        .order_by(Alert.acknowledged_at.desc(), Alert.id.desc())
        .limit(1)
    )
    return await session.get(Person, person_id) if person_id else None


async def text_outcome_link(
    session: AsyncSession,
    contact: Contact,
    person: Person,
    *,
    purpose: Purpose,
    links: OutcomeLinks | None,
    at: datetime,
    zone: ZoneInfo,
) -> bool:
    """Queue (outbox, this transaction) one text asking `person` to record `contact`'s outcome.

    At most one per contact, person and purpose (the outbox's dedupe key). The link is bound to
    the contact and the person and expires after `links.lifetime`; without `links` a reminder
    asks for DONE by text and an after-call text is not sent. Returns True when queued.
    """
    if not person.phone or (links is None and purpose == "call_ended"):
        return False
    link = links.url(contact.id, person.id, now=at) if links else ""
    line = await session.get(Line, contact.line_id) if contact.line_id else None
    if purpose == "call_ended":
        body = text.call_ended_outcome_text(contact.short_ref, at, zone, link)
    else:
        body = text.no_outcome_reminder(
            contact.short_ref, line.name if line else "", contact.received_at, zone, link
        )
    added = await outbox.enqueue(
        session, dedupe_key=f"outcome:{contact.id}:p{person.id}:{purpose}", channel=Channel.SMS,
        to=person.phone, from_=await outbox.sending_number(session, line), body=body, now=at,
        contact_id=contact.id, person_id=person.id,
    )  # fmt: skip
    if added:  # the link itself is a bearer secret: never in the log
        await append_event(
            session, kind=LINK_TEXTED, at=at, contact_id=contact.id,
            details={"person": person.code, "purpose": purpose, "link": bool(link)},
        )  # fmt: skip
    return added


async def text_after_call(
    session: AsyncSession,
    contact: Contact,
    *,
    links: OutcomeLinks | None,
    at: datetime,
    zone: ZoneInfo,
) -> bool:
    """The call a worker accepted has ended: text them the outcome link (unless recorded)."""
    if links is None or contact.outcome is not None or contact.handled_by_id is None:
        return False
    person = await session.get(Person, contact.handled_by_id)
    if person is None:
        return False
    return await text_outcome_link(
        session, contact, person, purpose="call_ended", links=links, at=at, zone=zone
    )
