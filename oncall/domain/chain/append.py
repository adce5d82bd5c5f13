"""Appending: events wait on their transaction and are sealed into the chain at commit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from oncall.db.models import ActorType, ChainHead, Event
from oncall.domain.chain.hashing import GENESIS_HASH, details_digest, event_hash
from oncall.domain.chain.kinds import EventKind

HEAD_ID = 1


_PENDING = "oncall.pending_events"


def _head_values(session: Session) -> tuple[int, str]:
    """(seq, hash) of the chain head, locked until this transaction ends (created if missing).

    Read as plain columns, never through the identity map: a head object kept from an earlier
    transaction would hold a stale seq.
    """
    locked = select(ChainHead.seq, ChainHead.hash).where(ChainHead.id == HEAD_ID).with_for_update()
    head = session.execute(locked).first()
    if head is None:  # the very first event: create the head (safe if two replicas race)
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(
            insert(ChainHead)
            .values(id=HEAD_ID, seq=0, hash=GENESIS_HASH)
            .on_conflict_do_nothing(index_elements=["id"])
        )
        head = session.execute(locked).first()
    assert head is not None  # created just above if it was missing
    return int(head[0]), str(head[1])


async def lock_chain(session: AsyncSession) -> None:
    """Hold the chain head's lock from now until this transaction ends (created if missing):
    work that must run once across replicas (the morning handover) checks and appends under it.
    """
    await session.run_sync(_head_values)


async def logged_before(session: AsyncSession, *, kind: str, actor: str) -> bool:
    """Take the chain head's lock (`lock_chain`) and say whether an event of `kind` by `actor`
    is in the log: how work done once a day across replicas (the handover, the missing meeting
    pack) learns, under the lock, whether another got there first."""
    await lock_chain(session)
    seq = await session.scalar(
        select(Event.seq).where(Event.kind == kind, Event.actor == actor).limit(1)
    )
    return seq is not None


@dataclass(slots=True)
class PendingEvent:
    """An appended event; `seq`, `prev_hash` and `hash` are set as its transaction commits."""

    occurred_at: datetime
    contact_id: int | None
    kind: str
    actor_type: str
    actor: str
    details: dict[str, Any]
    details_digest: str
    seq: int | None = None
    prev_hash: str | None = None
    hash: str | None = None


def _pending(session: Session) -> list[PendingEvent]:
    """This transaction's events not yet chained (a rolled-back transaction's are dropped)."""
    transaction = session.get_transaction()
    held = session.info.get(_PENDING)
    if held is None or held[0] is not transaction:
        held = (transaction, [])
        session.info[_PENDING] = held
    events: list[PendingEvent] = held[1]
    return events


def pending_events(session: AsyncSession) -> list[PendingEvent]:
    """Events appended in this transaction, in order; they reach the table when it commits."""
    held = session.info.get(_PENDING)
    if held is None or held[0] is not session.sync_session.get_transaction():
        return []
    return list(held[1])


_EVENTS = cast(Table, Event.__table__)
_HEAD = cast(Table, ChainHead.__table__)


@event.listens_for(Session, "before_commit")
def _seal_pending(session: Session) -> None:
    """Chain this transaction's events just before it commits, under the head's lock.

    The lock is the last one the transaction takes (the events' foreign keys then take FOR KEY
    SHARE on their contacts, which conflicts with none of our locks: contacts are locked FOR NO
    KEY UPDATE) and is held only for one INSERT and one UPDATE, so writers on every replica
    overlap everywhere but here; the commit order is still the sequence order. Runs inside
    AsyncSession.commit's greenlet, so it may execute SQL.
    """
    held = session.info.pop(_PENDING, None)
    if held is None or held[0] is not session.get_transaction() or not held[1]:
        return
    events: list[PendingEvent] = held[1]
    session.flush()  # every row lock this transaction needs is taken before the head's
    seq, prev = _head_values(session)
    rows = []
    for pending in events:
        seq += 1
        pending.seq, pending.prev_hash = seq, prev
        pending.hash = prev = event_hash(
            seq=seq,
            occurred_at=pending.occurred_at,
            contact_id=pending.contact_id,
            kind=pending.kind,
            actor_type=pending.actor_type,
            actor=pending.actor,
            digest=pending.details_digest,
            prev_hash=pending.prev_hash,
        )
        rows.append({
            "seq": seq, "occurred_at": pending.occurred_at, "contact_id": pending.contact_id,
            "kind": pending.kind, "actor_type": pending.actor_type, "actor": pending.actor,
            "details": pending.details, "details_digest": pending.details_digest,
            "prev_hash": pending.prev_hash, "hash": pending.hash,
        })  # fmt: skip
    # Core statements on the tables: the events go in already sealed (a trigger refuses
    # UPDATE), and the head's new values never pass through a (possibly stale) head object.
    session.execute(_EVENTS.insert(), rows)
    session.execute(_HEAD.update().where(_HEAD.c.id == HEAD_ID).values(seq=seq, hash=prev))


async def append_event(
    session: AsyncSession,
    *,
    kind: EventKind,
    at: datetime,
    contact_id: int | None = None,
    actor_type: ActorType = ActorType.SYSTEM,
    actor: str = "",
    details: Mapping[str, Any] | None = None,
) -> PendingEvent:
    """Append one event to the log in the caller's transaction (the caller commits).

    The event is chained (seq, prev_hash, hash) and inserted when the transaction commits, so
    the chain head is locked for milliseconds, not for the whole transaction; until then it is
    in `pending_events(session)`, not in the table, and the returned event has no seq. A
    transaction that rolls back appends nothing. `details` must be JSON-serialisable and must
    never hold a child's details.
    """
    payload = dict(details or {})
    pending = PendingEvent(
        occurred_at=at.astimezone(UTC),
        contact_id=contact_id,
        kind=kind,
        actor_type=actor_type.value,
        actor=actor,
        details=payload,
        details_digest=details_digest(payload),
    )
    if session.in_nested_transaction():
        # Pending events belong to the whole transaction: a savepoint rolled back would still
        # commit them, so appending inside one is refused rather than logging what did not happen.
        raise RuntimeError("append_event inside a savepoint (begin_nested) is not supported")
    if not session.in_transaction():
        await session.connection()  # begin now: the pending list belongs to this transaction
    _pending(session.sync_session).append(pending)
    return pending
