"""The escalation engine: claim due alerts and run their next step, with its outbox rows, at once.

Each pass claims a batch (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so replicas never share an
alert; SQLite serialises writers) and, in that one transaction, decides the recipients, writes
one outbox row per person and channel (unique dedupe key), the event, and the next timer.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from oncall.clock import Clock
from oncall.db.models import (
    Alert,
    AlertKind,
    AlertStatus,
    Channel,
    Contact,
    KnownCaller,
    Line,
    Person,
)
from oncall.domain.chain import append_event
from oncall.domain.duty import DutySnapshot
from oncall.domain.escalation.facts import facts_from, shift_start_of
from oncall.domain.escalation.policies import Policy, policy_by_id, policy_for
from oncall.domain.escalation.targets import resolve_targets
from oncall.domain.outbox import queue as outbox
from oncall.domain.texts.staff import alert_sms
from oncall.log import get_logger

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class StepRun:
    """One step that ran: which alert, how late after it fell due, how many messages."""

    alert_id: int
    due: datetime
    late_s: float  # after `due`, judged by the pass's `now`
    messages: int
    committed_at: datetime | None = None  # when its transaction committed (by the clock)


@dataclass(slots=True)
class BatchCache:
    """What the alerts of one batch share, loaded once: duty at the instant, policies, and the
    batch's contacts, lines, callers and people (one transaction)."""

    duty: dict[datetime, DutySnapshot] = field(default_factory=dict)
    by_id: dict[int, Policy] = field(default_factory=dict)
    by_line_kind: dict[tuple[int | None, str], Policy] = field(default_factory=dict)
    contacts: dict[int, Contact] = field(default_factory=dict)
    lines: dict[int, Line] = field(default_factory=dict)
    callers: dict[int, KnownCaller] = field(default_factory=dict)
    people: dict[int, Person] = field(default_factory=dict)
    first_number: str | None = None
    outbox: list[dict[str, object]] = field(default_factory=list)
    alerts: list[dict[str, object]] = field(default_factory=list)


async def _policy(
    session: AsyncSession, alert: Alert, line: Line | None, now: datetime, cache: BatchCache
) -> Policy:
    if alert.policy_id is not None:
        policy = cache.by_id.get(alert.policy_id) or await policy_by_id(session, alert.policy_id)
        if policy is not None:
            cache.by_id[alert.policy_id] = policy
            return policy
    key = (line.id if line else None, alert.kind)
    policy = cache.by_line_kind.get(key)
    if policy is None:
        policy = await policy_for(session, line_id=key[0], kind=alert.kind, now=now)
        cache.by_line_kind[key] = policy
    return policy


async def _prefetch(session: AsyncSession, alerts: list[Alert], cache: BatchCache) -> None:
    """Load the batch's contacts, known callers, people and the lines in four queries."""
    contact_ids = {a.contact_id for a in alerts if a.contact_id is not None} - cache.contacts.keys()
    if contact_ids:
        found = await session.scalars(select(Contact).where(Contact.id.in_(contact_ids)))
        cache.contacts.update((c.id, c) for c in found)
    callers = {c.known_caller_id for c in cache.contacts.values() if c.known_caller_id is not None}
    if callers - cache.callers.keys():
        found_callers = await session.scalars(
            select(KnownCaller).where(KnownCaller.id.in_(callers))
        )
        cache.callers.update((k.id, k) for k in found_callers)
    people = {a.person_id for a in alerts if a.person_id is not None} - cache.people.keys()
    if people:
        found_people = await session.scalars(select(Person).where(Person.id.in_(people)))
        cache.people.update((p.id, p) for p in found_people)
    if not cache.lines:
        cache.lines = {line.id: line for line in await session.scalars(select(Line))}
        active = sorted(
            (line.id, line.twilio_number) for line in cache.lines.values() if line.active
        )
        cache.first_number = active[0][1] if active else ""


async def perform_step(
    session: AsyncSession,
    alert: Alert,
    *,
    now: datetime,
    zone: ZoneInfo,
    cache: BatchCache | None = None,
    defer_outbox: bool = False,
) -> StepRun:
    """Run the alert's current step (it must be claimed and open) and set its next timer."""
    due = alert.next_action_at or now
    if cache is None:
        cache = BatchCache()
        await _prefetch(session, [alert], cache)
    contact = cache.contacts.get(alert.contact_id) if alert.contact_id else None
    line = cache.lines.get(contact.line_id) if contact and contact.line_id else None
    policy = await _policy(session, alert, line, now, cache)
    step = policy.step_at(alert.round, alert.step_index)
    if step is None:
        alert.next_action_at, alert.policy_id = None, policy.id
        return StepRun(alert.id, due, 0.0, 0)
    duty_at, shift_start = now, None
    if alert.kind == AlertKind.SHIFT_UNCONFIRMED.value:
        # Before the shift the managers of that night are the ones who can find cover.
        shift_start = await shift_start_of(session, alert)
        duty_at = max(now, shift_start or now)
    recipients = await resolve_targets(
        session,
        step.targets,
        at=duty_at,
        routing_policy=line.routing_policy if line else "default",
        exclude=alert.person_id,
        cache=cache.duty,
    )
    known = None
    if contact is not None and contact.known_caller_id is not None:
        known = cache.callers.get(contact.known_caller_id)
    about = cache.people.get(alert.person_id) if alert.person_id else None
    facts = facts_from(alert, contact, line, known, about, shift_start)
    body = alert_sms(facts, zone, reminder=alert.round > 0)
    from_ = line.twilio_number if line is not None else cache.first_number or ""
    rows = [
        outbox.row(
            dedupe_key=outbox.alert_key(
                alert.id, alert.round, alert.step_index, person.person_id, channel
            ),
            channel=Channel(channel), to=person.phone, from_=from_, body=body, now=now,
            alert_id=alert.id, contact_id=alert.contact_id, person_id=person.person_id,
            step=(alert.round, alert.step_index),
        )
        for person in recipients
        for channel in step.channels
    ]  # fmt: skip
    late = max(0.0, (now - due).total_seconds())
    ran = {"round": alert.round, "step": alert.step_index, "final": alert.round >= policy.repeat}
    round_, index = policy.after(alert.round, alert.step_index)
    if policy.step_at(round_, index) is None:
        next_at = None  # every step has run: the alert stays open for managers
    elif not recipients:
        next_at = now  # nobody to reach at this step: straight on to the next
    else:
        next_at = now + timedelta(minutes=step.wait_minutes)
    changes = {"policy_id": policy.id, "round": round_, "step_index": index,
               "next_action_at": next_at}  # fmt: skip
    if defer_outbox:
        # run_due writes the batch's outbox rows in one INSERT and its alerts in one UPDATE
        # (executemany), in this same transaction.
        cache.outbox += rows
        cache.alerts.append({"id": alert.id, **changes})
        written = len(rows)
    else:
        written = await outbox.enqueue_many(session, rows)
        for name, value in changes.items():
            setattr(alert, name, value)
    await append_event(
        session, kind="alert.escalated", at=now, contact_id=alert.contact_id,
        details={
            "alert": alert.id, **ran,
            "targets": list(step.targets), "channels": list(step.channels),
            "people": [p.code for p in recipients], "late_ms": round(late * 1000),
        },
    )  # fmt: skip
    if not recipients:
        log.warning("escalation step reached nobody", alert=alert.id, targets=list(step.targets))
    return StepRun(alert.id, due, late, written)


async def claim_due(session: AsyncSession, *, now: datetime, limit: int) -> list[Alert]:
    """Open alerts whose timer has passed, locked for this transaction; others skip them."""
    return list(
        await session.scalars(
            select(Alert)
            .where(
                Alert.status == AlertStatus.OPEN.value,
                Alert.next_action_at.is_not(None),
                Alert.next_action_at <= now,
            )
            .order_by(Alert.next_action_at, Alert.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )


async def run_due(
    sessions: async_sessionmaker[AsyncSession],
    *,
    now: datetime,
    zone: ZoneInfo,
    batch: int = 50,
    max_batches: int = 100,
    clock: Clock | None = None,
) -> list[StepRun]:
    """Run every step due at `now`, a batch per transaction; return what ran (tests, bench).

    With `clock`, each run notes when its transaction committed (the bench's lateness).
    """
    runs: list[StepRun] = []
    shared = BatchCache()  # duty at `now`, policies, lines, callers, people: read once per pass
    for _ in range(max_batches):
        done = []
        async with sessions() as session:
            alerts = await claim_due(session, now=now, limit=batch)
            cache = replace(shared, contacts={}, outbox=[], alerts=[])
            await _prefetch(session, alerts, cache)
            shared.lines, shared.first_number = cache.lines, cache.first_number
            # Nothing a step reads depends on the batch's changes: they are written in bulk
            # below, and the events as the transaction commits.
            with session.no_autoflush:
                for alert in alerts:
                    # A step that reached nobody is due again at once: a later batch runs it.
                    done.append(
                        await perform_step(
                            session, alert, now=now, zone=zone, cache=cache, defer_outbox=True
                        )
                    )
            await outbox.enqueue_many(session, cache.outbox)
            if cache.alerts:
                await session.execute(update(Alert), cache.alerts)  # by primary key
            await session.commit()
        committed = clock.now() if clock is not None else now
        runs += [replace(run, committed_at=committed) for run in done]
        if not alerts:
            break
    return runs
