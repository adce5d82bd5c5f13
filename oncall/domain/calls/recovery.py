"""Calls and texts the service never saw, found afterwards in the provider's records.

While the service cannot be reached (down, restarting, every replica over its budget) Twilio
still answers: a call gets the number's Fallback URL (the fail-safe TwiML nginx serves, or a
TwiML Bin), a text goes unanswered. Neither leaves a contact or an event. This pass, at start-up
and every few minutes on one replica at a time, lists the provider's calls to each line number
and the texts each line received in the last hours, and opens a contact for each one we never
recorded, marked as recovered:

- a call: `call.received`, `caller.identified`, then `call.failsafe` with `recovered`; the call
  check (`reconcile`) then asks the provider who the fail-safe connected and records it, or
  raises the missed-call alert if nobody answered;
- a text: handled as the webhook would have (stored by its MessageSid, a staff command carried
  out, anyone else's text opening a contact and an alert), then `message.recovered`.

Only calls that have ended and texts older than a minute are taken (a webhook for a newer one may
still be in flight).

After a database outage the pass runs at once when the database answers again (`Outage`), and
again a minute later for the calls that ended just before it came back; once across replicas:
each pass notes when it started (`periodic_marks`), and a replica back from the outage skips its
pass if another replica's started after the last failure it saw.

Provider times are moved onto the service's clock by the clock's offset from real time (none in
production; the demo's and the tests' clocks run elsewhere).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from integrations.telephony import CallState, ReceivedMessage, Telephony, TelephonyError
from oncall.clock import Clock
from oncall.db.models import Contact, InboundMessage, Line, PeriodicMark
from oncall.domain.calls.failsafe import FailsafeGiven, record_failsafe
from oncall.domain.chain import EventKind, append_event
from oncall.log import get_logger

log = get_logger(__name__)

LOOKBACK = timedelta(hours=6)  # how far back each pass lists the provider's records
SETTLED = timedelta(minutes=1)  # younger than this, a webhook for it may still be in flight
LEASE_KEY = 13_0001  # pg_try_advisory_xact_lock: one replica's pass at a time
MARK = "provider recovery"  # its row in periodic_marks

T = TypeVar("T")

TextHandler = Callable[[AsyncSession, ReceivedMessage, datetime], Awaitable[object]]


@dataclass
class Recovered:
    """What one pass found and recorded (CallSids and MessageSids)."""

    calls: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    skipped: bool = False  # another replica held the lease
    covered: bool = False  # another pass started after `covered_since`: nothing done


async def _lease(session: AsyncSession) -> bool:
    """PostgreSQL: this transaction's advisory lock, or False if another replica holds it.
    (SQLite serves one process, whose write lock, BEGIN IMMEDIATE, already serialises.)"""
    taken = await session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": LEASE_KEY})
    return bool(taken)


async def _covered(session: AsyncSession, now: datetime, since: datetime | None) -> bool:
    """Whether a pass started at or after `since` (then nothing is done); else note this pass."""
    mark = await session.get(PeriodicMark, MARK, with_for_update=True)
    if since is not None and mark is not None and mark.last_started_at >= since:
        return True
    if mark is None:
        session.add(PeriodicMark(job=MARK, last_started_at=now))
    else:
        mark.last_started_at = max(mark.last_started_at, now)
    await session.flush()
    return False


@dataclass
class Outage:
    """What this replica saw of a database outage, and the recovery passes owed for it: one as
    soon as the database answers again, one `SETTLED` later (calls that ended just before)."""

    failed_at: datetime | None = None  # the last failure seen, not yet followed by a pass
    follow_up: datetime | None = None  # the second pass's due time (and what it must cover)

    def seen(self, now: datetime) -> None:
        """The database failed (a webhook over budget, a refresh or a write that failed)."""
        if self.failed_at is None or now > self.failed_at:
            self.failed_at = now
        self.follow_up = None

    def owed(self, now: datetime) -> datetime | None:
        """The instant a pass must have started after, if one is owed now (else None)."""
        if self.failed_at is not None:
            return self.failed_at
        if self.follow_up is not None and now >= self.follow_up:
            return self.follow_up
        return None

    def passed(self, covered_since: datetime) -> None:
        """A pass covering `covered_since` was made (here or by another replica)."""
        if self.failed_at is not None and covered_since >= self.failed_at:
            self.failed_at = None
            self.follow_up = covered_since + SETTLED
        elif self.follow_up is not None and covered_since >= self.follow_up:
            self.follow_up = None


async def takes_calls(session: AsyncSession) -> None:
    """Read the contacts table in a transaction: it waits while another holds a lock on it (or,
    on SQLite, the write lock), so it ends only when calls can be recorded again."""
    await session.execute(select(Contact.id).limit(1))
    await session.commit()


def _ended(call: CallState) -> bool:
    return call.parent_sid is None and call.status is not None and call.status.ended


class ProviderRecovery:
    """Finds and records the calls and texts that never reached the service."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        telephony: Telephony,
        clock: Clock,
        *,
        zone: ZoneInfo,
        handle_text: TextHandler,
        lookback: timedelta = LOOKBACK,
        unrecorded: set[str] | None = None,
    ) -> None:
        self.sessions, self.telephony, self.clock = sessions, telephony, clock
        self.zone, self.handle_text, self.lookback = zone, handle_text, lookback
        # MessageSids of texts this replica answered with the apology, not recorded: their
        # webhooks are over, so a pass takes them at once, not only once SETTLED old.
        self.unrecorded = unrecorded if unrecorded is not None else set()

    async def run_once(
        self, now: datetime | None = None, *, covered_since: datetime | None = None
    ) -> Recovered:
        """One pass; with `covered_since`, none if another pass started at or after it."""
        now = now or self.clock.now()
        real = datetime.now(UTC)
        offset = now - real
        found = Recovered()
        # The lease is held by a transaction of its own for the whole pass; each call or text is
        # recorded in a transaction of its own (one that fails leaves the others recorded).
        async with self.sessions() as lease:
            numbers = list(await lease.scalars(select(Line.twilio_number).where(Line.active)))
            if lease.get_bind().dialect.name == "postgresql":
                if not await _lease(lease):
                    found.skipped = True
                    return found
                # the mark is committed with the lease's transaction, at the pass's end: a
                # replica waiting for the lease then sees that this pass covered it
                if await _covered(lease, now, covered_since):
                    found.covered = True
                    return found
            else:  # SQLite: one process, one pooled connection, which the records need
                covered = await _covered(lease, now, covered_since)
                await lease.commit()
                await lease.close()
                if covered:
                    found.covered = True
                    return found
            for number in numbers:
                try:
                    calls = await self.telephony.calls_to(number, since=real - self.lookback)
                    texts = await self.telephony.messages_to(number, since=real - self.lookback)
                except TelephonyError as exc:
                    log.warning("provider records not listed; next pass", error=str(exc)[:200])
                    continue
                for call in calls:
                    started = call.started_at or real
                    if (
                        _ended(call)
                        and started <= real - SETTLED
                        and await self._one(self._call, call, min(now, started + offset))
                    ):
                        found.calls.append(call.sid)
                for message in texts:
                    received = message.received_at or real
                    answered = message.sid in self.unrecorded
                    if not answered and received > real - SETTLED:
                        continue  # its webhook may still be in flight
                    if await self._one(self._text, message, min(now, received + offset)):
                        found.texts.append(message.sid)
                    self.unrecorded.discard(message.sid)
            if lease.in_transaction():
                await lease.commit()  # PostgreSQL: the mark, and the lease let go
        if found.calls or found.texts:
            log.warning(
                "calls and texts recovered from the provider's records",
                calls=len(found.calls), texts=len(found.texts),
            )  # fmt: skip
        return found

    async def _one(
        self,
        record: Callable[[AsyncSession, T, datetime], Awaitable[bool]],
        item: T,
        at: datetime,
    ) -> bool:
        try:
            async with self.sessions() as session:
                done = await record(session, item, at)
                await session.commit()
                return done
        except Exception:  # one record that cannot be written must not stop the others
            log.exception("a provider record could not be recovered")
            return False

    async def _call(self, session: AsyncSession, call: CallState, at: datetime) -> bool:
        seen = await session.scalar(select(Contact.id).where(Contact.provider_sid == call.sid))
        if seen is not None:
            return False
        given = FailsafeGiven(
            call_sid=call.sid, step="never reached the service", receipt="", from_=call.from_,
            to=call.to, numbers=(), fallback=False, at=at, recovered=True,
        )  # fmt: skip
        await record_failsafe(session, given, zone=self.zone)
        return True

    async def _text(self, session: AsyncSession, message: ReceivedMessage, at: datetime) -> bool:
        seen = await session.scalar(
            select(InboundMessage.id).where(InboundMessage.provider_sid == message.sid)
        )
        if seen is not None:
            return False
        await self.handle_text(session, message, at)
        stored = await session.scalar(
            select(InboundMessage).where(InboundMessage.provider_sid == message.sid)
        )
        await append_event(
            session, kind=EventKind.MESSAGE_RECOVERED, at=at,
            contact_id=stored.contact_id if stored else None,
            details={"staff": bool(stored and stored.person_id)},
        )  # fmt: skip
        return True
