"""Obvious reasons a problem has no rota, found without a solver, in a coordinator's words."""

from __future__ import annotations

from collections import defaultdict

from rota_solver.figures import could_take
from rota_solver.model import Explanation, Person, Problem, Shift
from rota_solver.words import count, names, reasons, shift_label, tier_words, why_not


def _shortage(problem: Problem, shift: Shift) -> list[Explanation]:
    tier = [p for p in problem.people if p.tier == shift.tier]
    able = [p for p in tier if could_take(p, shift)]
    unable = [p for p in tier if not could_take(p, shift)]
    found: list[Explanation] = []
    ids = [f"cover:{shift.id}", *(f"unavailable:{p.id}" for p in unable)]
    if len(able) < shift.required:
        if not tier:
            message = f"{shift_label(shift)}: {shift.required} needed, but nobody is in that tier"
        elif not able:
            who = f"all {len(tier)} are" if len(tier) > 1 else "the only one is"
            message = (
                f"{shift_label(shift)}: {shift.required} needed, none available: "
                f"{who} unavailable: {reasons(unable, shift)}"
            )
        else:
            message = (
                f"{shift_label(shift)}: {shift.required} needed, only {len(able)} available "
                f"({names(able)}); the other {len(unable)} are unavailable: "
                f"{reasons(unable, shift)}"
            )
        found.append(Explanation(message, tuple(ids)))
    for need in shift.skills:
        skilled = [p for p in tier if need.skill in p.skills]
        ready = [p for p in skilled if could_take(p, shift)]
        label = f"{shift_label(shift)}: at least {need.min} with {need.skill} needed"
        rule = f"skill:{shift.id}:{need.skill}"
        if need.min > shift.required:
            found.append(
                Explanation(f"{label}, but the shift takes only {shift.required}", (rule,))
            )
        elif len(ready) < need.min:
            if not skilled:
                why = f"no {tier_words(shift.tier)} has {need.skill}"
            else:
                away = [p for p in skilled if p not in ready]
                why = f"{len(ready)} available" + (f" ({names(ready)})" if ready else "")
                if away:
                    why += f"; the others with {need.skill} are unavailable: {reasons(away, shift)}"
            ids2 = (rule, *(f"unavailable:{p.id}" for p in skilled if p not in ready))
            found.append(Explanation(f"{label}, {why}", ids2))
    return found


def _pins(problem: Problem) -> list[Explanation]:
    shifts = {s.id: s for s in problem.shifts}
    people = {p.id: p for p in problem.people}
    base: set[tuple[str, str]] = set()
    if problem.baseline is not None:
        base = {(a.shift, a.person) for a in problem.baseline.assignments}
    found: list[Explanation] = []
    on_shift: dict[str, list[Person]] = defaultdict(list)
    for pin in problem.pinned:
        shift, person = shifts[pin.shift], people[pin.person]
        on_shift[shift.id].append(person)
        rule = f"pin:{shift.id}:{person.id}"
        pinned = f"{person.name or person.id} is pinned to {shift_label(shift)}"
        if problem.is_frozen(shift):
            if (shift.id, person.id) not in base:
                found.append(
                    Explanation(f"{pinned}, but that shift is already fixed without them", (rule,))
                )
        elif person.tier != shift.tier:
            found.append(Explanation(f"{pinned}, but is a {tier_words(person.tier)}", (rule,)))
        elif not could_take(person, shift):
            found.append(
                Explanation(
                    f"{pinned}, but is unavailable then: {why_not(person, shift)}",
                    (rule, f"unavailable:{person.id}"),
                )
            )
    for sid, pinned_people in on_shift.items():
        shift = shifts[sid]
        if not problem.is_frozen(shift) and len(pinned_people) > shift.required:
            found.append(
                Explanation(
                    f"{shift_label(shift)}: {len(pinned_people)} are pinned "
                    f"({names(pinned_people)}) but only {shift.required} needed",
                    tuple(f"pin:{sid}:{p.id}" for p in pinned_people),
                )
            )
    return found


def _minimums(problem: Problem) -> list[Explanation]:
    found: list[Explanation] = []
    held: set[tuple[str, str]] = set()
    if problem.baseline is not None:
        held = {(a.shift, a.person) for a in problem.baseline.assignments}
    for person in problem.people:
        if person.min_shifts is None:
            continue
        possible = [
            s
            for s in problem.shifts
            if (((s.id, person.id) in held) if problem.is_frozen(s) else could_take(person, s))
        ]
        if len(possible) < person.min_shifts:
            found.append(
                Explanation(
                    f"{person.name or person.id} must take at least "
                    f"{count(person.min_shifts, 'shift')}, but could take only {len(possible)}",
                    (f"min_shifts:{person.id}", f"unavailable:{person.id}"),
                )
            )
    return found


def precheck(problem: Problem) -> list[Explanation]:
    """Every obvious conflict: short-staffed shifts, missing skills, impossible pins, minimums."""
    found: list[Explanation] = []
    for shift in problem.shifts:
        if not problem.is_frozen(shift):
            found.extend(_shortage(problem, shift))
    found.extend(_pins(problem))
    found.extend(_minimums(problem))
    return found
