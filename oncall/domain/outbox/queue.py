"""The outbox: messages and alert calls written with the step that decides them, sent later.

A row moves pending → sending (claimed under a lease, committed before the provider is called)
→ queued/sent/delivered (or undelivered/failed) from the provider's answer and status callbacks;
pending → cancelled when its alert was owned first. Queries here never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import ColumnElement, Table, case, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import Channel, Line, OutboundMessage, OutboxStatus

S = OutboxStatus
# A status only ever moves forward: callbacks arrive out of order, and retried.
_RANK = {
    S.PENDING: 0, S.SENDING: 1, S.QUEUED: 2, S.RINGING: 3, S.SENT: 3, S.IN_PROGRESS: 4,
    S.DELIVERED: 5, S.UNDELIVERED: 5, S.FAILED: 5, S.COMPLETED: 5, S.NO_ANSWER: 5, S.BUSY: 5,
    S.CANCELLED: 6,
}  # fmt: skip
FINAL_FAILURES = frozenset({S.UNDELIVERED, S.FAILED})
UNKNOWN_OUTCOME = "send outcome unknown after the lease expired: not re-sent (at most once)"


def alert_key(alert_id: int, round_: int, step: int, person_id: int, channel: str) -> str:
    """The idempotency key of one escalation step's message to one person on one channel (the
    step itself is in the row's `alert_id`, `round` and `step_index`: the key is never read)."""
    return f"alert:{alert_id}:r{round_}:s{step}:p{person_id}:{channel}"


def row(
    *,
    dedupe_key: str,
    channel: Channel,
    to: str,
    from_: str,
    body: str,
    now: datetime,
    alert_id: int | None = None,
    contact_id: int | None = None,
    person_id: int | None = None,
    step: tuple[int, int] | None = None,
) -> dict[str, object]:
    """The values of one outbox row, for `enqueue_many`; `step` is the (round, step index) of
    the escalation step that sends it, if one does."""
    round_, step_index = step if step is not None else (None, None)
    return {
        "dedupe_key": dedupe_key[:120], "alert_id": alert_id, "contact_id": contact_id,
        "person_id": person_id, "round": round_, "step_index": step_index,
        "channel": channel.value, "to_number": to, "from_number": from_,
        "body": body, "status": S.PENDING, "attempts": 0, "next_attempt_at": now,
        "last_error": "", "created_at": now, "updated_at": now,
    }  # fmt: skip


_TABLE = cast(Table, OutboundMessage.__table__)


async def sending_number(session: AsyncSession, line: Line | None) -> str:
    """Texts go out from the line concerned (replies come back to it), else the first line."""
    if line is not None:
        return line.twilio_number
    number = await session.scalar(
        select(Line.twilio_number).where(Line.active).order_by(Line.id).limit(1)
    )
    return number or ""


async def enqueue_many(session: AsyncSession, rows: list[dict[str, object]]) -> int:
    """Insert rows, skipping any whose dedupe key exists; return how many were added.

    One statement on the table (executemany, which SQLAlchemy sends as multi-row INSERTs and
    compiles once), not one INSERT per row or an ORM round per row.
    """
    if not rows:
        return 0
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(_TABLE).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(_TABLE.c.id)
    )
    added = await session.execute(statement, rows)
    return len(added.all())


async def enqueue(
    session: AsyncSession,
    *,
    dedupe_key: str,
    channel: Channel,
    to: str,
    from_: str,
    body: str,
    now: datetime,
    alert_id: int | None = None,
    contact_id: int | None = None,
    person_id: int | None = None,
) -> bool:
    """Add a message unless one with this key exists (then do nothing); True when added."""
    values = row(
        dedupe_key=dedupe_key, channel=channel, to=to, from_=from_, body=body, now=now,
        alert_id=alert_id, contact_id=contact_id, person_id=person_id,
    )  # fmt: skip
    return bool(await enqueue_many(session, [values]))


@dataclass(frozen=True, slots=True)
class Claimed:
    """A row handed to one sender, with what it needs to send it."""

    id: int
    channel: str
    to: str
    from_: str
    body: str
    attempts: int


async def claim_due(
    session: AsyncSession,
    *,
    now: datetime,
    limit: int,
    lease: timedelta,
    per_minute: int,
) -> list[Claimed]:
    """Lease up to `limit` due pending rows to this sender (SKIP LOCKED: replicas never share).

    A number that already had `per_minute` texts in the last minute waits (carriers block
    numbers that flood); its rows are deferred, not dropped.
    """
    rows = list(
        await session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.status == S.PENDING, OutboundMessage.next_attempt_at <= now)
            .order_by(OutboundMessage.next_attempt_at, OutboundMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not rows:
        return []
    numbers = {r.to_number for r in rows if r.channel == Channel.SMS}
    recent: dict[str, int] = {}
    if numbers:
        counts = await session.execute(
            select(OutboundMessage.to_number, func.count())
            .where(
                OutboundMessage.channel == Channel.SMS,
                OutboundMessage.to_number.in_(numbers),
                OutboundMessage.sent_at > now - timedelta(minutes=1),
            )
            .group_by(OutboundMessage.to_number)
        )
        recent = {number: int(count) for number, count in counts.all()}
    claimed = []
    for row in rows:
        if row.channel == Channel.SMS:
            if recent.get(row.to_number, 0) >= per_minute:
                row.next_attempt_at = now + timedelta(seconds=20)
                continue
            recent[row.to_number] = recent.get(row.to_number, 0) + 1
        row.status, row.attempts = S.SENDING, row.attempts + 1
        row.next_attempt_at, row.sent_at, row.updated_at = now + lease, now, now
        claimed.append(Claimed(row.id, row.channel, row.to_number, row.from_number, row.body,
                               row.attempts))  # fmt: skip
    await session.flush()
    return claimed


async def expire_leases(session: AsyncSession, *, now: datetime) -> list[OutboundMessage]:
    """Rows left `sending` by a sender that died: marked failed, never re-sent (see docs)."""
    rows = list(
        await session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.status == S.SENDING, OutboundMessage.next_attempt_at < now)
            .with_for_update(skip_locked=True)
        )
    )
    for row in rows:
        row.status, row.last_error, row.updated_at = S.FAILED, UNKNOWN_OUTCOME, now
        row.next_attempt_at = None
    await session.flush()
    return rows


async def lock_rows(session: AsyncSession, ids: list[int]) -> list[OutboundMessage]:
    """The rows, locked in id order (the order every writer of several rows uses), as they are
    now in the database (a status callback may have changed them since they were loaded)."""
    return list(
        await session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.id.in_(ids))
            .order_by(OutboundMessage.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )


def mark_accepted(row: OutboundMessage, *, sid: str, status: OutboxStatus, now: datetime) -> None:
    """The provider accepted the row (locked by `lock_rows`): keep its SID; a status callback
    may have moved it on already."""
    if row.status == S.SENDING or row.last_error == UNKNOWN_OUTCOME:
        row.status = status
        row.last_error = ""
    row.provider_sid = row.provider_sid or sid
    row.next_attempt_at, row.updated_at = None, now


async def record_retry(
    session: AsyncSession, *, row_id: int, error: str, at: datetime, now: datetime
) -> None:
    """The provider was unavailable: back to pending, tried again at `at`."""
    await session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == row_id, OutboundMessage.status == S.SENDING)
        .values(status=S.PENDING, next_attempt_at=at, last_error=error[:500], updated_at=now)
    )


async def record_failure(
    session: AsyncSession, *, row_id: int, error: str, now: datetime
) -> OutboundMessage | None:
    """The provider refused the row for good (or retries ran out)."""
    row = await session.get(OutboundMessage, row_id, with_for_update=True)
    if row is None or row.status != S.SENDING:
        return None
    row.status, row.last_error, row.next_attempt_at, row.updated_at = (
        S.FAILED, error[:500], None, now,
    )  # fmt: skip
    return row


async def apply_status(
    session: AsyncSession,
    *,
    row_id: int,
    sid: str,
    status: OutboxStatus,
    error: str,
    now: datetime,
) -> tuple[OutboundMessage | None, bool]:
    """A provider status callback: move the row forward. Returns (row, newly failed)."""
    row = await session.get(OutboundMessage, row_id, with_for_update=True)
    if row is None or (row.provider_sid and sid and row.provider_sid != sid):
        return None, False
    unknown = row.last_error == UNKNOWN_OUTCOME  # it did go out after all: believe the provider
    if _RANK[status] <= _RANK[S(row.status)] and row.status != S.SENDING and not unknown:
        return row, False
    was_failed = row.status in FINAL_FAILURES and not unknown
    row.provider_sid = row.provider_sid or sid or None
    row.status, row.updated_at, row.next_attempt_at = status, now, None
    if error:
        row.last_error = error[:500]
    return row, status in FINAL_FAILURES and not was_failed


async def advance_status(
    session: AsyncSession, *, row_id: int, sid: str, status: OutboxStatus, error: str, now: datetime
) -> bool:
    """`apply_status` for a status that is not a failure, in one statement: the row moves
    forward under the same rules (a later status, or the lease's unknown outcome; never another
    message's SID) or stays as it is, with no read first. Most status callbacks are these (queued,
    sent, delivered, ringing, completed...): one UPDATE instead of a locked read and an update.
    True when the row moved. A failure goes through `apply_status`: its caller escalates."""
    if status in FINAL_FAILURES:
        raise ValueError(f"status {status}: a failure, recorded by apply_status")
    m = OutboundMessage
    rank = case({old.value: value for old, value in _RANK.items()}, value=m.status, else_=99)
    conditions: list[ColumnElement[bool]] = [
        m.id == row_id,
        or_(rank < _RANK[status], m.status == S.SENDING, m.last_error == UNKNOWN_OUTCOME),
    ]
    values: dict[str, object] = {"status": status, "updated_at": now, "next_attempt_at": None}
    if sid:
        conditions.append(
            or_(m.provider_sid.is_(None), m.provider_sid == "", m.provider_sid == sid)
        )
        values["provider_sid"] = func.coalesce(func.nullif(m.provider_sid, ""), sid)
    if error:
        values["last_error"] = error[:500]
    result = await session.execute(
        update(m).where(*conditions).values(values).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


LOGGED_OUTCOMES = (S.DELIVERED, S.COMPLETED, S.BUSY, S.NO_ANSWER)


async def unlogged_outcomes(session: AsyncSession, *, limit: int) -> list[OutboundMessage]:
    """Rows whose delivery (or call end) is not in the log yet, locked for this transaction.

    Locked in id order and before the chain head, like every other writer of these rows.
    """
    return list(
        await session.scalars(
            select(OutboundMessage)
            .where(
                OutboundMessage.status.in_(LOGGED_OUTCOMES),
                OutboundMessage.status_logged != OutboundMessage.status,
            )
            .order_by(OutboundMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )


async def cancel_pending(session: AsyncSession, *, alert_id: int, now: datetime) -> int:
    """Rows of an owned alert that were not yet handed to the provider are not sent."""
    result = await session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.alert_id == alert_id, OutboundMessage.status == S.PENDING)
        .values(status=S.CANCELLED, next_attempt_at=None, updated_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)
