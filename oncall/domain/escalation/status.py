"""What the provider reports about outbox messages and alert calls, and what an alert call says."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from integrations import voice
from integrations.telephony import CallProgress, Delivery
from oncall.db.models import AlertStatus, OutboundMessage, Person
from oncall.domain.duty import spoken_reference
from oncall.domain.escalation.alerts import acknowledge, escalate_now, lock_alert
from oncall.domain.escalation.facts import facts_of
from oncall.domain.outbox import message_failed, status_of_call, status_of_text
from oncall.domain.outbox import queue as outbox
from oncall.domain.texts.staff import alert_speech

ALREADY_DEALT_WITH = "This alert has already been dealt with. Thank you."
NOT_ACKNOWLEDGED = "Not acknowledged. The alert will go to the next person. Goodbye."
ALREADY_ACKNOWLEDGED = "This alert was already acknowledged. Thank you."


async def record_text_delivery(
    session: AsyncSession,
    *,
    row_id: int,
    sid: str,
    delivery: Delivery,
    error_code: str,
    now: datetime,
) -> None:
    """A text's status callback. Undelivered or failed escalates now (and is logged now);
    delivered only updates the row — the sender's next pass logs it (`log_statuses`)."""
    status = status_of_text(delivery)
    error = f"Twilio error {error_code}" if error_code else ""
    if status not in outbox.FINAL_FAILURES:  # most callbacks: one statement, nothing to escalate
        await outbox.advance_status(
            session, row_id=row_id, sid=sid, status=status, error=error, now=now
        )
        return
    row, newly_failed = await outbox.apply_status(
        session, row_id=row_id, sid=sid, status=status, error=error, now=now
    )
    if row is None:
        return
    if newly_failed:
        await message_failed(
            session, row, at=now, reason=f"{status} {error}".strip(), on_failure=escalate_now
        )


async def record_alert_call_progress(
    session: AsyncSession, *, row_id: int, sid: str, progress: CallProgress, now: datetime
) -> None:
    """An alert call's progress; a call that could not be placed escalates now (like a failed
    text); an unanswered one does not — the text to the same person still stands."""
    status = status_of_call(progress)
    if status not in outbox.FINAL_FAILURES:  # most callbacks: one statement, nothing to escalate
        await outbox.advance_status(
            session, row_id=row_id, sid=sid, status=status, error="", now=now
        )
        return
    row, newly_failed = await outbox.apply_status(
        session, row_id=row_id, sid=sid, status=status, error="", now=now
    )
    if row is None:
        return
    if newly_failed:
        await message_failed(
            session, row, at=now, reason=f"call {progress}", on_failure=escalate_now
        )


async def _row_and_alert_open(session: AsyncSession, row_id: int) -> OutboundMessage | None:
    row = await session.get(OutboundMessage, row_id)
    if row is None or row.alert_id is None:
        return None
    return row


async def alert_call_script(
    session: AsyncSession, *, row_id: int, zone: ZoneInfo
) -> voice.Instruction:
    """What the alert call says when the person picks up: the alert, and a request for 1; or
    that it has been dealt with, when the alert no longer needs anyone."""
    row = await _row_and_alert_open(session, row_id)
    if row is None or row.alert_id is None:
        return voice.HangUp(ALREADY_DEALT_WITH)
    alert = await lock_alert(session, row.alert_id)
    if alert is None or alert.status != AlertStatus.OPEN:
        return voice.HangUp(ALREADY_DEALT_WITH)
    return voice.AlertCall(
        row_id, alert_speech(await facts_of(session, alert), zone), NOT_ACKNOWLEDGED
    )


async def alert_call_key(
    session: AsyncSession, *, row_id: int, digits: str, now: datetime, zone: ZoneInfo
) -> voice.Instruction:
    """The key pressed on an alert call: 1 acknowledges for the person called; any other key
    declines, and the alert goes to the next step now, as the call then says, instead of after
    the step's wait (as a failed text does)."""
    row = await _row_and_alert_open(session, row_id)
    if row is None or row.alert_id is None or row.person_id is None:
        return voice.HangUp(ALREADY_DEALT_WITH)
    if digits != "1":
        await escalate_now(session, row, now, "declined on the alert call")
        return voice.HangUp(NOT_ACKNOWLEDGED)
    alert = await lock_alert(session, row.alert_id)
    person = await session.get(Person, row.person_id)
    if alert is None or person is None:
        return voice.HangUp(ALREADY_DEALT_WITH)
    facts = await facts_of(session, alert)
    if await acknowledge(session, alert, person=person, at=now, via="voice", zone=zone):
        return voice.HangUp(
            f"Acknowledged. Reference {spoken_reference(facts.ref)} is yours. "
            "The details are in your text messages."
        )
    return voice.HangUp(ALREADY_ACKNOWLEDGED)
