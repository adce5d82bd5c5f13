"""Scripted phones: how each staff phone answers, what a caller does, and every SMS inbox."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum

from integrations.fake_twilio.state import MessageRecord


class PhoneBehaviour(StrEnum):
    """What a phone does when it rings."""

    ACCEPT = "accept"  # answers and presses 1 at the first prompt
    NO_ANSWER = "no-answer"  # rings until the caller gives up
    BUSY = "busy"  # busy signal
    VOICEMAIL = "voicemail"  # the phone's voicemail answers and never presses a key
    DECLINE = "decline"  # answers, presses 2 (or hangs up if there is no prompt)
    # answers and hangs up while the announcement plays (the whisper before a caller is put
    # through, an alert call's message); with no announcement it is simply connected
    HANG_UP_WHISPER = "hang-up-whisper"
    FAILED = "failed"  # the network cannot reach it (invalid or dead number)


ANSWERS = frozenset(
    {
        PhoneBehaviour.ACCEPT,
        PhoneBehaviour.VOICEMAIL,
        PhoneBehaviour.DECLINE,
        PhoneBehaviour.HANG_UP_WHISPER,
    }
)


@dataclass(frozen=True, slots=True)
class PhoneScript:
    """One phone's behaviour, with simulated durations in seconds."""

    behaviour: PhoneBehaviour = PhoneBehaviour.NO_ANSWER
    ring_s: int = 4  # rings this long before answering
    talk_s: int = 60  # talks this long once connected, then hangs up

    @property
    def answers(self) -> bool:
        """Whether the phone picks up at all."""
        return self.behaviour in ANSWERS

    def digits_for_prompt(self) -> str:
        """The keys pressed at a Gather on this phone."""
        if self.behaviour is PhoneBehaviour.ACCEPT:
            return "1"
        if self.behaviour is PhoneBehaviour.DECLINE:
            return "2"
        return ""


@dataclass(frozen=True, slots=True)
class CallerScript:
    """What the person placing an inbound call does.

    `digits` are pressed at the caller's Gathers in order ("" = presses nothing). The caller
    hangs up during the n-th Say (`hang_up_during_say`, 1-based; e.g. 1 = before the greeting
    ends) or during the n-th Dial while it rings (`hang_up_during_dial`). At a Record the
    caller speaks for `voicemail_s` seconds (0 = says nothing and hangs up) and then hangs up,
    or presses the finish key if `finish_voicemail_with_key`.
    """

    digits: tuple[str, ...] = ()
    hang_up_during_say: int | None = None
    hang_up_during_dial: int | None = None
    voicemail_s: int = 0
    finish_voicemail_with_key: bool = False
    talk_s: int | None = None  # if set, the caller ends a connected conversation after this


@dataclass
class PhoneBook:
    """Every simulated phone: its script and its SMS inbox, keyed by E.164 number."""

    default: PhoneScript = field(default_factory=PhoneScript)
    scripts: dict[str, PhoneScript] = field(default_factory=dict)
    inboxes: dict[str, list[MessageRecord]] = field(default_factory=lambda: defaultdict(list))

    def set(
        self,
        number: str,
        behaviour: PhoneBehaviour | str,
        *,
        talk_s: int = 60,
        ring_s: int = 4,
    ) -> PhoneScript:
        """Script the phone at `number`."""
        script = PhoneScript(PhoneBehaviour(behaviour), ring_s=ring_s, talk_s=talk_s)
        self.scripts[number] = script
        return script

    def set_default(
        self, behaviour: PhoneBehaviour | str, *, talk_s: int = 60, ring_s: int = 4
    ) -> None:
        """Script every phone that has no script of its own."""
        self.default = PhoneScript(PhoneBehaviour(behaviour), ring_s=ring_s, talk_s=talk_s)

    def script_for(self, number: str) -> PhoneScript:
        """The script of `number`, or the default one."""
        return self.scripts.get(number, self.default)

    def deliver(self, message: MessageRecord) -> None:
        """Put a delivered message in the recipient's inbox."""
        self.inboxes[message.to].append(message)

    def inbox(self, number: str) -> list[MessageRecord]:
        """Messages delivered to `number`, oldest first."""
        return list(self.inboxes.get(number, []))
