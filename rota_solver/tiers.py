"""Splitting a problem into one problem per tier, which share no person, shift or rule.

Every hard rule binds one shift or one person, and every figure is a sum over people (or over
shifts, for changes), so a rota is the union of the tiers' rotas and each figure the sum of the
tiers' parts. Minimising in order tier by tier is then exact: the first figure's optimum is the
sum of the tiers' optima, and holding it there holds every tier at its own optimum, and so on
down the order. Each tier's model is smaller and its search does not wait on the other's.
"""

from __future__ import annotations

from dataclasses import replace

from rota_solver.model import Baseline, Problem


def split_by_tier(problem: Problem) -> list[Problem] | None:
    """One problem per tier that has shifts or people, or None when the tiers are linked.

    Tiers are linked (and solved together) when a request or a baseline assignment pairs a
    person with a shift of another tier: such a pair counts against the person's own figures.
    """
    tier_of_shift = {s.id: s.tier for s in problem.shifts}
    tier_of_person = {p.id: p.tier for p in problem.people}
    pairs = [(a.shift, a.person) for a in problem.pinned]
    if problem.baseline is not None:
        pairs += [(a.shift, a.person) for a in problem.baseline.assignments]
    pairs += [(q.shift, q.person) for q in problem.requests if q.shift is not None]
    if any(tier_of_shift[s] != tier_of_person[p] for s, p in pairs):
        return None
    parts = []
    for tier in problem.tiers:
        shifts = tuple(s for s in problem.shifts if s.tier == tier)
        people = tuple(p for p in problem.people if p.tier == tier)
        if not shifts and not people:
            continue
        baseline = problem.baseline
        if baseline is not None:
            mine = tuple(a for a in baseline.assignments if tier_of_shift[a.shift] == tier)
            baseline = Baseline(mine, baseline.frozen_before)
        parts.append(
            replace(
                problem,
                tiers=(tier,),
                shifts=shifts,
                people=people,
                requests=tuple(q for q in problem.requests if tier_of_person[q.person] == tier),
                pinned=tuple(a for a in problem.pinned if tier_of_shift[a.shift] == tier),
                baseline=baseline,
            )
        )
    return parts if len(parts) > 1 else None
