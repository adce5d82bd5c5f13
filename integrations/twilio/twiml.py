"""Builders for the few TwiML shapes a screened ring-round needs (generic: no service concepts)."""

from __future__ import annotations

from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

TWIML_CONTENT_TYPE = "text/xml"


def say_then_dial(
    number: str,
    *,
    action: str,
    whisper_url: str,
    timeout_s: int = 20,
    caller_id: str | None = None,
    greeting: str | None = None,
) -> str:
    """Optionally say `greeting`, then ring one number whose answerer first hears `whisper_url`.

    Twilio requests `action` when the dialled leg ends, whatever happened to it.
    """
    response = VoiceResponse()
    if greeting:
        response.say(greeting)
    dial = response.dial(action=action, timeout=timeout_s, caller_id=caller_id)
    dial.number(number, url=whisper_url)
    return str(response)


def screening_prompt(prompt: str, *, action: str, timeout_s: int = 8) -> str:
    """The whisper: ask the answerer for one key, and hang up their leg if none comes.

    The trailing Hangup matters: a whisper document that simply runs out bridges the call,
    so without it a voicemail greeting would be connected to the caller.
    """
    response = VoiceResponse()
    gather = response.gather(num_digits=1, timeout=timeout_s, action=action)
    gather.say(prompt)
    response.hangup()
    return str(response)


def connect() -> str:
    """An empty document: in a whisper it bridges the two legs."""
    return str(VoiceResponse())


def hang_up(message: str | None = None) -> str:
    """Optionally say `message`, then end the current leg."""
    response = VoiceResponse()
    if message:
        response.say(message)
    response.hangup()
    return str(response)


def voicemail(
    prompt: str,
    *,
    action: str,
    max_length_s: int = 120,
    recording_status_callback: str | None = None,
) -> str:
    """Say `prompt`, record a message, then hang up."""
    response = VoiceResponse()
    response.say(prompt)
    response.record(
        action=action,
        max_length=max_length_s,
        recording_status_callback=recording_status_callback,
    )
    response.hangup()
    return str(response)


def sms_reply(*texts: str) -> str:
    """A messaging response sending each text back to the sender (none: no reply)."""
    response = MessagingResponse()
    for text in texts:
        response.message(text)
    return str(response)
