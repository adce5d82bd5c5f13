"""What a caller was given when a step could not be decided in time: the fail-safe, recorded.

A voice webhook that misses its time budget (the database hangs, refuses, is slow, the pool is
exhausted) answers the fail-safe ring at once and its step's transaction is rolled back. When the
database answers again the log must say what the caller was actually given, not the ring the
step would have given: `call.failsafe`, on the call's contact (opened here if the step that timed
out was the call's first). The contact stays open; the call check (`reconcile`) then asks the
provider who, if anyone, the fail-safe connected, and records it or raises the missed-call alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from oncall.db.models import Channel, Contact, Event, Person
from oncall.domain.calls.flow import line_for
from oncall.domain.calls.receipts import stored_reply
from oncall.domain.chain import EventKind, append_event, pending_events
from oncall.domain.contacts import identify_caller, open_contact
from oncall.phones import mask_phone


@dataclass(frozen=True, slots=True)
class FailsafeGiven:
    """One fail-safe answer given to a caller's call, kept until the database takes it."""

    call_sid: str
    step: str  # the webhook step that missed its budget: incoming, menu, dial-result…
    receipt: str  # that step's receipt key: if it exists, the step committed after all
    from_: str
    to: str
    numbers: tuple[str, ...]  # the phones the fail-safe rang at once
    fallback: bool  # whether the fallback number follows them
    at: datetime
    recovered: bool = False  # True: not seen by a webhook, found in the provider's records


async def _who(session: AsyncSession, numbers: tuple[str, ...]) -> list[str]:
    """Person codes for the numbers rung (an unknown number masked): never a raw number."""
    people = {
        p.phone: p.code
        for p in await session.scalars(select(Person).where(Person.phone.in_(numbers)))
    }
    return [people.get(n) or mask_phone(n) for n in numbers]


def _same(given: FailsafeGiven, details: dict[str, Any]) -> bool:
    """Whether a recorded fail-safe is `given`: the same step, or either found by the provider
    recovery (which names no step the service saw: any fail-safe of the call is that one)."""
    return details.get("step") == given.step or given.recovered or bool(details.get("recovered"))


async def record_failsafe(
    session: AsyncSession, given: FailsafeGiven, *, zone: ZoneInfo
) -> Contact | None:
    """Record `given` on its call's contact (opening it if the call was never recorded); None
    when the call has no CallSid to find it by (nothing can be said about it later either)."""
    if not given.call_sid:
        return None
    # The contact is locked (FOR NO KEY UPDATE, the one lock order: contact first) before asking
    # whether the fail-safe is recorded: a second writer of the same record (the status callback
    # and the runner's pass, another replica, the provider recovery) waits for this one's commit
    # and then sees its event, instead of both seeing none and both writing.
    contact = await session.scalar(
        select(Contact)
        .where(Contact.provider_sid == given.call_sid)
        .with_for_update(key_share=True)
    )
    if contact is None:
        caller = await identify_caller(session, given.from_)
        contact = await open_contact(
            session, channel=Channel.VOICE, line=await line_for(session, given.to),
            caller_number=given.from_, caller=caller, provider_sid=given.call_sid,
            at=given.at, zone_year=given.at.astimezone(zone).year,
        )  # fmt: skip
    else:
        recorded = list(
            await session.scalars(
                select(Event.details).where(
                    Event.contact_id == contact.id, Event.kind == EventKind.CALL_FAILSAFE
                )
            )
        )
        recorded += [
            e.details
            for e in pending_events(session)
            if e.contact_id == contact.id and e.kind == EventKind.CALL_FAILSAFE
        ]
        if any(_same(given, details or {}) for details in recorded):
            return contact  # written already (two passes at once, or another replica's)
    # The step's own answer was committed after all (its commit was in flight at the deadline):
    # what it recorded was never given to the caller; this event says so.
    superseded = await stored_reply(session, given.receipt) is not None if given.receipt else False
    await append_event(
        session,
        kind=EventKind.CALL_FAILSAFE,
        at=given.at,
        contact_id=contact.id,
        details={
            "step": given.step,
            "rang": await _who(session, given.numbers),
            "then_fallback": given.fallback,
            "recovered": given.recovered,
            "superseded_step_answer": superseded,
        },
    )
    return contact


async def write_failsafe(
    sessions: async_sessionmaker[AsyncSession], given: FailsafeGiven, *, zone: ZoneInfo
) -> None:
    """`record_failsafe` in a transaction of its own, committed.

    The step that missed its budget was cancelled, but its own commit may still be in flight,
    with the call's contact in it: then this record found no contact and opened one, and
    PostgreSQL's unique index on the call's id made that insert wait for the step's commit and
    then refuse it. Nothing is wrong: the record is made once more, in a new transaction, on the
    contact the step opened (the only such race: every later writer locks that contact first).
    """
    for last in (False, True):
        try:
            async with sessions() as session:
                await record_failsafe(session, given, zone=zone)
                await session.commit()
            return
        except IntegrityError:
            if last:
                raise
