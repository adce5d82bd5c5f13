"""Twilio's status words (MessageStatus, CallStatus, DialCallStatus) translated into ours."""

from __future__ import annotations

from integrations.telephony import CallProgress, Delivery, DialOutcome

# Twilio's words for a text, in webhooks and in its REST API alike. The first three are a text
# still on its way; "canceled" (a scheduled text called off), "read" and the inbound words
# have no Delivery: nothing is recorded for them.
_DELIVERY = {
    "accepted": Delivery.QUEUED,
    "scheduled": Delivery.QUEUED,
    "sending": Delivery.QUEUED,
    "queued": Delivery.QUEUED,
    "sent": Delivery.SENT,
    "delivered": Delivery.DELIVERED,
    "undelivered": Delivery.UNDELIVERED,
    "failed": Delivery.FAILED,
}

# CallStatus, and the StatusCallbackEvent "initiated" (a call placed, not yet ringing).
_CALL_PROGRESS = {
    "initiated": CallProgress.QUEUED,
    "queued": CallProgress.QUEUED,
    "ringing": CallProgress.RINGING,
    "in-progress": CallProgress.IN_PROGRESS,
    "completed": CallProgress.COMPLETED,
    "busy": CallProgress.BUSY,
    "no-answer": CallProgress.NO_ANSWER,
    "failed": CallProgress.FAILED,
    "canceled": CallProgress.CANCELED,
}

_DIAL_OUTCOMES = {outcome.value: outcome for outcome in DialOutcome}


def delivery(word: str) -> Delivery | None:
    """The Delivery for a MessageStatus (or a message's REST `status`); None for other words."""
    return _DELIVERY.get(word)


def call_progress(word: str) -> CallProgress | None:
    """The CallProgress for a CallStatus (or a call's REST `status`); None for other words."""
    return _CALL_PROGRESS.get(word)


def dial_outcome(word: str) -> DialOutcome | None:
    """The DialOutcome for a DialCallStatus; None for other words."""
    return _DIAL_OUTCOMES.get(word)
