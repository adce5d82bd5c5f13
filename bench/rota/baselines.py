"""The schedulers people use today, to compare fairness against: plain rotations."""

from __future__ import annotations

from datetime import datetime, timedelta
from fractions import Fraction

from rota_solver.check_figures import takeable
from rota_solver.model import Assignment, Person, Problem


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


def greedy_legal(problem: Problem) -> list[Assignment]:
    """A hand-made-looking rota: each place, in time order, goes to the available person with
    the least load for their FTE who keeps rest, windows and the shift's skill need; only when
    nobody does is a rule given way."""
    rest = timedelta(hours=float(problem.rules.min_rest_hours))
    taken: dict[str, list[tuple[datetime, datetime]]] = {p.id: [] for p in problem.people}
    load: dict[str, Fraction] = {p.id: Fraction(0) for p in problem.people}
    rota: list[Assignment] = []

    def fits(person: Person, start: datetime, end: datetime) -> bool:
        mine = taken[person.id]
        if any(start < e + rest and s < end + rest for s, e in mine):
            return False
        for window in problem.rules.windows:
            span = timedelta(hours=float(window.hours))
            near = [s for s, _ in mine if abs(s - start) < span]
            if len(near) >= window.max:
                return False
        return True

    for shift in sorted(problem.shifts, key=lambda s: s.start):
        able = [p for p in problem.people if p.fte > 0 and takeable(p, shift)]
        able.sort(key=lambda p: (load[p.id] / p.fte, p.id))
        legal = [p for p in able if fits(p, shift.start, shift.end)]
        chosen: list[Person] = []
        for need in shift.skills:
            skilled = [p for p in legal if need.skill in p.skills and p not in chosen]
            chosen += skilled[: max(0, need.min - sum(need.skill in p.skills for p in chosen))]
        for pool in (legal, able):
            chosen += [p for p in pool if p not in chosen][: shift.required - len(chosen)]
        for person in chosen[: shift.required]:
            rota.append(Assignment(shift.id, person.id))
            taken[person.id].append((shift.start, shift.end))
            load[person.id] += shift.weight
    return rota
