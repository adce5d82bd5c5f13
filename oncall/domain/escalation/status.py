"""What Twilio reports about outbox messages and alert calls, and what an alert call says."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import AlertStatus, MessageStatus, OutboundMessage, Person
from oncall.domain.duty import spoken_reference
from oncall.domain.escalation.alerts import acknowledge, escalate_now, lock_alert
from oncall.domain.escalation.facts import facts_of
from oncall.domain.outbox import message_failed
from oncall.domain.outbox import queue as outbox
from oncall.domain.texts.staff import alert_speech

# Call statuses Twilio sends and ours; "canceled" (by us or the API) counts as not reached.
_CALL_STATUSES = {
    "initiated": MessageStatus.QUEUED.value,
    "queued": MessageStatus.QUEUED.value,
    "ringing": MessageStatus.RINGING.value,
    "in-progress": MessageStatus.IN_PROGRESS.value,
    "completed": MessageStatus.COMPLETED.value,
    "busy": MessageStatus.BUSY.value,
    "no-answer": MessageStatus.NO_ANSWER.value,
    "failed": MessageStatus.FAILED.value,
    "canceled": MessageStatus.FAILED.value,
}


async def message_status(
    session: AsyncSession, *, row_id: int, sid: str, status: str, error_code: str, now: datetime
) -> None:
    """A message status callback. Undelivered or failed escalates now (and is logged now);
    delivered only updates the row — the sender's next pass logs it (`log_statuses`)."""
    status = outbox.sms_status(status)
    error = f"Twilio error {error_code}" if error_code else ""
    row, newly_failed = await outbox.apply_status(
        session, row_id=row_id, sid=sid, status=status, error=error, now=now
    )
    if row is None:
        return
    if newly_failed:
        await message_failed(
            session, row, at=now, reason=f"{status} {error}".strip(), on_failure=escalate_now
        )


async def call_status(
    session: AsyncSession, *, row_id: int, sid: str, status: str, now: datetime
) -> None:
    """An alert call's progress; a call that could not be placed escalates now (like a failed
    text); an unanswered one does not — the text to the same person still stands."""
    ours = _CALL_STATUSES.get(status)
    if ours is None:
        return
    row, newly_failed = await outbox.apply_status(
        session, row_id=row_id, sid=sid, status=ours, error="", now=now
    )
    if row is None:
        return
    if newly_failed:
        await message_failed(session, row, at=now, reason=f"call {status}", on_failure=escalate_now)


async def _row_and_alert_open(session: AsyncSession, row_id: int) -> OutboundMessage | None:
    row = await session.get(OutboundMessage, row_id)
    if row is None or row.alert_id is None:
        return None
    return row


async def alert_call_script(session: AsyncSession, *, row_id: int, zone: ZoneInfo) -> str | None:
    """What the alert call says, or None when the alert no longer needs anyone."""
    row = await _row_and_alert_open(session, row_id)
    if row is None or row.alert_id is None:
        return None
    alert = await lock_alert(session, row.alert_id)
    if alert is None or alert.status != AlertStatus.OPEN.value:
        return None
    return alert_speech(await facts_of(session, alert), zone)


async def alert_call_key(
    session: AsyncSession, *, row_id: int, digits: str, now: datetime, zone: ZoneInfo
) -> str:
    """The key pressed on an alert call: 1 acknowledges for the person called."""
    row = await _row_and_alert_open(session, row_id)
    if row is None or row.alert_id is None or row.person_id is None:
        return "This alert has already been dealt with. Thank you."
    if digits != "1":
        return "Not acknowledged. The alert will go to the next person. Goodbye."
    alert = await lock_alert(session, row.alert_id)
    person = await session.get(Person, row.person_id)
    if alert is None or person is None:
        return "This alert has already been dealt with. Thank you."
    facts = await facts_of(session, alert)
    if await acknowledge(session, alert, person=person, at=now, via="voice", zone=zone):
        return (
            f"Acknowledged. Reference {spoken_reference(facts.ref)} is yours. "
            "The details are in your text messages."
        )
    return "This alert was already acknowledged. Thank you."
