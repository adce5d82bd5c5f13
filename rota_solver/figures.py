"""Exact targets, deviations and objective figures of a rota, as the spec defines them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from fractions import Fraction

from rota_solver.model import (
    Assignment,
    CategoryFigures,
    Objective,
    Person,
    PersonFigures,
    Problem,
    Shift,
    TierFigures,
)


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Half-open intervals [a_start, a_end) and [b_start, b_end) share a moment."""
    return a_start < b_end and b_start < a_end


def could_take(person: Person, shift: Shift) -> bool:
    """The spec's "could take": same tier, fte above 0, no overlap with leave."""
    return (
        person.tier == shift.tier
        and person.fte > 0
        and not any(overlaps(shift.start, shift.end, u.start, u.end) for u in person.unavailable)
    )


def _shares(problem: Problem, amount: dict[str, Fraction]) -> dict[str, Fraction]:
    """Split each tier's total by fte × the part each person could take."""
    result: dict[str, Fraction] = {}
    for tier in problem.tiers:
        shifts = [s for s in problem.shifts if s.tier == tier]
        total = sum((amount[s.id] * s.required for s in shifts), Fraction(0))
        people = [p for p in problem.people if p.tier == tier]
        avail = {
            p.id: sum((amount[s.id] * s.required for s in shifts if could_take(p, s)), Fraction(0))
            for p in people
        }
        # avail(i)/L_T cancels in the share, so the absolute amounts are used directly.
        weights = {p.id: p.fte * avail[p.id] for p in people}
        denominator = sum(weights.values(), Fraction(0))
        for p in people:
            result[p.id] = weights[p.id] * total / denominator if denominator else Fraction(0)
    return result


def load_targets(problem: Problem) -> dict[str, Fraction]:
    """target(i) for every person: share of the tier's weighted places."""
    return _shares(problem, {s.id: s.weight for s in problem.shifts})


def category_targets(problem: Problem, category: str) -> dict[str, Fraction]:
    """target_c(i) for every person: share of the tier's places in category c."""
    return _shares(
        problem, {s.id: Fraction(1 if category in s.categories else 0) for s in problem.shifts}
    )


def spread_pair_count(problem: Problem, starts: Iterable[datetime]) -> int:
    """Pairs of one person's shift starts closer than spread_hours."""
    if problem.rules.spread_hours is None:
        return 0
    limit = timedelta(hours=float(problem.rules.spread_hours))
    ordered = sorted(starts)
    return sum(1 for i, a in enumerate(ordered) for b in ordered[i + 1 :] if abs(b - a) < limit)


def broken_request_weight(problem: Problem, given: set[tuple[str, str]]) -> Fraction:
    """Sum of the weights of requests the rota does not honour."""
    shifts = {s.id: s for s in problem.shifts}
    total = Fraction(0)
    for request in problem.requests:
        if request.shift is not None:
            hit = (request.shift, request.person) in given
        else:
            assert request.start is not None and request.end is not None
            hit = any(
                overlaps(shifts[sid].start, shifts[sid].end, request.start, request.end)
                for sid, pid in given
                if pid == request.person
            )
        if hit == (request.kind == "avoid"):
            total += request.weight
    return total


def change_count(problem: Problem, given: set[tuple[str, str]]) -> int | None:
    """Shift-person pairs added or removed relative to the baseline (None without one)."""
    if problem.baseline is None:
        return None
    base = {(a.shift, a.person) for a in problem.baseline.assignments}
    return len(base ^ given)


def evaluate(
    problem: Problem, assignments: Iterable[Assignment]
) -> tuple[tuple[PersonFigures, ...], Objective, dict[str, TierFigures]]:
    """Every reported figure of a rota, computed exactly and rounded only at the end."""
    given = {(a.shift, a.person) for a in assignments}
    shifts = {s.id: s for s in problem.shifts}
    mine: dict[str, list[Shift]] = defaultdict(list)
    for sid, pid in given:
        mine[pid].append(shifts[sid])
    targets = load_targets(problem)
    cat_targets = {c: category_targets(problem, c) for c in problem.categories}
    people: list[PersonFigures] = []
    fairness = category_fairness = Fraction(0)
    devs: dict[str, list[Fraction]] = defaultdict(list)
    for p in problem.people:
        load = sum((s.weight for s in mine[p.id]), Fraction(0))
        dev = p.balance.get("load", Fraction(0)) + load - targets[p.id]
        fairness += dev * dev
        devs[p.tier].append(dev)
        cats: dict[str, CategoryFigures] = {}
        for c in problem.categories:
            count = sum(1 for s in mine[p.id] if c in s.categories)
            cdev = p.balance.get(c, Fraction(0)) + count - cat_targets[c][p.id]
            category_fairness += cdev * cdev
            cats[c] = CategoryFigures(count, float(cat_targets[c][p.id]), float(cdev))
        people.append(
            PersonFigures(p.id, p.tier, float(load), float(targets[p.id]), float(dev), cats)
        )
    objective = Objective(
        changes=change_count(problem, given),
        fairness=float(fairness),
        category_fairness=float(category_fairness),
        broken_requests=float(broken_request_weight(problem, given)),
        spread_pairs=sum(spread_pair_count(problem, [s.start for s in v]) for v in mine.values()),
    )
    tiers = {
        t: TierFigures(float(max(devs[t])), float(min(devs[t]))) for t in problem.tiers if devs[t]
    }
    return tuple(people), objective, tiers
