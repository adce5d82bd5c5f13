"""A quick lower bound on a tier's fairness: the linear relaxation of the counting model (GLOP).

When the fair shares cannot all be met (too few people with a skill that many shifts need, say),
the cheapest split of the tier's total ignoring skills is far below the optimum, and a budget
grown from it leaves too many options. This LP keeps the kinds and skill minimums: counts are
fractional and each person's cost is the secant envelope of their exact costs, so its optimum
is a lower bound (up to floating point), often within a few per cent, found in milliseconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from ortools.linear_solver import pywraplp

from rota_solver.build import RotaModel
from rota_solver.objectives import most_shifts
from rota_solver.squares import Figure, weight_unit

Kind = tuple[str, Fraction, tuple[str, ...], tuple[tuple[str, int], ...]]


@dataclass(frozen=True, slots=True)
class LpBound:
    """The LP's value, and its prices: per kind (its total) and per kind and skill (minimum)."""

    value: int
    kind_price: dict[Kind, float]
    skill_price: dict[tuple[Kind, str], float]
    constant: float  # Σ price × places over kinds, + Σ price × minimum over skills


def fairness_lp_bound(
    rm: RotaModel, tier: str, fairness: Figure, kinds: dict[Kind, list[int]]
) -> LpBound | None:
    """About the least scaled fairness of the tier over every rota (None if GLOP fails).

    It only says where to start looking for a budget and which prices to prune options by
    (any prices give valid pruning); nothing relies on it being exact."""
    problem = rm.problem
    solver = pywraplp.Solver.CreateSolver("GLOP")
    if solver is None:
        return None
    unit = weight_unit([s.weight for s in problem.shifts])
    pinned = {(a.shift, a.person) for a in problem.pinned}
    kinds = {k: v for k, v in kinds.items() if k[0] == tier}
    terms = {t.person: t for t in fairness.terms if t.tier == tier}
    n: dict[tuple[int, int], pywraplp.Variable] = {}
    objective = solver.Objective()
    for pi, p in enumerate(problem.people):
        if p.tier != tier or pi not in terms:
            continue
        t = terms[pi]
        load = []
        for k, (kind, shifts) in enumerate(kinds.items()):
            mine = [si for si in shifts if (si, pi) in rm.x]
            low = sum(1 for si in mine if (problem.shifts[si].id, p.id) in pinned)
            cap = max(most_shifts(rm, pi, mine), low)
            if cap:
                n[pi, k] = solver.NumVar(low, cap, "")
                load.append((int(kind[1] * unit), n[pi, k]))
        free = [si for si in rm.candidates(pi) if (si, pi) in rm.x]
        if load:
            total = solver.Constraint(0, most_shifts(rm, pi, free))
            for _, var in load:
                total.SetCoefficient(var, 1)
        if len(t.costs) < 2 or not load:
            objective.SetOffset(objective.offset() + min(t.costs))
            continue
        cost = solver.NumVar(min(t.costs), max(t.costs), "")
        objective.SetCoefficient(cost, 1)
        for j in range(len(t.costs) - 1):
            # cost ≥ c_j + slope·(value − lo − j), value = lo + Σ units·n
            slope = t.costs[j + 1] - t.costs[j]
            row = solver.Constraint(t.costs[j] - slope * j, solver.infinity())
            row.SetCoefficient(cost, 1)
            for units, var in load:
                row.SetCoefficient(var, -slope * units)
    totals: dict[Kind, pywraplp.Constraint] = {}
    minimums: dict[tuple[Kind, str], pywraplp.Constraint] = {}
    for k, (kind, shifts) in enumerate(kinds.items()):
        takers = [pi for pi in range(len(problem.people)) if (pi, k) in n]
        places = sum(problem.shifts[si].required for si in shifts)
        totals[kind] = solver.Constraint(places, places)
        for pi in takers:
            totals[kind].SetCoefficient(n[pi, k], 1)
        for skill, need in kind[3]:
            row = solver.Constraint(need * len(shifts), solver.infinity())
            minimums[kind, skill] = row
            for pi in takers:
                if skill in problem.people[pi].skills:
                    row.SetCoefficient(n[pi, k], 1)
    objective.SetMinimization()
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    value = objective.Value()
    kind_price = {kind: row.dual_value() for kind, row in totals.items()}
    # A minimum's price must not be negative for the pruning to stay valid.
    skill_price = {key: max(0.0, row.dual_value()) for key, row in minimums.items()}
    constant = sum(price * totals[kind].lb() for kind, price in kind_price.items())
    constant += sum(price * minimums[key].lb() for key, price in skill_price.items())
    return LpBound(
        math.floor(value - 1e-6 * abs(value) - 1),  # a little below, for rounding
        kind_price,
        skill_price,
        constant,
    )
