"""How explanations name times, tiers and people in a coordinator's words."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from fractions import Fraction

from rota_solver.model import Person, Shift

_TIER_WORDS = {"worker": "first-line worker", "manager": "senior manager"}
_MAX_NAMES = 8


def when(moment: datetime) -> str:
    """'Fri 8 Jan 17:00', in the offset the time was given in."""
    return f"{moment:%a} {moment.day} {moment:%b %H:%M}"


def shift_label(shift: Shift) -> str:
    """'Fri 8 Jan 17:00 to Mon 11 Jan 09:00, senior manager'."""
    return f"{when(shift.start)} to {when(shift.end)}, {tier_words(shift.tier)}"


def tier_words(tier: str) -> str:
    return _TIER_WORDS.get(tier, tier)


def name(person: Person) -> str:
    return person.name or person.id


def names(people: Sequence[Person]) -> str:
    """'A, B and C', cut short with '…' after a handful."""
    shown = [name(p) for p in people[:_MAX_NAMES]]
    if len(people) > _MAX_NAMES:
        return ", ".join(shown) + ", …"
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def hours(value: Fraction) -> str:
    return f"{float(value):g}"


def why_not(person: Person, shift: Shift) -> str:
    """The reason a person of the shift's tier cannot take it."""
    if person.fte == 0:
        return "not rostered (fte 0)"
    for leave in person.unavailable:
        if leave.start < shift.end and shift.start < leave.end:
            return leave.reason or "unavailable"
    return "available"


def reasons(people: Sequence[Person], shift: Shift) -> str:
    """'annual leave (A, B); training (C)' for the people who cannot take the shift."""
    grouped: dict[str, list[Person]] = {}
    for person in people:
        grouped.setdefault(why_not(person, shift), []).append(person)
    return "; ".join(f"{reason} ({names(group)})" for reason, group in grouped.items())


def count(n: int | None, noun: str) -> str:
    """'1 shift', '2 shifts'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
