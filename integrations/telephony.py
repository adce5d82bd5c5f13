"""The telephony boundary: what the service asks of a phone provider, what each failure means."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
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


@dataclass(frozen=True, slots=True)
class SentMessage:
    """An SMS the provider accepted."""

    sid: str
    status: str


@dataclass(frozen=True, slots=True)
class MessageState:
    """What the provider says now about an SMS it accepted earlier."""

    sid: str
    status: str  # the provider's word: queued, sending, sent, delivered, undelivered, failed, …
    error_code: int | None = None


@dataclass(frozen=True, slots=True)
class PlacedCall:
    """An outbound call the provider accepted."""

    sid: str
    status: str


@dataclass(frozen=True, slots=True)
class CallState:
    """What the provider says now about a call (a caller's call or one of its child legs)."""

    sid: str
    status: str  # the provider's word: queued, ringing, in-progress, completed, busy, no-answer…
    to: str = ""
    duration_s: int | None = None  # set once the call has ended
    parent_sid: str | None = None
    ended_at: datetime | None = None  # the provider's end time, if it gives one


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

    async def close(self) -> None:
        """Release connections."""
        ...
