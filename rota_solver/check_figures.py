"""The checker's own figures: targets, deviations and objective, recomputed with Fractions.

Deliberately independent of figures.py and the CP-SAT model, so the checker can hold the
solver to the spec.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction

from rota_solver.model import Assignment, Person, Problem, Shift


@dataclass(frozen=True, slots=True)
class PersonExact:
    load: Fraction
    target: Fraction
    dev: Fraction
    counts: dict[str, int]
    category_targets: dict[str, Fraction]
    category_devs: dict[str, Fraction]


@dataclass(frozen=True, slots=True)
class ExactFigures:
    """Every figure of the spec for one rota, exactly."""

    people: dict[str, PersonExact]
    changes: int | None
    fairness: Fraction
    category_fairness: Fraction
    broken_requests: Fraction
    spread_pairs: int
    tiers: dict[str, tuple[Fraction, Fraction]]  # (max_overload, max_underload)


def clash(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Half-open intervals overlap."""
    return a_start < b_end and b_start < a_end


def takeable(person: Person, shift: Shift) -> bool:
    """Same tier, fte above 0, no overlap with any unavailable interval."""
    if person.tier != shift.tier or person.fte <= 0:
        return False
    return not any(clash(u.start, u.end, shift.start, shift.end) for u in person.unavailable)


def targets(problem: Problem, amount: dict[str, Fraction]) -> dict[str, Fraction]:
    """share(i) × L_T, following the spec's definitions step by step."""
    out: dict[str, Fraction] = {}
    for tier in problem.tiers:
        shifts = [s for s in problem.shifts if s.tier == tier]
        total = Fraction(sum(amount[s.id] * s.required for s in shifts))
        members = [p for p in problem.people if p.tier == tier]
        avail = {}
        for p in members:
            could = Fraction(sum(amount[s.id] * s.required for s in shifts if takeable(p, s)))
            avail[p.id] = could / total if total else Fraction(0)
        norm = Fraction(sum(p.fte * avail[p.id] for p in members))
        for p in members:
            share = p.fte * avail[p.id] / norm if norm else Fraction(0)
            out[p.id] = share * total
    return out


def exact_figures(problem: Problem, assignments: Iterable[Assignment]) -> ExactFigures:
    """Recompute every figure of a rota from the spec's definitions."""
    shifts = {s.id: s for s in problem.shifts}
    given = {(a.shift, a.person) for a in assignments}
    target = targets(problem, {s.id: s.weight for s in problem.shifts})
    cat_target = {
        c: targets(problem, {s.id: Fraction(int(c in s.categories)) for s in problem.shifts})
        for c in problem.categories
    }
    people: dict[str, PersonExact] = {}
    fairness = cat_fairness = Fraction(0)
    extremes: dict[str, list[Fraction]] = defaultdict(list)
    for p in problem.people:
        mine = [shifts[sid] for sid, pid in given if pid == p.id]
        load = Fraction(sum(s.weight for s in mine))
        dev = p.balance.get("load", Fraction(0)) + load - target[p.id]
        fairness += dev**2
        extremes[p.tier].append(dev)
        counts = {c: sum(1 for s in mine if c in s.categories) for c in problem.categories}
        cdevs = {
            c: p.balance.get(c, Fraction(0)) + counts[c] - cat_target[c][p.id]
            for c in problem.categories
        }
        cat_fairness += sum((d**2 for d in cdevs.values()), Fraction(0))
        people[p.id] = PersonExact(
            load, target[p.id], dev, counts, {c: cat_target[c][p.id] for c in cdevs}, cdevs
        )
    changes = None
    if problem.baseline is not None:
        changes = len(given ^ {(a.shift, a.person) for a in problem.baseline.assignments})
    broken = Fraction(0)
    for q in problem.requests:
        if q.shift is not None:
            hit = (q.shift, q.person) in given
        else:
            hit = any(
                pid == q.person
                and q.start is not None
                and q.end is not None
                and clash(shifts[sid].start, shifts[sid].end, q.start, q.end)
                for sid, pid in given
            )
        broken += q.weight if hit == (q.kind == "avoid") else 0
    spread = 0
    if problem.rules.spread_hours is not None:
        near = timedelta(hours=float(problem.rules.spread_hours))
        for p in problem.people:
            starts = [shifts[sid].start for sid, pid in given if pid == p.id]
            spread += sum(
                1 for i, a in enumerate(starts) for b in starts[i + 1 :] if abs(b - a) < near
            )
    tiers = {t: (max(d), min(d)) for t, d in extremes.items()}
    return ExactFigures(people, changes, fairness, cat_fairness, broken, spread, tiers)
