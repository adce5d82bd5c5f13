"""The telephony boundary: what the service asks of a phone provider, what each failure means."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class TelephonyError(Exception):
    """Base of every error a telephony provider raises; the provider's own errors never escape."""


class TelephonyUnavailable(TelephonyError):
    """The provider could not be reached or failed on its side (timeout, 5xx, 429).

    The request may be retried later; `retry_after` is the provider's hint in seconds, if any.
    The message may or may not have been accepted: callers deduplicate by their own key.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TelephonyRejected(TelephonyError):
    """The provider refused the request for good (bad number, unverified sender, auth).

    Retrying the same request will fail again: move on to the next target.
    """

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class Delivery(StrEnum):
    """How far an SMS has got. A provider's own words are translated at its boundary; a word
    it has no translation for is None wherever a Delivery is expected (nothing is recorded)."""

    QUEUED = "queued"  # accepted, on its way
    SENT = "sent"  # handed to the carrier
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"


class CallProgress(StrEnum):
    """How far a call has got (a caller's call, an alert call, or a leg a call rang)."""

    QUEUED = "queued"  # accepted, not ringing yet
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"  # answered
    COMPLETED = "completed"  # answered, then ended
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"
    CANCELED = "canceled"  # ended before it was answered, by the caller or the API

    @property
    def ended(self) -> bool:
        """The call is over: nothing about it will change again."""
        return self in _CALL_ENDS


_CALL_ENDS = frozenset({
    CallProgress.COMPLETED, CallProgress.BUSY, CallProgress.NO_ANSWER, CallProgress.FAILED,
    CallProgress.CANCELED,
})  # fmt: skip


class DialOutcome(StrEnum):
    """How the phone one ring of a call (a Dial) rang ended, as seen from the caller's side."""

    COMPLETED = "completed"  # picked up (by a person or a voicemail), talked, hung up
    ANSWERED = "answered"  # picked up; the provider's other word for it
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"
    CANCELED = "canceled"  # the caller hung up while it rang

    @property
    def picked_up(self) -> bool:
        """Someone or something answered the phone (which is not the same as accepting)."""
        return self in (DialOutcome.COMPLETED, DialOutcome.ANSWERED)


@dataclass(frozen=True, slots=True)
class SentMessage:
    """An SMS the provider accepted."""

    sid: str
    status: Delivery


@dataclass(frozen=True, slots=True)
class MessageState:
    """What the provider says now about an SMS it accepted earlier."""

    sid: str
    status: Delivery | None  # None: a status with no Delivery for it (nothing to record)
    error_code: int | None = None


@dataclass(frozen=True, slots=True)
class PlacedCall:
    """An outbound call the provider accepted."""

    sid: str
    status: CallProgress


@dataclass(frozen=True, slots=True)
class CallState:
    """What the provider says now about a call (a caller's call or one of its child legs)."""

    sid: str
    status: CallProgress | None  # None: a status with no CallProgress for it (still going)
    to: str = ""
    duration_s: int | None = None  # set once the call has ended
    parent_sid: str | None = None
    ended_at: datetime | None = None  # the provider's end time, if it gives one
    from_: str = ""
    started_at: datetime | None = None  # when the provider created the call
    # Who answered, where machine detection ran: a person, or a voicemail (the fail-safe ring
    # cannot screen, so it asks the provider); None when not detected.
    machine: bool | None = None


@dataclass(frozen=True, slots=True)
class ReceivedMessage:
    """A text the provider received for one of our numbers (from its list of messages)."""

    sid: str
    from_: str
    to: str
    body: str
    received_at: datetime | None


class Telephony(Protocol):
    """Sends SMS and places calls. Implementations: the real Twilio adapter, and tests' fakes."""

    async def send_sms(
        self, *, to: str, from_: str, body: str, status_callback: str | None = None
    ) -> SentMessage:
        """Send an SMS. Raises TelephonyUnavailable (retry later) or TelephonyRejected."""
        ...

    async def place_call(
        self,
        *,
        to: str,
        from_: str,
        url: str,
        status_callback: str | None = None,
        timeout_s: int = 30,
    ) -> PlacedCall:
        """Place a call whose TwiML is fetched from `url`. Raises as `send_sms` does."""
        ...

    async def fetch_message(self, sid: str) -> MessageState:
        """An accepted SMS's current status, asked for when its status callback never came.

        Raises TelephonyUnavailable (ask again later) or TelephonyRejected (no such message).
        """
        ...

    async def fetch_call(self, sid: str) -> CallState:
        """A call's current status, asked for when our record of it was left open.

        Raises TelephonyUnavailable (ask again later) or TelephonyRejected (no such call).
        """
        ...

    async def fetch_child_calls(self, parent_sid: str) -> list[CallState]:
        """The legs a call's <Dial> created (Calls.json?ParentCallSid=), newest first."""
        ...

    async def calls_to(self, number: str, *, since: datetime) -> list[CallState]:
        """Calls made to `number` since `since` (Calls.json?To=&StartTime>=, every page), newest
        first: how calls the service never saw (it was unreachable) are found afterwards.

        Raises TelephonyUnavailable (ask again later) or TelephonyRejected.
        """
        ...

    async def messages_to(self, number: str, *, since: datetime) -> list[ReceivedMessage]:
        """Texts received by `number` since `since` (Messages.json?To=&DateSent>=), newest first.

        Raises as `calls_to` does.
        """
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
