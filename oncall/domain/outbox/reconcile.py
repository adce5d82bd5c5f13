"""Lost status callbacks: ask the provider about texts whose status stopped moving.

Twilio does not retry a status callback that failed (our service down, a network fault, a
timeout), so a text can stay `queued` or `sent` in the outbox for ever, and a failure nobody
heard of would not move its alert on. The sender asks Twilio's REST API for each text whose
status has not moved for a while and records the answer exactly as a callback would.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from integrations.telephony import MessageState, Telephony, TelephonyError
from oncall.db.models import Channel, OutboundMessage, OutboxStatus
from oncall.domain.outbox import queue as outbox
from oncall.domain.outbox.events import OnFailure, message_failed
from oncall.domain.outbox.progress import status_of_text
from oncall.log import get_logger

log = get_logger(__name__)

AWAITING = (OutboxStatus.QUEUED.value, OutboxStatus.SENT.value)  # accepted, fate not known
CHECK_WINDOW = timedelta(days=1)  # older texts stuck at "sent" are left as they are
CONCURRENCY = 4  # requests to the provider at once


async def awaiting_status(
    session: AsyncSession, *, now: datetime, after: timedelta, limit: int
) -> list[tuple[int, str]]:
    """(id, provider SID) of texts whose status has not moved for `after`, oldest first.

    A check that learns nothing new bumps `updated_at` (`mark_checked`), so a text is asked
    about once per `after`, and only in its first day.
    """
    rows = await session.execute(
        select(OutboundMessage.id, OutboundMessage.provider_sid)
        .where(
            OutboundMessage.channel == Channel.SMS.value,
            OutboundMessage.status.in_(AWAITING),
            OutboundMessage.provider_sid.is_not(None),
            OutboundMessage.updated_at <= now - after,
            OutboundMessage.created_at > now - CHECK_WINDOW,
        )
        .order_by(OutboundMessage.updated_at, OutboundMessage.id)
        .limit(limit)
    )
    return [(row_id, sid) for row_id, sid in rows.all() if sid]


async def mark_checked(session: AsyncSession, ids: list[int], *, now: datetime) -> None:
    """The provider had nothing newer for these rows: ask again only after another wait."""
    if ids:
        await session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id.in_(ids), OutboundMessage.status.in_(AWAITING))
            .values(updated_at=now)
            .execution_options(synchronize_session=False)
        )


async def record_state(
    session: AsyncSession, *, row_id: int, state: MessageState, now: datetime, on_failure: OnFailure
) -> bool:
    """Record what the provider says about a row, as its status callback would have (a failed
    or undelivered text escalates its alert now). True when the row's status moved."""
    if state.status is None:  # a status with nothing to record
        return False
    status = status_of_text(state.status)
    error = f"Twilio error {state.error_code}" if state.error_code else ""
    row, newly_failed = await outbox.apply_status(
        session, row_id=row_id, sid=state.sid, status=status, error=error, now=now
    )
    if row is None:
        return False
    if newly_failed:
        await message_failed(
            session, row, at=now, reason=f"{status} {error}".strip(), on_failure=on_failure
        )
    return row.updated_at == now  # set only when the status moved (a stalled row's is older)


async def reconcile_statuses(
    sessions: async_sessionmaker[AsyncSession],
    telephony: Telephony,
    *,
    now: datetime,
    after: timedelta,
    on_failure: OnFailure,
    limit: int = 50,
) -> list[int]:
    """Ask the provider about up to `limit` stalled texts and record the answers; return the ids
    whose status moved. A text the provider could not answer about is asked about again after
    another `after`, like one still on its way (no storm of lookups while Twilio is down)."""
    async with sessions() as session:
        stalled = await awaiting_status(session, now=now, after=after, limit=limit)
    if not stalled:
        return []
    gate = asyncio.Semaphore(CONCURRENCY)

    async def ask(row_id: int, sid: str) -> tuple[int, MessageState | None]:
        async with gate:
            try:
                return row_id, await telephony.fetch_message(sid)
            except TelephonyError as exc:
                log.warning("message status lookup failed", message=row_id, error=str(exc)[:200])
                return row_id, None

    answers = await asyncio.gather(*(ask(row_id, sid) for row_id, sid in stalled))
    moved: list[int] = []
    unchanged: list[int] = []
    async with sessions() as session:
        # Every row locked first, in id order (the order every writer of several rows uses):
        # recording one row locks its contact and alert, and a status callback for a later row
        # of the same contact locks that row and then the contact.
        await outbox.lock_rows(session, sorted(row_id for row_id, _ in answers))
        for row_id, state in sorted(answers, key=lambda answer: answer[0]):
            if state is None:
                unchanged.append(row_id)
            elif await record_state(
                session, row_id=row_id, state=state, now=now, on_failure=on_failure
            ):
                moved.append(row_id)
            else:
                unchanged.append(row_id)
        await mark_checked(session, unchanged, now=now)
        await session.commit()
    if moved:
        log.warning("status callbacks lost; statuses fetched from the provider", count=len(moved))
    return moved
