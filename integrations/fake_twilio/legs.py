"""A call leg being interpreted: who is on it, its simulated clock, and how a document ends."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from integrations.fake_twilio.phones import CallerScript, PhoneBehaviour, PhoneScript
from integrations.fake_twilio.state import API_VERSION, CallRecord, CallTrace

# caller: the person who rang one of our numbers; whisper: a callee hearing a <Number url>
# document before the legs are bridged; outbound: the phone answering a REST-API call.
LegContext = Literal["caller", "whisper", "outbound"]


@dataclass
class Party:
    """Whoever holds the phone on a leg: a scripted caller or a scripted staff phone."""

    digits: list[str] = field(default_factory=list)
    default_digits: str = ""
    hang_up_during_say: int | None = None
    hang_up_during_dial: int | None = None
    voicemail_s: int = 0
    finish_voicemail_with_key: bool = False
    talk_s: int | None = None

    @classmethod
    def caller(cls, script: CallerScript) -> Party:
        """The person placing an inbound call."""
        return cls(
            digits=list(script.digits),
            hang_up_during_say=script.hang_up_during_say,
            hang_up_during_dial=script.hang_up_during_dial,
            voicemail_s=script.voicemail_s,
            finish_voicemail_with_key=script.finish_voicemail_with_key,
            talk_s=script.talk_s,
        )

    @classmethod
    def phone(cls, script: PhoneScript) -> Party:
        """A staff phone that has answered: it presses the same key at every prompt."""
        # A phone's voicemail records whatever it hears for as long as it would "talk".
        voicemail_s = script.talk_s if script.behaviour is PhoneBehaviour.VOICEMAIL else 0
        hang_up = 1 if script.behaviour is PhoneBehaviour.HANG_UP_WHISPER else None
        return cls(
            default_digits=script.digits_for_prompt(),
            voicemail_s=voicemail_s,
            hang_up_during_say=hang_up,
        )

    def next_digits(self) -> str:
        """The keys pressed at the next Gather ("" = none)."""
        return self.digits.pop(0) if self.digits else self.default_digits


@dataclass
class Leg:
    """One call leg under interpretation, with its simulated clock in seconds."""

    call: CallRecord
    trace: CallTrace
    party: Party
    context: LegContext
    elapsed: float = 0.0
    says: int = 0
    dials: int = 0
    caller_hung_up: bool = False
    parent: Leg | None = None  # the caller's leg, for a phone's leg that a Dial rang

    @property
    def root(self) -> Leg:
        """The leg of the call this leg belongs to (itself, unless a Dial rang it)."""
        return self if self.parent is None else self.parent.root

    @property
    def into_call_s(self) -> float:
        """Seconds into the call this leg belongs to: a rung phone's leg starts at its
        parent's time when it picked up."""
        return self.elapsed + (0.0 if self.parent is None else self.parent.into_call_s)

    @property
    def sid(self) -> str:
        """The leg's CallSid."""
        return self.call.sid

    def params(self, status: str = "in-progress") -> dict[str, str]:
        """The parameters Twilio sends with every request about this leg."""
        params = {
            "AccountSid": self.call.account_sid,
            "ApiVersion": API_VERSION,
            "CallSid": self.call.sid,
            "CallStatus": status,
            "Called": self.call.to,
            "Caller": self.call.from_,
            "Direction": self.call.direction,
            "From": self.call.from_,
            "To": self.call.to,
        }
        if self.call.parent_sid:
            params["ParentCallSid"] = self.call.parent_sid
        return params


@dataclass(frozen=True, slots=True)
class Continue:
    """Go on with the next verb of the current document."""


@dataclass(frozen=True, slots=True)
class Fetch:
    """Replace the current document with the one at `url`."""

    url: str
    method: str = "POST"
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class End:
    """The leg is over: hangup, caller-hangup, reject, error or end-of-document."""

    reason: str
    status: str = "completed"


Outcome = Continue | Fetch | End
