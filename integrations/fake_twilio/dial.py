"""The <Dial> verb: rings staff phones one leg at a time, runs the whisper, bridges or not."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from integrations.fake_twilio.legs import Continue, End, Fetch, Leg, Outcome, Party
from integrations.fake_twilio.phones import PhoneBehaviour, PhoneScript
from integrations.fake_twilio.state import CallRecord, is_e164, new_sid
from integrations.fake_twilio.twiml import TwimlError, Verb

if TYPE_CHECKING:
    from integrations.fake_twilio.interpreter import CallInterpreter


@dataclass(slots=True)
class DialResult:
    """What Twilio reports to the Dial action about the child leg."""

    status: str  # DialCallStatus: completed, busy, no-answer, failed, canceled
    child: CallRecord | None
    bridged: bool = False

    def params(self) -> dict[str, str]:
        """DialCallStatus, DialCallSid, DialCallDuration and DialBridged."""
        params = {"DialCallStatus": self.status, "DialBridged": str(self.bridged).lower()}
        if self.child is not None:
            params["DialCallSid"] = self.child.sid
            if self.status == "completed":
                params["DialCallDuration"] = str(self.child.duration_s)
        return params


def dial_targets(verb: Verb) -> list[tuple[str, str | None, str]]:
    """(number, whisper url, whisper method) for each <Number>, or the bare number text."""
    if verb.children:
        return [
            (child.text, child.attrs.get("url"), child.attrs.get("method", "POST"))
            for child in verb.children
        ]
    if verb.text:
        return [(verb.text, None, "POST")]
    raise TwimlError("<Dial> with nothing to dial")


async def run_dial(interp: CallInterpreter, leg: Leg, url: str, verb: Verb) -> Outcome:
    """Ring the targets, then request the action URL (or carry on) as Twilio does."""
    leg.dials += 1
    timeout = verb.attr_int("timeout", 30)
    caller_id = verb.attrs.get("callerId") or leg.call.from_
    targets = dial_targets(verb)
    leg.trace.add("verb", leg.sid, "Dial", numbers=[t[0] for t in targets], **verb.attrs)
    detecting = {c.text for c in verb.children if c.attrs.get("machineDetection")}
    result = await _ring(
        interp, leg, url, targets, caller_id, timeout_s=timeout, detecting=detecting
    )
    action = verb.attrs.get("action")
    method = verb.attrs.get("method", "POST")
    if leg.caller_hung_up:
        # The caller is gone: Twilio still requests the action (CallStatus=completed) so the
        # application learns the outcome, and ignores whatever TwiML comes back.
        if action:
            await interp.notify_ignored(leg, urljoin(url, action), method, result.params())
        return End("caller-hangup")
    if action:
        return Fetch(urljoin(url, action), method, result.params())
    return Continue()


async def _ring(
    interp: CallInterpreter,
    leg: Leg,
    url: str,
    targets: list[tuple[str, str | None, str]],
    caller_id: str,
    *,
    timeout_s: int,
    detecting: set[str] | None = None,
) -> DialResult:
    phones = interp.host.phones
    scripts = [(target, phones.script_for(target[0])) for target in targets]
    if leg.party.hang_up_during_dial == leg.dials:
        # The caller gives up while the phones ring: the child legs are cancelled.
        leg.elapsed += min(timeout_s, 5)
        leg.caller_hung_up = True
        child = _child(interp, leg, targets[0][0], caller_id)
        child.set_status("canceled")
        leg.trace.add("phone", leg.sid, "caller hung up while the Dial was ringing")
        return DialResult("canceled", child)
    # Simultaneous ringing: the first phone to answer within the timeout_s wins.
    answering = [
        (target, script)
        for target, script in scripts
        if is_e164(target[0]) and script.answers and script.ring_s < timeout_s
    ]
    if not answering:
        return _unanswered(interp, leg, scripts, caller_id, timeout_s)
    (number, whisper_url, whisper_method), script = min(answering, key=lambda a: a[1].ring_s)
    child = _child(interp, leg, number, caller_id)
    if detecting and number in detecting:
        # Machine detection on this <Number>: the leg's AnsweredBy says who picked up.
        machine = script.behaviour is PhoneBehaviour.VOICEMAIL
        child.answered_by = "machine_start" if machine else "human"
    child.set_status("ringing")
    leg.elapsed += script.ring_s
    child.set_status("in-progress")
    leg.trace.add("phone", child.sid, f"{number} answered ({script.behaviour})")
    child_leg = Leg(child, leg.trace, Party.phone(script), "whisper", parent=leg)
    bridged = True
    if whisper_url:
        ended = await interp.run(child_leg, Fetch(urljoin(url, whisper_url), whisper_method))
        # An empty document (or one that runs out) bridges the legs; Hangup/error does not.
        bridged = ended.reason == "end-of-document"
    talk_s = _talk_seconds(leg, script) if bridged else 0
    if bridged:
        # at_s: seconds into the caller's call when the legs were bridged (ring and whisper).
        at_s = leg.elapsed + child_leg.elapsed
        leg.trace.add("phone", child.sid, f"connected for {talk_s}s", bridged=True, at_s=at_s)
    else:
        leg.trace.add("phone", child.sid, "callee leg ended before bridging", bridged=False)
    child.duration_s = int(child_leg.elapsed + talk_s)
    leg.elapsed += child_leg.elapsed + talk_s
    child.set_status("completed")
    # An answered child leg is "completed" whether or not it was bridged: Twilio cannot tell
    # a screening hang-up from a finished conversation, so the application must keep its own
    # record of who pressed 1.
    return DialResult("completed", child, bridged=bridged)


def _talk_seconds(leg: Leg, script: PhoneScript) -> int:
    talk = 0 if script.behaviour is PhoneBehaviour.DECLINE else script.talk_s
    caller_talk = leg.party.talk_s
    if caller_talk is not None and caller_talk <= talk:
        # The caller ends the conversation first and is gone when the Dial finishes.
        leg.caller_hung_up = True
        leg.trace.add("phone", leg.sid, "caller hung up after talking")
        return caller_talk
    return talk


def _unanswered(
    interp: CallInterpreter,
    leg: Leg,
    scripts: list[tuple[tuple[str, str | None, str], PhoneScript]],
    caller_id: str,
    timeout_s: int,
) -> DialResult:
    statuses: list[tuple[str, CallRecord]] = []
    for (number, _url, _method), script in scripts:
        child = _child(interp, leg, number, caller_id)
        if not is_e164(number) or script.behaviour is PhoneBehaviour.FAILED:
            status = "failed"
        elif script.behaviour is PhoneBehaviour.BUSY:
            status = "busy"
        else:
            status = "no-answer"
        child.set_status(status)
        leg.trace.add("phone", child.sid, f"{number}: {status}")
        statuses.append((status, child))
    # With several numbers Twilio reports the whole Dial: no-answer if any phone rang out.
    if any(status == "no-answer" for status, _ in statuses):
        leg.elapsed += timeout_s
        chosen = next(item for item in statuses if item[0] == "no-answer")
    else:
        leg.elapsed += 1
        chosen = statuses[0]
    return DialResult(chosen[0], chosen[1])


def _child(interp: CallInterpreter, leg: Leg, number: str, caller_id: str) -> CallRecord:
    child = CallRecord(
        sid=new_sid("CA"),
        account_sid=leg.call.account_sid,
        to=number,
        from_=caller_id,
        direction="outbound-dial",
        status="queued",
        parent_sid=leg.call.sid,
    )
    child.set_status("initiated")
    interp.host.register_call(child)
    return child
