"""The schedulers people use today, to compare fairness against: plain rotations."""

from __future__ import annotations

from datetime import datetime

from rota_solver.check_figures import takeable
from rota_solver.model import Assignment, Problem


def round_robin(problem: Problem) -> list[Assignment]:
    """Each tier's people in list order, skipping whoever is unavailable for the shift."""
    rota: list[Assignment] = []
    for tier in problem.tiers:
        people = [p for p in problem.people if p.tier == tier and p.fte > 0]
        if not people:
            continue
        turn = 0
        for shift in sorted((s for s in problem.shifts if s.tier == tier), key=lambda s: s.start):
            taken: set[str] = set()
            for _ in range(shift.required):
                for step in range(len(people)):
                    person = people[(turn + step) % len(people)]
                    if person.id not in taken and takeable(person, shift):
                        taken.add(person.id)
                        rota.append(Assignment(shift.id, person.id))
                        turn = (turn + step + 1) % len(people)
                        break
    return rota


def least_recently_on_call(problem: Problem) -> list[Assignment]:
    """Each place goes to the available person whose last shift ended longest ago."""
    rota: list[Assignment] = []
    last: dict[str, datetime | None] = {p.id: None for p in problem.people}
    for shift in sorted(problem.shifts, key=lambda s: s.start):
        able = [p for p in problem.people if p.fte > 0 and takeable(p, shift)]
        able.sort(key=lambda p: (last[p.id] is not None, last[p.id] or shift.start, p.id))
        for person in able[: shift.required]:
            rota.append(Assignment(shift.id, person.id))
            last[person.id] = shift.end
    return rota
