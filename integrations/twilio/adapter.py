"""TwilioTelephony: the Telephony protocol on the twilio library's async REST client."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import aiohttp
from twilio.base.exceptions import (
    TwilioException,
    TwilioRestException,
    TwilioServiceException,
)
from twilio.rest import Client

from integrations.telephony import (
    CallProgress,
    CallState,
    Delivery,
    MessageState,
    PlacedCall,
    ReceivedMessage,
    SentMessage,
    TelephonyError,
    TelephonyRejected,
    TelephonyUnavailable,
)
from integrations.twilio.http_client import RebasedAsyncHttpClient, last_retry_after
from integrations.twilio.words import call_progress, delivery

DEFAULT_API_BASE = "https://api.twilio.com"

# Call progress events we ask Twilio to report; without them only the final one is sent
# ("If no status_callback_event is specified, we will send the completed status").
CALL_PROGRESS_EVENTS = ["initiated", "ringing", "answered", "completed"]

T = TypeVar("T")


class TwilioTelephony:
    """Sends SMS and places calls through Twilio's REST API (or anything that speaks it).

    The auth token is held by the library's client only; it never appears in repr or str.
    """

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        api_base: str = DEFAULT_API_BASE,
        timeout: float = 10.0,
    ) -> None:
        self.account_sid = account_sid
        self.api_base = api_base.rstrip("/")
        self.timeout = timeout
        self._http = RebasedAsyncHttpClient(api_base=self.api_base, timeout=timeout)
        self._client = Client(account_sid, auth_token, http_client=self._http)

    def __repr__(self) -> str:
        return f"TwilioTelephony(account_sid={self.account_sid!r}, api_base={self.api_base!r})"

    __str__ = __repr__

    async def send_sms(
        self, *, to: str, from_: str, body: str, status_callback: str | None = None
    ) -> SentMessage:
        """Send one SMS. Raises TelephonyUnavailable (retry later) or TelephonyRejected."""
        kwargs: dict[str, Any] = {"to": to, "from_": from_, "body": body}
        if status_callback is not None:
            kwargs["status_callback"] = status_callback
        message = await self._call(lambda: self._client.messages.create_async(**kwargs))
        return _sent(message)

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
        kwargs: dict[str, Any] = {"to": to, "from_": from_, "url": url, "timeout": timeout_s}
        if status_callback is not None:
            kwargs["status_callback"] = status_callback
            kwargs["status_callback_event"] = CALL_PROGRESS_EVENTS
        call = await self._call(lambda: self._client.calls.create_async(**kwargs))
        return _placed(call)

    async def fetch_message(self, sid: str) -> MessageState:
        """GET Messages/{sid}.json: the status now (a reconciliation after a lost callback)."""
        return _message_state(await self._call(lambda: self._client.messages(sid).fetch_async()))

    async def fetch_call(self, sid: str) -> CallState:
        """GET Calls/{sid}.json: a call's status and length (a reconciliation of an open call)."""
        return _call_state(await self._call(lambda: self._client.calls(sid).fetch_async()))

    async def fetch_child_calls(self, parent_sid: str, *, limit: int = 50) -> list[CallState]:
        """GET Calls.json?ParentCallSid=…: the legs a call's <Dial> rang, newest first."""
        records = await self._call(
            lambda: self._client.calls.list_async(parent_call_sid=parent_sid, limit=limit)
        )
        return [_call_state(record) for record in records]

    async def calls_to(self, number: str, *, since: datetime) -> list[CallState]:
        """GET Calls.json?To=…&StartTime>=… (the library follows every page)."""
        records = await self._call(
            lambda: self._client.calls.list_async(to=number, start_time_after=since)
        )
        return [_call_state(record) for record in records]

    async def messages_to(self, number: str, *, since: datetime) -> list[ReceivedMessage]:
        """GET Messages.json?To=…&DateSent>=… (the library follows every page)."""
        records = await self._call(
            lambda: self._client.messages.list_async(to=number, date_sent_after=since)
        )
        return [
            ReceivedMessage(
                sid=str(m.sid), from_=str(m.from_ or ""), to=str(m.to or ""),
                body=str(m.body or ""),
                received_at=m.date_sent if isinstance(m.date_sent, datetime) else None,
            )
            for m in records
            if str(m.direction) == "inbound"
        ]  # fmt: skip

    async def recent_messages(self, *, limit: int = 20) -> list[MessageState]:
        """The account's most recent messages (newest first), for diagnostics."""
        records = await self._call(lambda: self._client.messages.list_async(limit=limit))
        return [_message_state(message) for message in records]

    async def recent_calls(self, *, limit: int = 20) -> list[CallState]:
        """The account's most recent calls (newest first), for diagnostics."""
        records = await self._call(lambda: self._client.calls.list_async(limit=limit))
        return [_call_state(call) for call in records]

    async def close(self) -> None:
        """Release connections."""
        await self._http.close()

    async def _call(self, request: Callable[[], Awaitable[T]]) -> T:
        """Run one library request, translating every library error into ours."""
        try:
            return await request()
        except (TwilioRestException, TwilioServiceException) as exc:
            raise translate_rest_error(exc, retry_after=last_retry_after.get()) from exc
        except TimeoutError as exc:
            raise TelephonyUnavailable(f"Twilio did not answer within {self.timeout}s") from exc
        except aiohttp.ClientError as exc:
            raise TelephonyUnavailable(f"Twilio unreachable: {type(exc).__name__}") from exc
        except TwilioException as exc:
            # Raised by the library for responses it cannot parse (e.g. an HTML error page).
            raise TelephonyUnavailable(f"Twilio answered unexpectedly: {exc}") from exc


def _sent(message: Any) -> SentMessage:
    """A message Twilio accepted: whatever word it answered with, the message is on its way."""
    status = delivery(str(message.status)) or Delivery.QUEUED
    return SentMessage(sid=str(message.sid), status=status)


def _placed(call: Any) -> PlacedCall:
    """A call Twilio accepted: whatever word it answered with, the call is on its way."""
    return PlacedCall(
        sid=str(call.sid), status=call_progress(str(call.status)) or CallProgress.QUEUED
    )


def _message_state(message: Any) -> MessageState:
    """Our view of the library's MessageInstance."""
    status = delivery(str(message.status))
    return MessageState(sid=str(message.sid), status=status, error_code=message.error_code)


def _call_state(call: Any) -> CallState:
    """Our view of the library's CallInstance (its duration is a string of seconds, or None)."""
    try:
        duration = int(call.duration) if call.duration is not None else None
    except (TypeError, ValueError):
        duration = None
    return CallState(
        sid=str(call.sid),
        status=call_progress(str(call.status)),
        to=str(call.to or ""),
        duration_s=duration,
        parent_sid=str(call.parent_call_sid) if call.parent_call_sid else None,
        ended_at=call.end_time if isinstance(call.end_time, datetime) else None,
        from_=str(call._from or ""),
        started_at=_started(call),
        machine=answered_by_machine(call.answered_by),
    )


def answered_by_machine(answered_by: object) -> bool | None:
    """Twilio's AnsweredBy (machine detection): human, machine_start, machine_end_beep, …,
    fax, unknown; None where detection did not run or could not tell."""
    word = str(answered_by or "")
    if word == "human":
        return False
    if word.startswith("machine") or word == "fax":
        return True
    return None


def _started(call: Any) -> datetime | None:
    for moment in (call.start_time, call.date_created):
        if isinstance(moment, datetime):
            return moment
    return None


def translate_rest_error(
    exc: TwilioRestException | TwilioServiceException, *, retry_after: float | None = None
) -> TelephonyError:
    """Our error for a Twilio REST error: 5xx and 429 may pass, other 4xx will not.

    Newer Twilio APIs answer RFC 9457 problem documents (TwilioServiceException); both kinds
    carry the HTTP status and Twilio's error code.
    """
    status = int(exc.status)
    code = exc.code if isinstance(exc.code, int) else None
    detail = exc.msg if isinstance(exc, TwilioRestException) else exc.title
    message = f"Twilio {status}" + (f" (code {code})" if code else "") + f": {detail}"
    if status == 429 or status >= 500:
        return TelephonyUnavailable(message, retry_after=retry_after)
    return TelephonyRejected(message, code=code)
