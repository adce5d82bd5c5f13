"""Routing policy: who is rung for a line, in what order, and what they hear when they answer."""

from __future__ import annotations

from dataclasses import dataclass

from oncall.domain.duty.roster import DutySnapshot, OnDuty

FOSTERING = "fostering"


@dataclass(frozen=True, slots=True)
class Target:
    """One phone to ring, and why this person: their role for this call."""

    person_id: int | None  # None for the configured fallback number
    code: str
    name: str
    number: str
    role: str  # "duty worker", "second worker", "senior manager"


def ringing_order(policy: str, duty: DutySnapshot) -> list[Target]:
    """The line's routing policy applied to who is on duty.

    default: the first-line worker on duty, then the second if one is rostered, then the senior
    manager on call. foster: the same, but an on-duty worker with the fostering skill goes first.
    """
    workers: list[OnDuty] = list(duty.workers)
    if policy == "foster":
        workers.sort(key=lambda w: FOSTERING not in w.skills)  # stable: rota order otherwise
    roles = ["duty worker", "second worker"] + ["another worker"] * max(0, len(workers) - 2)
    targets = [
        Target(w.person_id, w.code, w.name, w.phone, role)
        for w, role in zip(workers, roles, strict=False)
    ]
    targets += [
        Target(m.person_id, m.code, m.name, m.phone, "senior manager") for m in duty.managers
    ]
    return targets


def spoken_reference(short_ref: str) -> str:
    """A reference read digit by digit ("0 4 1 2"), so it is heard right on a bad line."""
    return " ".join(short_ref)


def whisper_text(*, line_name: str, caller: str, short_ref: str, choice: str | None) -> str:
    """What the person on duty hears before deciding: line, caller, reference; never a name."""
    purpose = f", {choice}" if choice else ""
    return (
        f"Out-of-hours call from {line_name}{purpose}, {caller}, reference "
        f"{spoken_reference(short_ref)}. Press 1 to accept. Hang up to pass it on."
    )
