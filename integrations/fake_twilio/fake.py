"""FakeTwilio: the control API of the fake, holding its state and background deliveries."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from typing import Any

from integrations.fake_twilio import calls, messaging
from integrations.fake_twilio.faults import FaultInjector
from integrations.fake_twilio.interpreter import Pace
from integrations.fake_twilio.phones import CallerScript, PhoneBook
from integrations.fake_twilio.state import (
    API_VERSION,
    CallRecord,
    CallTrace,
    MessageRecord,
    NumberConfig,
    TraceEvent,
    new_sid,
)
from integrations.fake_twilio.webhooks import WebhookSender

DEFAULT_ACCOUNT_SID = "AC" + "0" * 32
DEFAULT_AUTH_TOKEN = "fake-twilio-auth-token"  # noqa: S105 - a well-known demo value, not a secret


class FakeTwilio:
    """A small, real Twilio: REST resources, signed webhooks, scripted phones, TwiML calls.

    Serve it over HTTP with `create_fake_app(fake)`; drive and inspect it from tests with
    the methods below. Background work (message delivery, REST-API calls, recording
    callbacks) runs in tasks; `await settle()` waits until all of it is done.
    """

    def __init__(
        self,
        *,
        account_sid: str = DEFAULT_ACCOUNT_SID,
        auth_token: str = DEFAULT_AUTH_TOKEN,
        recordings_base: str | None = None,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.recordings_base = recordings_base or (
            f"https://api.twilio.com/{API_VERSION}/Accounts/{account_sid}/Recordings"
        )
        self.numbers: dict[str, NumberConfig] = {}
        self.messages: dict[str, MessageRecord] = {}
        self.calls: dict[str, CallRecord] = {}
        self.traces: dict[str, CallTrace] = {}
        self.phones = PhoneBook()
        self.faults = FaultInjector()
        self.webhooks = WebhookSender(auth_token)
        self.app_errors: list[TraceEvent] = []
        # Awaited before each webhook about an inbound call, with its CallSid and the seconds
        # into it (rings, speech and talk so far, which the fake plays without waiting): a
        # driver whose service runs on a clock of its own (the night simulator) holds the
        # webhook there until its clock reaches that moment. None: every webhook at once.
        self.pace: Pace | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:
        return f"FakeTwilio(account_sid={self.account_sid!r})"

    # Configuration -------------------------------------------------------------------------

    def configure_number(
        self,
        number: str,
        *,
        voice_url: str | None = None,
        sms_url: str | None = None,
        voice_status_callback: str | None = None,
    ) -> NumberConfig:
        """Set up one of our Twilio numbers, as in the console (absolute webhook URLs)."""
        config = NumberConfig(number, voice_url, sms_url, voice_status_callback)
        self.numbers[number] = config
        return config

    # Driving ---------------------------------------------------------------------------------

    async def place_inbound_call(
        self, *, from_: str, to: str, caller: CallerScript | None = None
    ) -> CallTrace:
        """Someone rings `to` from `from_`; follow the call to its end and return its trace."""
        call, trace = calls.new_inbound_call(self, from_=from_, to=to)
        return await calls.run_inbound_call(self, call, trace, caller or CallerScript())

    def start_inbound_call(
        self, *, from_: str, to: str, caller: CallerScript | None = None
    ) -> CallTrace:
        """Like `place_inbound_call`, but in the background; returns the (growing) trace."""
        call, trace = calls.new_inbound_call(self, from_=from_, to=to)
        self.spawn(self._run_inbound(call, trace, caller or CallerScript()))
        return trace

    async def _run_inbound(self, call: CallRecord, trace: CallTrace, caller: CallerScript) -> None:
        await calls.run_inbound_call(self, call, trace, caller)

    async def send_inbound_sms(self, *, from_: str, to: str, body: str) -> list[MessageRecord]:
        """Someone texts `to` from `from_`; return the replies the service sent back."""
        _inbound, replies = await messaging.receive(self, from_=from_, to=to, body=body)
        return replies

    # REST resources (used by rest_api) ---------------------------------------------------------

    def create_message(
        self, *, to: str, from_: str, body: str, status_callback: str | None
    ) -> MessageRecord:
        """Accept an outbound SMS and start delivering it."""
        message = MessageRecord(
            sid=new_sid("SM"),
            account_sid=self.account_sid,
            to=to,
            from_=from_,
            body=body,
            direction="outbound-api",
            status="queued",
            history=["queued"],
            status_callback=status_callback,
        )
        self.messages[message.sid] = message
        self.spawn(messaging.deliver(self, message))
        return message

    def create_call(
        self,
        *,
        to: str,
        from_: str,
        url: str,
        status_callback: str | None,
        status_events: Sequence[str],
        timeout_s: int,
    ) -> CallRecord:
        """Accept an outbound call and start ringing the phone."""
        call = CallRecord(
            sid=new_sid("CA"),
            account_sid=self.account_sid,
            to=to,
            from_=from_,
            direction="outbound-api",
            status="queued",
            history=["queued"],
            url=url,
            status_callback=status_callback,
            status_events=tuple(status_events) or ("completed",),
            timeout_s=timeout_s,
        )
        self.register_call(call)
        trace = CallTrace(call.sid, from_, to, "outbound-api")
        self.traces[call.sid] = trace
        self.spawn(calls.run_outbound_call(self, call, trace))
        return call

    def register_call(self, call: CallRecord) -> None:
        """Remember a call leg so the REST API can list and fetch it."""
        self.calls[call.sid] = call

    # Background work -------------------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run `coro` in the background; `settle` waits for it."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.record_error("background", f"fake crashed: {task.exception()!r}")

    async def settle(self, limit_s: float = 10.0) -> None:
        """Wait until every in-flight webhook and delivery is done (tasks may start more)."""
        async with asyncio.timeout(limit_s):
            while self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)

    wait_idle = settle

    def record_error(self, where: str, detail: str) -> None:
        """Remember an application error that does not belong to a call."""
        self.app_errors.append(TraceEvent("error", where, detail))

    async def close(self) -> None:
        """Stop background work and release connections."""
        self.faults.release_hanging()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
        await self.webhooks.close()

    # Inspection ------------------------------------------------------------------------------

    @property
    def errors(self) -> list[TraceEvent]:
        """Every application error so far, in calls and elsewhere (tests assert it is empty)."""
        found = list(self.app_errors)
        for trace in self.traces.values():
            found.extend(trace.errors)
        return found

    def raise_for_errors(self) -> None:
        """Fail loudly if any application error happened (for tests)."""
        if self.errors:
            details = "; ".join(f"{e.leg}: {e.detail}" for e in self.errors)
            raise AssertionError(f"fake Twilio saw application errors: {details}")

    def outbound_messages(self, *, to: str | None = None) -> list[MessageRecord]:
        """Messages we sent (REST or TwiML reply), oldest first."""
        return [
            m
            for m in self.messages.values()
            if m.direction != "inbound" and (to is None or m.to == to)
        ]

    def inbox(self, number: str) -> list[MessageRecord]:
        """Messages delivered to the phone at `number`."""
        return self.phones.inbox(number)

    def trace(self, call_sid: str) -> CallTrace:
        """The trace of a top-level call."""
        return self.traces[call_sid]
