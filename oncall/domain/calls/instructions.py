"""What a voice call should do next, as plain instructions the Twilio layer turns into TwiML."""

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
    """Nobody accepted: tell the caller it is being escalated and record a message."""

    contact_id: int
    say: str


@dataclass(frozen=True, slots=True)
class Whisper:
    """Played to the person who answered: who is calling, press 1 to accept."""

    contact_id: int
    attempt: int
    say: str


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


Instruction = Forward | Menu | Ring | TakeMessage | Whisper | Connect | HangUp | Ignored

NOBODY_ACCEPTED = (
    "Nobody could take your call just now. It is being escalated to the senior manager on call. "
    "Please leave a message after the tone with your name and a number to call you back, "
    "then hang up."
)
OUTSIDE_HOURS = "The out-of-hours service is closed now. Transferring you to the daytime duty desk."
ACCEPTED = "Connecting you to the caller."
MESSAGE_TAKEN = "Thank you. Your message has been passed on and someone will call you back."
