"""What the log says about an outbox message, and how a message that will not arrive is handled."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import OutboundMessage
from oncall.domain.chain import EventKind, append_event

# What a message that will not arrive sets off, given by whoever owns the message (escalation
# moves the alert on at once): (session, message, when, why). The outbox knows no alerts.
OnFailure = Callable[[AsyncSession, OutboundMessage, datetime, str], Awaitable[object]]


async def message_event(
    session: AsyncSession, row: OutboundMessage, kind: EventKind, at: datetime, **details: object
) -> None:
    await append_event(
        session, kind=kind, at=at, contact_id=row.contact_id,
        details={"message": row.id, "alert": row.alert_id, "channel": row.channel,
                 "person": row.person_id, **details},
    )  # fmt: skip


async def message_failed(
    session: AsyncSession,
    row: OutboundMessage,
    *,
    at: datetime,
    reason: str,
    on_failure: OnFailure,
) -> None:
    """Log a message that will not arrive, after handing it to `on_failure`.

    Locks in the one order used everywhere: outbox row, contact, alert, then the chain head
    (as the transaction commits); `on_failure` takes its locks before the event is appended."""
    await on_failure(session, row, at, f"{row.channel} {reason}"[:200])
    await message_event(session, row, EventKind(f"{row.channel}.failed"), at, reason=reason[:200])
    row.status_logged = row.status
