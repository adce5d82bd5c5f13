"""Every URL Twilio requests of the service: the webhooks, their follow-ups, status callbacks."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

PREFIX = "/twilio"  # where the webhook sub-application is mounted

# The routes of the webhook sub-application (below PREFIX).
VOICE_INCOMING = "/voice/incoming"
VOICE_STATUS = "/voice/status"
VOICE_MENU = "/voice/menu"
VOICE_WHISPER = "/voice/whisper"
VOICE_SCREEN = "/voice/screen"
VOICE_DIAL_RESULT = "/voice/dial-result"
VOICE_RECORDED = "/voice/recorded"
VOICE_FAILSAFE = "/voice/failsafe"
SMS_INCOMING = "/sms/incoming"
MESSAGE_STATUS = "/status/message"
CALL_STATUS = "/status/call"
ALERT_CALL = "/alert-call"
ALERT_CALL_KEY = "/alert-call/key"


@dataclass(frozen=True, slots=True)
class WebhookUrls:
    """The webhook URLs at `base`, the service's public URL.

    With no base they are paths alone: what TwiML names for its follow-ups (a Gather's or a
    Dial's action), which Twilio resolves against the URL of the request it answers.
    """

    base: str = ""

    def _url(self, route: str, **query: int) -> str:
        return f"{self.base}{PREFIX}{route}" + (f"?{urlencode(query)}" if query else "")

    def number_settings(self) -> dict[str, str]:
        """What to enter for every number in Twilio's console (and what the fake is told)."""
        return {
            "voice_url": self._url(VOICE_INCOMING),
            "voice_status_callback": self._url(VOICE_STATUS),
            "sms_url": self._url(SMS_INCOMING),
        }

    def menu(self, contact: int) -> str:
        return self._url(VOICE_MENU, contact=contact)

    def whisper(self, contact: int, attempt: int) -> str:
        return self._url(VOICE_WHISPER, contact=contact, attempt=attempt)

    def screen(self, contact: int, attempt: int) -> str:
        return self._url(VOICE_SCREEN, contact=contact, attempt=attempt)

    def dial_result(self, contact: int, attempt: int) -> str:
        return self._url(VOICE_DIAL_RESULT, contact=contact, attempt=attempt)

    def recorded(self, contact: int) -> str:
        return self._url(VOICE_RECORDED, contact=contact)

    def failsafe(self) -> str:
        return self._url(VOICE_FAILSAFE)

    def alert_call(self, message: int) -> str:
        """The TwiML of an alert call (fetched when the person picks up)."""
        return self._url(ALERT_CALL, outbox=message)

    def alert_call_key(self, message: int) -> str:
        return self._url(ALERT_CALL_KEY, outbox=message)

    def call_status(self, message: int) -> str:
        """The status callback of an alert call."""
        return self._url(CALL_STATUS, outbox=message)

    def message_status(self, message: int) -> str:
        """The status callback of a text."""
        return self._url(MESSAGE_STATUS, outbox=message)
