"""Alerts: something a person must own. Raised here; chased by the escalation engine."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import Alert, AlertKind, AlertStatus, Contact
from oncall.domain.chain.ledger import append_event
from oncall.log import get_logger

log = get_logger(__name__)

_SUMMARIES = {
    AlertKind.MISSED_CALL: "call missed",
    AlertKind.VOICEMAIL: "voicemail left",
    AlertKind.INBOUND_SMS: "text message",
    AlertKind.ADVICE_REQUEST: "senior advice requested",
    AlertKind.SHIFT_UNCONFIRMED: "shift not confirmed",
    AlertKind.NO_OUTCOME: "no outcome recorded",
}


async def raise_alert(session: AsyncSession, contact: Contact, *, kind: str, at: datetime) -> Alert:
    """Open an alert for `contact`, or fold this news into its open one (never two at once)."""
    alert_kind = AlertKind(kind)
    alert = await session.scalar(
        select(Alert).where(
            Alert.contact_id == contact.id,
            Alert.status.in_([AlertStatus.OPEN.value, AlertStatus.ACKNOWLEDGED.value]),
        )
    )
    summary = _SUMMARIES[alert_kind]
    if alert is not None:
        if alert.kind != alert_kind.value:
            alert.kind, alert.summary = alert_kind.value, summary
            await append_event(
                session, kind="alert.updated", at=at, contact_id=contact.id,
                details={"alert": alert.id, "alert_kind": alert_kind.value},
            )  # fmt: skip
        return alert
    alert = Alert(
        contact_id=contact.id,
        kind=alert_kind.value,
        status=AlertStatus.OPEN.value,
        next_action_at=at,
        created_at=at,
        summary=summary,
    )
    session.add(alert)
    await session.flush()
    await append_event(
        session, kind="alert.raised", at=at, contact_id=contact.id,
        details={"alert": alert.id, "alert_kind": alert_kind.value},
    )  # fmt: skip
    log.warning("alert raised", reference=contact.reference, alert_kind=alert_kind.value)
    return alert
