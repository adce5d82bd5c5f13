"""Open calls: ask the provider how a call ended when our record of it was left open.

When the database goes away in the middle of a call, the fail-safe TwiML still rings every
last-known on-duty phone, but none of the later steps (dial result, status callback) can be
recorded, and Twilio does not retry status callbacks. The contact would stay open for ever: no
end, nobody named as connected, no alert if nobody was. This pass finds voice contacts with no
end some time after their last event, asks Twilio about the caller's call and its Dial legs,
and records what happened: who was connected (by person code, never the number) or a missed
call alert, then the end and the length, as the status callback would have.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased
from sqlalchemy.sql.expression import Exists

from integrations.telephony import CallProgress, CallState, Telephony, TelephonyError
from oncall.clock import Clock
from oncall.db.models import (
    AlertKind,
    CallLeg,
    Channel,
    Contact,
    ContactStatus,
    Event,
    LegResult,
    Person,
)
from oncall.domain.chain import EventKind, append_event
from oncall.domain.escalation import raise_alert
from oncall.domain.outcomes import OutcomeLinks, text_after_call
from oncall.log import get_logger
from oncall.phones import mask_phone

log = get_logger(__name__)

CHECK_WINDOW = timedelta(days=1)  # older open calls are left as they are
# A call given the fail-safe ring cannot be finished by its callbacks (`record_call_end` leaves
# it to this check): it is asked about this long after its last event (the ring's 25 s and the
# fallback's 30 s are over by then), not after the whole wait, so that a missed call's alert is
# not five minutes late. One still going then is asked again after the whole wait.
FAILSAFE_AFTER = timedelta(seconds=90)
CONCURRENCY = 4  # calls asked about at once
_LEG_RESULTS = {
    CallProgress.BUSY: LegResult.BUSY,
    CallProgress.FAILED: LegResult.FAILED,
    CallProgress.CANCELED: LegResult.CANCELLED,
}


@dataclass(frozen=True, slots=True)
class ProviderCall:
    """The provider's record of a caller's call (ended) and the legs its Dials rang."""

    call: CallState
    legs: list[CallState]

    def connected(self) -> CallState | None:
        """The leg that talked longest, if any did: an answered leg the provider reports
        completed, and not answered by a voicemail (machine detection, on the fail-safe ring)."""
        talked = [
            leg
            for leg in self.legs
            if leg.status is CallProgress.COMPLETED and leg.duration_s and leg.machine is not True
        ]
        return max(talked, key=lambda leg: leg.duration_s or 0, default=None)


async def open_calls(
    session: AsyncSession, *, now: datetime, after: timedelta, skip: Collection[int], limit: int
) -> list[tuple[int, str]]:
    """(contact id, CallSid) of voice contacts with no end whose last event is `after` old
    (`FAILSAFE_AFTER` when the fail-safe ring was given)."""
    last = func.max(Event.occurred_at)
    failsafe = failsafe_given_to_contact()
    query = (
        select(Contact.id, Contact.provider_sid)
        .join(Event, Event.contact_id == Contact.id)
        .where(
            Contact.channel == Channel.VOICE,
            Contact.ended_at.is_(None),
            Contact.provider_sid.is_not(None),
            Contact.provider_sid.not_like("unknown-%"),  # opened without a CallSid: nothing to ask
            Contact.received_at > now - CHECK_WINDOW,
        )
        .group_by(Contact.id, Contact.provider_sid)
        .having(or_(last <= now - after, and_(failsafe, last <= now - failsafe_wait(after))))
        .order_by(last, Contact.id)
        .limit(limit)
    )
    if skip:
        query = query.where(Contact.id.not_in(list(skip)))
    return [(row_id, sid) for row_id, sid in (await session.execute(query)).all() if sid]


def failsafe_given_to_contact() -> Exists:
    """Whether the contact of the enclosing query (correlated on Contact) was given the
    fail-safe ring: such a call is asked about sooner (`failsafe_wait`)."""
    given = aliased(Event)
    return (
        select(given.seq)
        .where(given.contact_id == Contact.id, given.kind == EventKind.CALL_FAILSAFE)
        .correlate(Contact)
        .exists()
    )


def failsafe_wait(after: timedelta) -> timedelta:
    """How long after its last event a call given the fail-safe ring is asked about."""
    return min(after, FAILSAFE_AFTER)


async def _person_for(session: AsyncSession, number: str) -> Person | None:
    return await session.scalar(select(Person).where(Person.phone == number))


async def record_call(
    session: AsyncSession,
    *,
    contact_id: int,
    provider: ProviderCall,
    now: datetime,
    links: OutcomeLinks | None = None,
    zone: ZoneInfo | None = None,
) -> bool:
    """Record how an open call ended, once: False if another pass or a late callback did."""
    contact = await session.scalar(
        select(Contact)
        .where(Contact.id == contact_id)
        .with_for_update(skip_locked=True, key_share=True)
    )
    if contact is None or contact.ended_at is not None:  # being recorded elsewhere, or recorded
        return False
    ended = await session.scalar(
        select(func.count())
        .select_from(Event)
        .where(Event.contact_id == contact.id, Event.kind == EventKind.CALL_DURATION)
    )
    if ended:
        return False
    call, status = provider.call, _word(provider.call)
    await _event(
        session, contact, EventKind.CALL_RECONCILED, now, status=status, legs=len(provider.legs)
    )
    if contact.status == ContactStatus.OPEN:
        await _settle(session, contact, provider, now)
    # The provider's own end time when it gives one (the pass may run minutes later), kept between
    # the call's arrival and now.
    ended_at = call.ended_at or now
    contact.ended_at = min(now, max(ended_at, contact.received_at))
    await _event(session, contact, EventKind.CALL_ENDED, now)
    if zone is not None and contact.status == ContactStatus.ANSWERED:
        await text_after_call(session, contact, links=links, at=now, zone=zone)
    await _event(
        session, contact, EventKind.CALL_DURATION, now,
        seconds=call.duration_s, status=status, source="twilio",
    )  # fmt: skip
    return True


def _word(call: CallState) -> str:
    """The call's status as the log records it."""
    return call.status.value if call.status is not None else "unknown"


async def _settle(
    session: AsyncSession, contact: Contact, provider: ProviderCall, at: datetime
) -> None:
    """Nobody accepted in our record: either a leg the provider connected, or a missed call."""
    connected = provider.connected()
    person = await _person_for(session, connected.to) if connected else None
    legs = await session.scalars(
        select(CallLeg).where(CallLeg.contact_id == contact.id).order_by(CallLeg.attempt)
    )
    for leg in legs:
        if leg.result != LegResult.RINGING:
            continue
        leg.ended_at = at
        if connected is not None and leg.number == connected.to:
            leg.result, leg.talk_seconds = LegResult.ACCEPTED, connected.duration_s
        else:
            leg.result = _leg_result(provider.legs, leg.number)
    if connected is None:
        contact.status = ContactStatus.MISSED
        await _event(session, contact, EventKind.CALL_UNANSWERED, at, rung=bool(provider.legs))
        await raise_alert(session, contact, kind=AlertKind.MISSED_CALL, at=at)
        return
    contact.status = ContactStatus.ANSWERED
    contact.handled_by_id = person.id if person is not None else None
    if connected.ended_at is not None and connected.duration_s:
        # A leg's duration runs from its answer (its start_time is when it began to ring).
        answered = connected.ended_at - timedelta(seconds=connected.duration_s)
        contact.answered_at = max(answered, contact.received_at)
    who = person.code if person is not None else mask_phone(connected.to)
    await _event(
        session, contact, EventKind.CALL_CONNECTED_PER_PROVIDER, at,
        person=who, seconds=connected.duration_s,
    )  # fmt: skip
    log.warning("open call reconciled: connected", contact=contact.id, to=mask_phone(connected.to))


def _leg_result(legs: list[CallState], number: str) -> LegResult:
    """What the provider's newest leg to `number` says (no answer when it rang none)."""
    for leg in legs:  # newest first
        if leg.to == number and leg.status is not None:
            return _LEG_RESULTS.get(leg.status, LegResult.NO_ANSWER)
        if leg.to == number:
            return LegResult.NO_ANSWER
    return LegResult.NO_ANSWER


async def _event(
    session: AsyncSession, contact: Contact, kind: EventKind, at: datetime, **details: object
) -> None:
    await append_event(session, kind=kind, at=at, contact_id=contact.id, details=details)


@dataclass
class CallReconciler:
    """One replica's pass over open calls (the periodic runner's call check), with its own wait
    after each ask.

    A call Twilio could not answer about, or says is still going (a long conversation), is
    asked about again only `after` later (`_asked`, this process's memory): no storm of lookups
    while Twilio is down. Replicas need no coordination: each records under a row lock
    (FOR UPDATE SKIP LOCKED on PostgreSQL, the single writer on SQLite), and only once.
    """

    sessions: async_sessionmaker[AsyncSession]
    telephony: Telephony
    clock: Clock
    after: timedelta
    links: OutcomeLinks | None = None
    zone: ZoneInfo | None = None
    limit: int = 20
    _asked: dict[int, datetime] = field(default_factory=dict)

    async def run_once(self, now: datetime | None = None) -> list[int]:
        """Ask about open calls and record those that ended; return the contacts recorded."""
        now = now or self.clock.now()
        self._asked = {cid: at for cid, at in self._asked.items() if at > now - self.after}
        async with self.sessions() as session:
            found = await open_calls(
                session, now=now, after=self.after, skip=self._asked.keys(), limit=self.limit
            )
        if not found:
            return []
        gate = asyncio.Semaphore(CONCURRENCY)

        async def ask(contact_id: int, sid: str) -> tuple[int, ProviderCall | None]:
            async with gate:
                try:
                    call = await self.telephony.fetch_call(sid)
                    if call.status is None or not call.status.ended:
                        return contact_id, None  # still going: ask again later
                    legs = await self.telephony.fetch_child_calls(sid)
                    return contact_id, ProviderCall(call, legs)
                except TelephonyError as exc:
                    log.warning("call lookup failed", contact=contact_id, error=str(exc)[:200])
                    return contact_id, None

        answers = await asyncio.gather(*(ask(contact_id, sid) for contact_id, sid in found))
        recorded: list[int] = []
        for contact_id, provider in sorted(answers, key=lambda answer: answer[0]):
            if provider is None:
                self._asked[contact_id] = now
                continue
            async with self.sessions() as session:  # one contact per transaction
                done = await record_call(
                    session, contact_id=contact_id, provider=provider, now=now,
                    links=self.links, zone=self.zone,
                )  # fmt: skip
                await session.commit()
            if done:
                recorded.append(contact_id)
        if recorded:
            log.warning("open calls closed from Twilio's records", count=len(recorded))
        return recorded
