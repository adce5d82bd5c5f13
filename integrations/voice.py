"""What a voice call should do next, in no provider's terms: the answers to call webhooks.

The service decides them (oncall.domain.calls, the alert call); the provider's adapter turns
them into its own documents (integrations.twilio.twiml). Every word said is in the instruction.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Forward:
    """Outside the out-of-hours window: say a line and forward to the daytime duty desk."""

    say: str
    number: str


@dataclass(frozen=True, slots=True)
class Menu:
    """Ask the caller to choose (foster line: 1 emergency, 2 advice)."""

    contact_id: int
    say: str


@dataclass(frozen=True, slots=True)
class Ring:
    """Ring one person, who must press 1 in the whisper to be connected."""

    contact_id: int
    attempt: int
    number: str
    caller_id: str | None
    say: str | None = None


@dataclass(frozen=True, slots=True)
class TakeMessage:
    """Nobody accepted: say so, record a message, then say `thanks`."""

    contact_id: int
    say: str
    thanks: str


@dataclass(frozen=True, slots=True)
class Whisper:
    """Played to the person who answered: who is calling, press 1 to accept; `no_key` is said
    when no key comes (a voicemail greeting, or silence) before their leg is hung up."""

    contact_id: int
    attempt: int
    say: str
    no_key: str


@dataclass(frozen=True, slots=True)
class Connect:
    """The person pressed 1: say a word and bridge the call."""

    say: str


@dataclass(frozen=True, slots=True)
class HangUp:
    """End this leg, after saying something if `say` is set."""

    say: str | None = None


@dataclass(frozen=True, slots=True)
class Ignored:
    """Nothing to do (e.g. the caller already hung up); an empty, valid response."""


@dataclass(frozen=True, slots=True)
class AlertCall:
    """An alert read to the person called (outbox message `message_id`), who presses 1 to
    acknowledge; `no_key` is said when no key comes, before the call ends."""

    message_id: int
    say: str
    no_key: str


Instruction = Forward | Menu | Ring | TakeMessage | Whisper | Connect | HangUp | Ignored | AlertCall
