"""One contact in full: its record, the phones rung, its alerts, and every event, each checked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import (
    Alert,
    CallLeg,
    Contact,
    Event,
    FosterHousehold,
    KnownCaller,
    Line,
    Person,
)
from oncall.domain.audit.describe import describe_event
from oncall.domain.chain import GENESIS_HASH, EventKind, details_digest, event_hash, is_redacted

READ_KINDS = (
    EventKind.AUDIT_READ,
)  # who looked at the contact: shown apart from the response itself


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    seq: int
    at: datetime
    kind: str
    actor_type: str
    actor: str
    text: str
    details: dict[str, Any]
    redacted: bool
    problem: str | None  # None when the event's own hash and its link to the previous one hold


@dataclass(frozen=True, slots=True)
class ContactTimeline:
    contact: Contact
    line: str
    caller: str
    worker: str
    legs: list[tuple[CallLeg, str]]  # leg and the person's code ("" for the fallback number)
    alerts: list[Alert]
    events: list[TimelineEvent]
    reads: list[TimelineEvent]

    @property
    def chain_ok(self) -> bool:
        return all(e.problem is None for e in (*self.events, *self.reads))

    @property
    def first_problem(self) -> TimelineEvent | None:
        return next((e for e in (*self.events, *self.reads) if e.problem), None)


def check_event(event: Event, previous_hash: str | None) -> str | None:
    """What is wrong with this one event and its link, if anything (the local part of verify)."""
    if previous_hash is None:
        return "the event before it is missing (deleted)"
    if event.prev_hash != previous_hash:
        return "does not link to the event before it"
    if not is_redacted(event.details) and details_digest(event.details) != event.details_digest:
        return "details were altered"
    recomputed = event_hash(
        seq=event.seq, occurred_at=event.occurred_at, contact_id=event.contact_id,
        kind=event.kind, actor_type=event.actor_type, actor=event.actor,
        digest=event.details_digest, prev_hash=event.prev_hash,
    )  # fmt: skip
    return None if recomputed == event.hash else "time, contact, kind or actor were altered"


async def _previous_hashes(session: AsyncSession, seqs: list[int]) -> dict[int, str]:
    """The stored hash of each event just before those in `seqs` (genesis for the first)."""
    wanted = [s - 1 for s in seqs if s > 1]
    found: dict[int, str] = {0: GENESIS_HASH}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = await session.execute(select(Event.seq, Event.hash).where(Event.seq.in_(chunk)))
        found.update({seq: digest for seq, digest in rows.all()})
    return found


async def contact_timeline(session: AsyncSession, contact_id: int) -> ContactTimeline | None:
    """Everything recorded about one contact, or None if there is no such contact."""
    contact = await session.get(Contact, contact_id)
    if contact is None:
        return None
    line = await session.get(Line, contact.line_id) if contact.line_id else None
    caller = ""
    if contact.known_caller_id:
        known = await session.get(KnownCaller, contact.known_caller_id)
        caller = known.name if known else ""
    elif contact.household_id:
        household = await session.get(FosterHousehold, contact.household_id)
        caller = f"foster carer household {household.reference}" if household else ""
    worker = await session.get(Person, contact.handled_by_id) if contact.handled_by_id else None
    legs = [
        (leg, code or "")
        for leg, code in (
            await session.execute(
                select(CallLeg, Person.code)
                .outerjoin(Person, Person.id == CallLeg.person_id)
                .where(CallLeg.contact_id == contact.id)
                .order_by(CallLeg.attempt)
            )
        ).all()
    ]
    alerts = list(
        await session.scalars(
            select(Alert).where(Alert.contact_id == contact.id).order_by(Alert.created_at)
        )
    )
    events = list(
        await session.scalars(
            select(Event).where(Event.contact_id == contact.id).order_by(Event.seq)
        )
    )
    previous = await _previous_hashes(session, [e.seq for e in events])
    checked = [
        TimelineEvent(
            seq=e.seq,
            at=e.occurred_at,
            kind=e.kind,
            actor_type=e.actor_type,
            actor=e.actor or e.actor_type,
            text=describe_event(e.kind, e.details),
            details=dict(e.details),
            redacted=is_redacted(e.details),
            problem=check_event(e, previous.get(e.seq - 1)),
        )
        for e in events
    ]
    return ContactTimeline(
        contact=contact,
        line=line.name if line else "unknown number",
        caller=caller or contact.caller_type.replace("_", " "),
        worker=f"{worker.name} ({worker.code})" if worker else "",
        legs=legs,
        alerts=alerts,
        events=[e for e in checked if e.kind not in READ_KINDS],
        reads=[e for e in checked if e.kind in READ_KINDS],
    )


async def timeline_for_call(session: AsyncSession, sid: str) -> ContactTimeline | None:
    """The timeline of the contact opened for a Twilio call or message sid (the demo's link)."""
    contact_id = await session.scalar(select(Contact.id).where(Contact.provider_sid == sid))
    return None if contact_id is None else await contact_timeline(session, contact_id)
