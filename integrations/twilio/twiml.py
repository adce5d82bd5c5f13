"""Every TwiML document the service answers with: call instructions, the fail-safe ring, the
static fallback for Twilio's console, and replies to texts (built with the twilio library)."""

from __future__ import annotations

from collections.abc import Sequence

from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from integrations import voice
from integrations.telephony import DialOutcome
from integrations.twilio.urls import WebhookUrls

TWIML_CONTENT_TYPE = "application/xml"

VOICE = "Polly.Amy"  # a British English voice
RING_SECONDS = 20
KEY_WAIT_SECONDS = 8  # for the 1 that accepts a call or acknowledges an alert
MENU_WAIT_SECONDS = 6
MESSAGE_MAX_SECONDS = 180
FORWARD_RING_SECONDS = 30
FAILSAFE_RING_SECONDS = 25
MAX_FAILSAFE_NUMBERS = 9  # Twilio rings up to ten numbers at once: one spare
MAX_STATIC_NUMBERS = 10

# Follow-ups are named by path: Twilio resolves them against the URL of the request answered.
_FOLLOW_UP = WebhookUrls()


def render(instruction: voice.Instruction) -> str:
    """The TwiML document for one instruction."""
    response = VoiceResponse()
    match instruction:
        case voice.Forward(say=say, number=number):
            response.say(say, voice=VOICE)
            response.dial(number, timeout=FORWARD_RING_SECONDS)
            response.hangup()
        case voice.Menu(contact_id=contact_id, say=say):
            menu = _FOLLOW_UP.menu(contact_id)
            gather = response.gather(
                num_digits=1, timeout=MENU_WAIT_SECONDS, action=menu, method="POST"
            )
            gather.say(say, voice=VOICE)
            # No key pressed: treat it as an emergency rather than leave the caller waiting.
            response.redirect(menu, method="POST")
        case voice.Ring(contact_id=contact_id, attempt=attempt, number=number, say=say):
            if say:
                response.say(say, voice=VOICE)
            dial = response.dial(
                action=_FOLLOW_UP.dial_result(contact_id, attempt),
                method="POST",
                timeout=RING_SECONDS,
                answer_on_bridge=True,
            )
            dial.number(number, url=_FOLLOW_UP.whisper(contact_id, attempt), method="POST")
        case voice.TakeMessage(contact_id=contact_id, say=say, thanks=thanks):
            response.say(say, voice=VOICE)
            response.record(
                action=_FOLLOW_UP.recorded(contact_id),
                method="POST",
                max_length=MESSAGE_MAX_SECONDS,
                play_beep=True,
                timeout=10,
            )
            response.say(thanks, voice=VOICE)
            response.hangup()
        case voice.Whisper(contact_id=contact_id, attempt=attempt, say=say, no_key=no_key):
            # Silence or a voicemail greeting: not an acceptance. Pass the call on.
            _ask_for_one_key(response, say, _FOLLOW_UP.screen(contact_id, attempt), no_key)
        case voice.AlertCall(message_id=message_id, say=say, no_key=no_key):
            _ask_for_one_key(response, say, _FOLLOW_UP.alert_call_key(message_id), no_key)
        case voice.Connect(say=say):
            response.say(say, voice=VOICE)
        case voice.HangUp(say=say):
            if say:
                response.say(say, voice=VOICE)
            response.hangup()
        case voice.Ignored():
            pass
    return str(response)


def _ask_for_one_key(response: VoiceResponse, say: str, action: str, no_key: str) -> None:
    """Say `say` while waiting for one key (sent to `action`); without one, say `no_key` and
    hang up. The hang-up matters in a whisper: a document that runs out bridges the call."""
    gather = response.gather(num_digits=1, timeout=KEY_WAIT_SECONDS, action=action, method="POST")
    gather.say(say, voice=VOICE)
    response.say(no_key, voice=VOICE)
    response.hangup()


def failsafe(
    numbers: Sequence[str], fallback: str | None, *, greeting: str, unreachable: str
) -> str:
    """Needs no database: ring every last-known on-duty phone at once (the result comes back to
    the fail-safe follow-up), else the fallback number, else say `unreachable`."""
    response = VoiceResponse()
    response.say(greeting, voice=VOICE)
    ring = list(dict.fromkeys(numbers))[:MAX_FAILSAFE_NUMBERS]
    if ring:
        dial = response.dial(
            action=_FOLLOW_UP.failsafe(), method="POST", timeout=FAILSAFE_RING_SECONDS
        )
        for number in ring:
            # Unscreened (no database to say who pressed 1): the provider tells a voicemail that
            # answers from a person, so the call check does not take it for one.
            dial.number(number, machine_detection="Enable")
    elif fallback:
        response.dial(fallback, timeout=FORWARD_RING_SECONDS)
    else:
        response.say(unreachable, voice=VOICE)
    return str(response)


def failsafe_after_dial(
    outcome: DialOutcome | None, fallback: str | None, *, unreachable: str
) -> str:
    """After the fail-safe ring: done if a phone picked up, otherwise the fallback number."""
    response = VoiceResponse()
    if outcome is not None and outcome.picked_up:
        response.hangup()
        return str(response)
    if fallback:
        response.dial(fallback, timeout=FORWARD_RING_SECONDS)
    response.say(unreachable, voice=VOICE)
    return str(response)


def static_fallback(numbers: Sequence[str], *, greeting: str, unreachable: str) -> str:
    """For the Fallback URL in Twilio's console, when the service cannot answer at all: ring
    `numbers` at once, then say `unreachable`. Each with Twilio's machine detection, as the
    app's own fail-safe ring: the call is found afterwards in the provider's records, and a leg
    a voicemail answered must not be taken for the person (the missed-call alert instead)."""
    response = VoiceResponse()
    response.say(greeting, voice=VOICE)
    dial = response.dial(timeout=FORWARD_RING_SECONDS)
    for number in list(dict.fromkeys(numbers))[:MAX_STATIC_NUMBERS]:
        dial.number(number, machine_detection="Enable")
    response.say(unreachable, voice=VOICE)
    return str(response)


def sms_reply(*texts: str) -> str:
    """A reply sending each non-empty text back to the sender (none: no reply at all)."""
    response = MessagingResponse()
    for text in texts:
        if text:
            response.message(text)
    return str(response)
