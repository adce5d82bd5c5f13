"""What the provider's report on a text or an alert call means for its outbox row's status."""

from __future__ import annotations

from integrations.telephony import CallProgress, Delivery
from oncall.db.models import OutboxStatus

_TEXT = {
    Delivery.QUEUED: OutboxStatus.QUEUED,
    Delivery.SENT: OutboxStatus.SENT,
    Delivery.DELIVERED: OutboxStatus.DELIVERED,
    Delivery.UNDELIVERED: OutboxStatus.UNDELIVERED,
    Delivery.FAILED: OutboxStatus.FAILED,
}
# A cancelled call (by us or the API) counts as not reached, like one that failed.
_CALL = {
    CallProgress.QUEUED: OutboxStatus.QUEUED,
    CallProgress.RINGING: OutboxStatus.RINGING,
    CallProgress.IN_PROGRESS: OutboxStatus.IN_PROGRESS,
    CallProgress.COMPLETED: OutboxStatus.COMPLETED,
    CallProgress.BUSY: OutboxStatus.BUSY,
    CallProgress.NO_ANSWER: OutboxStatus.NO_ANSWER,
    CallProgress.FAILED: OutboxStatus.FAILED,
    CallProgress.CANCELED: OutboxStatus.FAILED,
}


def status_of_text(delivery: Delivery) -> OutboxStatus:
    """The outbox status of a text the provider reports as `delivery`."""
    return _TEXT[delivery]


def status_of_call(progress: CallProgress) -> OutboxStatus:
    """The outbox status of an alert call the provider reports as `progress`."""
    return _CALL[progress]


def status_on_acceptance(reported: Delivery | CallProgress) -> OutboxStatus:
    """The status of a row the provider has just accepted, from what it answered."""
    if isinstance(reported, Delivery):
        return status_of_text(reported)
    return status_of_call(reported)
