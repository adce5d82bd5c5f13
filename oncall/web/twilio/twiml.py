"""Voice instructions from the domain rendered as TwiML with the twilio library."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from oncall.domain.calls import instructions as voice

VOICE = "Polly.Amy"  # a British English voice
RING_SECONDS = 20
WHISPER_WAIT_SECONDS = 8
MESSAGE_MAX_SECONDS = 180


def _url(path: str, **params: int | str) -> str:
    return f"/twilio/voice/{path}?{urlencode(params)}"


def render(instruction: voice.Instruction) -> str:
    """The TwiML document for one instruction."""
    response = VoiceResponse()
    match instruction:
        case voice.Forward(say=say, number=number):
            response.say(say, voice=VOICE)
            response.dial(number, timeout=30)
            response.hangup()
        case voice.Menu(contact_id=contact_id, say=say):
            gather = response.gather(
                num_digits=1, timeout=6, action=_url("menu", contact=contact_id), method="POST"
            )
            gather.say(say, voice=VOICE)
            # No key pressed: treat it as an emergency rather than leave the caller waiting.
            response.redirect(_url("menu", contact=contact_id), method="POST")
        case voice.Ring(contact_id=contact_id, attempt=attempt, number=number, say=say):
            if say:
                response.say(say, voice=VOICE)
            dial = response.dial(
                action=_url("dial-result", contact=contact_id, attempt=attempt),
                method="POST",
                timeout=RING_SECONDS,
                answer_on_bridge=True,
            )
            dial.number(
                number, url=_url("whisper", contact=contact_id, attempt=attempt), method="POST"
            )
        case voice.TakeMessage(contact_id=contact_id, say=say):
            response.say(say, voice=VOICE)
            response.record(
                action=_url("recorded", contact=contact_id),
                method="POST",
                max_length=MESSAGE_MAX_SECONDS,
                play_beep=True,
                timeout=10,
            )
            response.say(voice.MESSAGE_TAKEN, voice=VOICE)
            response.hangup()
        case voice.Whisper(contact_id=contact_id, attempt=attempt, say=say):
            gather = response.gather(
                num_digits=1,
                timeout=WHISPER_WAIT_SECONDS,
                action=_url("screen", contact=contact_id, attempt=attempt),
                method="POST",
            )
            gather.say(say, voice=VOICE)
            # Silence or a voicemail greeting: not an acceptance. Pass the call on.
            response.say("Passing the call on.", voice=VOICE)
            response.hangup()
        case voice.Connect(say=say):
            response.say(say, voice=VOICE)
        case voice.HangUp(say=say):
            if say:
                response.say(say, voice=VOICE)
            response.hangup()
        case voice.Ignored():
            pass
    return str(response)


def failsafe(numbers: Sequence[str], fallback: str | None) -> str:
    """TwiML that needs no database: ring every last-known on-duty phone at once, then fallback."""
    response = VoiceResponse()
    response.say("Connecting you to the out-of-hours duty worker.", voice=VOICE)
    ring = list(dict.fromkeys(numbers))[:9]  # Twilio rings up to ten numbers at once
    if ring:
        dial = response.dial(action="/twilio/voice/failsafe", method="POST", timeout=25)
        for number in ring:
            dial.number(number)
    elif fallback:
        response.dial(fallback, timeout=30)
    else:
        response.say(
            "We cannot connect you just now. In an emergency, hang up and dial 999.", voice=VOICE
        )
    return str(response)


def failsafe_after_dial(dial_status: str, fallback: str | None) -> str:
    """After the fail-safe ring: done if someone answered, otherwise the fallback number."""
    response = VoiceResponse()
    if dial_status in ("completed", "answered"):
        response.hangup()
    elif fallback:
        response.dial(fallback, timeout=30)
        response.say(
            "We cannot connect you just now. In an emergency, hang up and dial 999.", voice=VOICE
        )
    else:
        response.say(
            "We cannot connect you just now. In an emergency, hang up and dial 999.", voice=VOICE
        )
    return str(response)


def static_fallback(numbers: Sequence[str]) -> str:
    """TwiML for the Fallback URL in Twilio's console, for when the service cannot answer at all."""
    response = VoiceResponse()
    response.say("Connecting you to the out-of-hours service.", voice=VOICE)
    dial = response.dial(timeout=30)
    for number in list(dict.fromkeys(numbers))[:10]:
        dial.number(number)
    response.say("We cannot connect you just now. In an emergency, dial 999.", voice=VOICE)
    return str(response)


def sms_reply(text: str | None) -> str:
    response = MessagingResponse()
    if text:
        response.message(text)
    return str(response)
