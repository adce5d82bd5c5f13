"""Spread pairs at zero, stated as cliques: no two of a person's shifts start that close.

Counting pairs one boolean per pair gives CP-SAT a weak relaxation (every x at one half makes
no pair), so proving that a rota needs no close pair at all can take it long. When none is
needed, one at-most-one per person per window of starts says so directly and tightly, and a rota
that meets it is proven optimal at once.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import timedelta

from ortools.sat.python import cp_model

from rota_solver.build import RotaModel


def forbid_close_pairs(model: cp_model.CpModel, rm: RotaModel) -> None:
    """In `model` (a copy of the rota model), no person gets two shifts starting closer than
    spread_hours, the history of frozen shifts included."""
    problem = rm.problem
    if problem.rules.spread_hours is None:
        return
    near = timedelta(hours=float(problem.rules.spread_hours))
    shifts = problem.shifts
    for pi in range(len(problem.people)):
        mine = sorted(rm.candidates(pi), key=lambda si: shifts[si].start)
        starts = [shifts[si].start for si in mine]
        previous: set[int] = set()
        for k, t in enumerate(starts):
            # Every pair closer than `near` lies in the window starting at its earlier start.
            inside = set(mine[k : bisect_left(starts, t + near)])
            if inside <= previous or len(inside) < 2:
                continue
            previous = inside
            free = [
                model.get_bool_var_from_proto_index(rm.x[si, pi].index)
                for si in inside
                if (si, pi) in rm.x
            ]
            held = sum(1 for si in inside if (si, pi) in rm.fixed)
            if held >= 2:
                model.add_bool_or([])  # history already has a close pair: zero is impossible
                return
            if held:
                for var in free:
                    model.add(var == 0)
            elif len(free) >= 2:
                model.add_at_most_one(free)
