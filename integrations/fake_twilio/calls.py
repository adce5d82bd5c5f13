"""Whole calls: an inbound call from a scripted caller, and an outbound REST-API call to a phone."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from integrations.fake_twilio.interpreter import CallInterpreter, keep_pace
from integrations.fake_twilio.legs import Fetch, Leg, Party
from integrations.fake_twilio.phones import CallerScript, PhoneBehaviour
from integrations.fake_twilio.state import CallRecord, CallTrace, is_e164, new_sid, now, rfc2822

if TYPE_CHECKING:
    from integrations.fake_twilio.fake import FakeTwilio

APPLICATION_ERROR = "We are sorry, an application error has occurred. Goodbye."


def new_inbound_call(host: FakeTwilio, *, from_: str, to: str) -> tuple[CallRecord, CallTrace]:
    """Register a ringing inbound call to one of our numbers, and its trace."""
    config = host.numbers.get(to)
    if config is None or not config.voice_url:
        raise LookupError(f"{to} is not configured with a Voice URL")
    call = CallRecord(
        sid=new_sid("CA"),
        account_sid=host.account_sid,
        to=to,
        from_=from_,
        direction="inbound",
        status="ringing",
        history=["ringing"],
        url=config.voice_url,
        status_callback=config.voice_status_callback,
        # A number's status callback URL only hears about the end of the call.
        status_events=("completed",),
    )
    host.register_call(call)
    trace = CallTrace(call.sid, from_, to, "inbound")
    host.traces[call.sid] = trace
    return call, trace


async def run_inbound_call(
    host: FakeTwilio, call: CallRecord, trace: CallTrace, caller: CallerScript
) -> CallTrace:
    """Follow the call flow from the Voice URL to the end, then send the status callback."""
    leg = Leg(call, trace, Party.caller(caller), "caller")
    assert call.url is not None
    ended = await CallInterpreter(host).run(leg, Fetch(call.url))
    if ended.reason == "error" and not leg.caller_hung_up:
        # What the caller hears when the application fails (and no fallback URL is set).
        trace.add("note", call.sid, APPLICATION_ERROR)
    if ended.status == "completed":
        call.set_status("in-progress")
    await _finish(host, leg, ended.status)
    return trace


async def run_outbound_call(host: FakeTwilio, call: CallRecord, trace: CallTrace) -> None:
    """Ring the phone of a REST-API call; if it answers, run the call's TwiML on it."""
    script = host.phones.script_for(call.to)
    leg = Leg(call, trace, Party.phone(script), "outbound")
    call.set_status("initiated")
    await _progress(host, leg, "initiated", "initiated")
    if not is_e164(call.to) or script.behaviour is PhoneBehaviour.FAILED:
        await _finish(host, leg, "failed")
        return
    call.set_status("ringing")
    await _progress(host, leg, "ringing", "ringing")
    if script.behaviour is PhoneBehaviour.BUSY:
        await _finish(host, leg, "busy")
        return
    if not script.answers or script.ring_s >= call.timeout_s:
        await _finish(host, leg, "no-answer")
        return
    call.set_status("in-progress")
    trace.add("phone", call.sid, f"{call.to} answered ({script.behaviour})")
    await _progress(host, leg, "answered", "in-progress")
    assert call.url is not None
    await CallInterpreter(host).run(leg, Fetch(call.url))
    await _finish(host, leg, "completed")


async def _progress(host: FakeTwilio, leg: Leg, event: str, status: str) -> None:
    """A call-progress status callback, if the call subscribed to `event`."""
    call = leg.call
    if not call.status_callback or event not in call.status_events:
        return
    params = {
        **leg.params(status),
        "CallbackSource": "call-progress-events",
        "SequenceNumber": str(len(call.history) - 1),
        "Timestamp": rfc2822(now()),
    }
    if event == "completed":
        params["CallDuration"] = str(call.duration_s)
        params["Duration"] = str(math.ceil(call.duration_s / 60))
    await keep_pace(host, leg)
    result = await host.webhooks.send(call.status_callback, params)
    leg.trace.add("webhook", call.sid, f"POST {call.status_callback}", status=result.status)
    leg.trace.add("status", call.sid, status)
    if not result.ok:
        leg.trace.add("error", call.sid, f"status callback got {result.status or result.error}")


async def _finish(host: FakeTwilio, leg: Leg, status: str) -> None:
    call = leg.call
    call.duration_s = int(leg.elapsed) if status == "completed" else 0
    call.set_status(status)
    leg.trace.final_status = status
    leg.trace.duration_s = call.duration_s
    await _progress(host, leg, "completed", status)
    leg.trace.done = True
