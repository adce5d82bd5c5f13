"""Runs voice TwiML on a call leg as Twilio does, fetching each next document from the service."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol
from urllib.parse import urljoin

from integrations.fake_twilio.dial import run_dial
from integrations.fake_twilio.legs import Continue, End, Fetch, Leg, Outcome
from integrations.fake_twilio.phones import PhoneBook
from integrations.fake_twilio.state import API_VERSION, CallRecord, new_sid
from integrations.fake_twilio.twiml import TwimlError, Verb, parse_voice
from integrations.fake_twilio.webhooks import WebhookSender

# A service that keeps answering with new documents (e.g. re-prompting a phone that always
# presses 2) would loop forever on a real phone line too; we stop and call it an error.
MAX_DOCUMENTS_PER_LEG = 50
WORDS_PER_SECOND = 2.5


# Awaited before each webhook about an inbound call: (its CallSid, seconds into the call).
Pace = Callable[[str, float], Awaitable[None]]


class Host(Protocol):
    """What the interpreter needs from the fake Twilio around it."""

    account_sid: str
    webhooks: WebhookSender
    phones: PhoneBook
    recordings_base: str
    pace: Pace | None

    def register_call(self, call: CallRecord) -> None: ...

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None: ...


async def keep_pace(host: Host, leg: Leg) -> None:
    """Before a webhook about an inbound call's leg: the host's `pace`, if it has one, may hold
    it until its own clock reaches that moment of the call (the fake plays rings, speech and
    talk without waiting; a driver with a clock of its own keeps the two in step)."""
    root = leg.root
    if host.pace is not None and root.call.direction == "inbound":
        await host.pace(root.call.sid, leg.into_call_s)


class CallInterpreter:
    """Executes TwiML for one leg; `run` returns how the leg ended."""

    def __init__(self, host: Host) -> None:
        self.host = host

    async def run(self, leg: Leg, first: Fetch) -> End:
        """Fetch `first` and follow the call flow until the leg ends."""
        step: Fetch = first
        for _ in range(MAX_DOCUMENTS_PER_LEG):
            document = await self.fetch(leg, step)
            if document is None:
                return End("error")
            url, verbs = document
            outcome = await self.execute(leg, url, verbs)
            if isinstance(outcome, End):
                return outcome
            step = outcome
        leg.trace.add("error", leg.sid, f"more than {MAX_DOCUMENTS_PER_LEG} documents: loop?")
        return End("error")

    async def fetch(self, leg: Leg, step: Fetch) -> tuple[str, list[Verb]] | None:
        """Request a TwiML document; None (and a trace error) if Twilio could not run it."""
        status = "ringing" if leg.context == "caller" and not leg.trace.webhooks() else None
        params = {**leg.params(status or "in-progress"), **step.params}
        await keep_pace(self.host, leg)
        result = await self.host.webhooks.send(step.url, params, step.method)
        leg.trace.add(
            "webhook",
            leg.sid,
            f"{step.method} {step.url}",
            status=result.status,
            params=params,
            deliveries=result.deliveries,
        )
        if not result.ok:
            why = result.error or f"HTTP {result.status}"
            leg.trace.add("error", leg.sid, f"application error: {why} from {step.url}")
            return None
        try:
            verbs = parse_voice(result.body)
        except TwimlError as exc:
            leg.trace.add("error", leg.sid, f"application error: {exc} from {step.url}")
            return None
        return step.url, verbs

    async def notify_ignored(self, leg: Leg, url: str, method: str, params: dict[str, str]) -> None:
        """Request an action after the caller hung up: Twilio sends it, ignores the answer."""
        full = {**leg.params("completed"), **params}
        await keep_pace(self.host, leg)
        result = await self.host.webhooks.send(url, full, method)
        leg.trace.add(
            "webhook",
            leg.sid,
            f"{method} {url}",
            status=result.status,
            params=full,
            deliveries=result.deliveries,
            ignored=True,
        )
        if not result.ok:
            leg.trace.add("error", leg.sid, f"application error: HTTP {result.status} from {url}")

    async def execute(self, leg: Leg, url: str, verbs: list[Verb]) -> End | Fetch:
        """Run the verbs of one document in order."""
        for verb in verbs:
            try:
                outcome = await self.verb(leg, url, verb)
            except TwimlError as exc:
                leg.trace.add("error", leg.sid, f"application error: {exc}")
                return End("error")
            if not isinstance(outcome, Continue):
                return outcome
        leg.trace.add("note", leg.sid, "end of document")
        return End("end-of-document")

    async def verb(self, leg: Leg, url: str, verb: Verb) -> Outcome:
        """Run one verb."""
        name = verb.name
        if name in ("Say", "Play", "Pause"):
            return self.speak(leg, verb)
        if name == "Gather":
            return self.gather(leg, url, verb)
        if name == "Dial":
            if leg.context == "whisper":
                # Twilio error 13201: a <Number url> document cannot Dial.
                raise TwimlError("13201 Dial: cannot Dial out from a Dial call segment")
            return await run_dial(self, leg, url, verb)
        if name == "Record":
            return await self.record(leg, url, verb)
        if name == "Redirect":
            leg.trace.add("verb", leg.sid, "Redirect", url=verb.text)
            if not verb.text:
                raise TwimlError("<Redirect> without a URL")
            return Fetch(urljoin(url, verb.text), verb.attrs.get("method", "POST"))
        if name == "Hangup":
            leg.trace.add("verb", leg.sid, "Hangup")
            return End("hangup")
        if name == "Reject":
            reason = verb.attrs.get("reason", "rejected")
            leg.trace.add("verb", leg.sid, "Reject", reason=reason)
            return End("reject", status="busy")
        raise TwimlError(f"unsupported verb <{name}>")

    def speak(self, leg: Leg, verb: Verb) -> Outcome:
        """Say, Play or Pause: only the simulated clock moves; the caller may hang up."""
        if verb.name == "Say":
            leg.says += 1
            seconds = max(1.0, len(verb.text.split()) / WORDS_PER_SECOND)
            leg.trace.add("verb", leg.sid, "Say", text=verb.text)
            if leg.party.hang_up_during_say == leg.says:
                # The caller, or a staff phone hearing the whisper or an alert call's message.
                leg.elapsed += seconds / 2
                leg.caller_hung_up = leg.context == "caller"
                who = "caller" if leg.context == "caller" else "phone"
                leg.trace.add("phone", leg.sid, f"{who} hung up during Say")
                return End("caller-hangup")
        elif verb.name == "Play":
            seconds = 5.0 * max(1, verb.attr_int("loop", 1))
            leg.trace.add("verb", leg.sid, "Play", url=verb.text)
        else:
            seconds = float(verb.attr_int("length", 1))
            leg.trace.add("verb", leg.sid, "Pause", length=seconds)
        leg.elapsed += seconds
        return Continue()

    def gather(self, leg: Leg, url: str, verb: Verb) -> Outcome:
        """Play the prompts, take the party's keys, request the action (or fall through)."""
        leg.trace.add("verb", leg.sid, "Gather", **verb.attrs)
        for child in verb.children:
            outcome = self.speak(leg, child)
            if isinstance(outcome, End):
                return outcome
        num_digits = verb.attr_int("numDigits", 0)
        timeout = verb.attr_int("timeout", 5)
        digits = leg.party.next_digits()
        if num_digits and len(digits) > num_digits:
            digits = digits[:num_digits]
        action = urljoin(url, verb.attrs.get("action", url))
        method = verb.attrs.get("method", "POST")
        if digits:
            leg.elapsed += 1 + len(digits)
            leg.trace.add("phone", leg.sid, f"pressed {digits}")
            return Fetch(action, method, {"Digits": digits, "FinishedOnKey": ""})
        leg.elapsed += timeout
        leg.trace.add("phone", leg.sid, f"no keys within {timeout}s")
        if verb.attrs.get("actionOnEmptyResult", "false").lower() == "true":
            return Fetch(action, method, {})
        return Continue()

    async def record(self, leg: Leg, url: str, verb: Verb) -> Outcome:
        """The party leaves a message (or hangs up without one); request the action."""
        max_length = verb.attr_int("maxLength", 3600)
        leg.trace.add("verb", leg.sid, "Record", **verb.attrs)
        spoken = leg.party.voicemail_s
        if spoken <= 0:
            # Nothing recorded: Twilio discards an empty recording and makes no action request;
            # the caller has hung up, so the call ends here.
            leg.elapsed += 1
            leg.caller_hung_up = leg.context == "caller"
            leg.trace.add("phone", leg.sid, "hung up without leaving a message")
            return End("caller-hangup")
        duration = min(spoken, max_length)
        leg.elapsed += duration
        recording_sid = new_sid("RE")
        recording_url = f"{self.host.recordings_base}/{recording_sid}"
        params = {
            "RecordingSid": recording_sid,
            "RecordingUrl": recording_url,
            "RecordingDuration": str(duration),
        }
        hung_up = spoken <= max_length and not leg.party.finish_voicemail_with_key
        if hung_up:
            params["Digits"] = "hangup"
        elif spoken <= max_length:
            params["Digits"] = verb.attrs.get("finishOnKey", "#")[:1] or "#"
        leg.trace.add("phone", leg.sid, f"left a {duration}s message", hung_up=hung_up)
        callback = verb.attrs.get("recordingStatusCallback")
        if callback:
            self.host.spawn(self._recording_status(leg, urljoin(url, callback), params))
        action = urljoin(url, verb.attrs.get("action", url))
        method = verb.attrs.get("method", "POST")
        if hung_up:
            leg.caller_hung_up = True
            await self.notify_ignored(leg, action, method, params)
            return End("caller-hangup")
        return Fetch(action, method, params)

    async def _recording_status(self, leg: Leg, url: str, recording: dict[str, str]) -> None:
        params = {
            "AccountSid": leg.call.account_sid,
            "ApiVersion": API_VERSION,
            "CallSid": leg.sid,
            "RecordingSid": recording["RecordingSid"],
            "RecordingUrl": recording["RecordingUrl"],
            "RecordingDuration": recording["RecordingDuration"],
            "RecordingStatus": "completed",
            "RecordingChannels": "1",
            "RecordingSource": "RecordVerb",
        }
        result = await self.host.webhooks.send(url, params)
        leg.trace.add("webhook", leg.sid, f"POST {url}", status=result.status, params=params)
        if not result.ok:
            leg.trace.add("error", leg.sid, f"recording status callback got HTTP {result.status}")
