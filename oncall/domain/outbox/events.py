"""What the log says about an outbox message, and what a message that will not arrive sets off."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import OutboundMessage
from oncall.domain.chain.ledger import append_event
from oncall.domain.escalation.alerts import escalate_now


async def message_event(
    session: AsyncSession, row: OutboundMessage, kind: str, at: datetime, **details: object
) -> None:
    await append_event(
        session, kind=kind, at=at, contact_id=row.contact_id,
        details={"message": row.id, "alert": row.alert_id, "channel": row.channel,
                 "person": row.person_id, **details},
    )  # fmt: skip


async def message_failed(
    session: AsyncSession, row: OutboundMessage, *, at: datetime, reason: str
) -> None:
    """Log a message that will not arrive, and move its alert on now rather than after the wait.

    Locks in the one order used everywhere: outbox row, contact, alert, then the chain head
    (as the transaction commits)."""
    await escalate_now(session, message=row, at=at, reason=f"{row.channel} {reason}"[:200])
    await message_event(session, row, f"{row.channel}.failed", at, reason=reason[:200])
    row.status_logged = row.status
