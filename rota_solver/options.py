"""The counting relaxation with every person's possible counts spelt out as options.

Each person picks exactly one option: how many shifts of each kind they take, priced exactly
by the same integer cost tables as the rota model. Its LP relaxation is the convex hull of each
person's options, far tighter than counting variables, so CP-SAT proves it quickly while the
number of options stays small (a month; not a year).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from fractions import Fraction

from ortools.sat.python import cp_model

from rota_solver.build import RotaModel
from rota_solver.objectives import most_shifts
from rota_solver.squares import Figure, weight_unit

Kind = tuple[str, Fraction, tuple[str, ...], tuple[tuple[str, int], ...]]

# Above this many options for one person, the plain counting model is used instead.
MAX_OPTIONS = 3000


class OptionModel:
    """z[person, option] booleans for one tier, with exact fairness and category costs."""

    def __init__(
        self,
        rm: RotaModel,
        tier: str,
        kinds: dict[Kind, list[int]],
        figures: Sequence[Figure],
        budget: int | None = None,
    ) -> None:
        """`budget` bounds the tier's fairness cost in every solution of interest; with it,
        each person keeps only the loads that could fit beside everyone else's minimum."""
        problem = rm.problem
        self.model = cp_model.CpModel()
        self.kinds = [k for k in kinds if k[0] == tier]
        unit = weight_unit([s.weight for s in problem.shifts])
        tables = {(t.person, t.category): t for f in figures for t in f.terms}
        pinned = {(a.shift, a.person) for a in problem.pinned}
        self.options: dict[int, list[tuple[tuple[int, ...], cp_model.IntVar]]] = {}
        self.cost: dict[str, list[tuple[int, cp_model.IntVar]]] = {f.name: [] for f in figures}
        self.too_many = False
        totals: dict[Kind, list[tuple[int, cp_model.IntVar]]] = {k: [] for k in self.kinds}
        skilled: dict[tuple[Kind, str], list[tuple[int, cp_model.IntVar]]] = {}
        loads = {t.person: t for t in tables.values() if t.category == "" and t.tier == tier}
        floor = sum(min(t.costs) for t in loads.values())
        for pi, p in enumerate(problem.people):
            if p.tier != tier:
                continue
            caps, lows = [], []
            for kind in self.kinds:
                caps.append(sum(1 for si in kinds[kind] if (si, pi) in rm.x))
                lows.append(sum(1 for si in kinds[kind] if (problem.shifts[si].id, p.id) in pinned))
            free = [si for si in rm.candidates(pi) if (si, pi) in rm.x]
            held = len(rm.candidates(pi)) - len(free)
            most = most_shifts(rm, pi, free)
            least = 0 if p.min_shifts is None else p.min_shifts - held
            units = [int(k[1] * unit) for k in self.kinds]
            window = (0, sum(u * c for u, c in zip(units, caps, strict=True)))
            fits: set[int] | None = None
            load = loads.get(pi)
            if budget is not None and load is not None:
                slack = budget - floor + min(load.costs)
                fits = {k for k, cost in enumerate(load.costs) if cost <= slack}
                window = (min(fits, default=0), max(fits, default=-1))
            vectors = _vectors(caps, lows, units, window, most)
            ranges = list(itertools.islice(vectors, MAX_OPTIONS + 1))
            if len(ranges) > MAX_OPTIONS:
                self.too_many = True
                return
            # (figure, table, units per kind) for this person's squared terms.
            mine = [
                (
                    "fairness" if t.category == "" else "category_fairness",
                    t,
                    [
                        int(k[1] * unit) if t.category == "" else int(t.category in k[2])
                        for k in self.kinds
                    ],
                )
                for (person, _), t in tables.items()
                if person == pi
            ]
            choices = []
            for vector in ranges:
                if sum(vector) < least:
                    continue
                if (
                    fits is not None
                    and sum(u * n for u, n in zip(units, vector, strict=True)) not in fits
                ):
                    continue
                costs = dict.fromkeys(self.cost, 0)
                for name, t, per in mine:
                    index = sum(u * n for u, n in zip(per, vector, strict=True))
                    if index >= len(t.costs):
                        break  # beyond what the person could reach (windows, max_shifts)
                    costs[name] = costs.get(name, 0) + t.costs[index]
                else:
                    z = self.model.new_bool_var("")
                    choices.append((vector, z))
                    for kind, n in zip(self.kinds, vector, strict=True):
                        if n:
                            totals[kind].append((n, z))
                            for skill, _ in kind[3]:
                                if skill in p.skills:
                                    skilled.setdefault((kind, skill), []).append((n, z))
                    for name, cost in costs.items():
                        if cost and name in self.cost:
                            self.cost[name].append((cost, z))
            self.model.add_exactly_one(z for _, z in choices)
            self.options[pi] = choices
        for kind in self.kinds:
            places = sum(problem.shifts[si].required for si in kinds[kind])
            self.model.add(_sum(totals[kind]) == places)
            for skill, need in kind[3]:
                self.model.add(_sum(skilled.get((kind, skill), [])) >= need * len(kinds[kind]))

    def expr(self, name: str) -> cp_model.LinearExprT:
        return _sum(self.cost[name])

    def exclude(self, counts: dict[tuple[int, Kind], int]) -> None:
        """Forbid this exact combination of everyone's counts (no rota realises it)."""
        chosen: list[cp_model.LiteralT] = []
        for pi, choices in self.options.items():
            vector = tuple(counts.get((pi, kind), 0) for kind in self.kinds)
            chosen.extend(z.negated() for v, z in choices if v == vector)
        self.model.add_bool_or(chosen)

    def counts(self, solver: cp_model.CpSolver) -> dict[tuple[int, Kind], int]:
        chosen: dict[tuple[int, Kind], int] = {}
        for pi, choices in self.options.items():
            for vector, z in choices:
                if solver.boolean_value(z):
                    for kind, n in zip(self.kinds, vector, strict=True):
                        chosen[pi, kind] = n
        return chosen


def _sum(terms: list[tuple[int, cp_model.IntVar]]) -> cp_model.LinearExprT:
    return cp_model.LinearExpr.weighted_sum([z for _, z in terms], [c for c, _ in terms])


def _vectors(
    caps: list[int], lows: list[int], units: list[int], window: tuple[int, int], most: int
) -> Iterator[tuple[int, ...]]:
    """Counts per kind within caps, at most `most` shifts, whose units sum lies in window."""
    reach = [0] * (len(caps) + 1)  # most units the kinds from k on can still add
    for k in range(len(caps) - 1, -1, -1):
        reach[k] = reach[k + 1] + units[k] * caps[k]

    def walk(k: int, total: int, shifts: int, prefix: tuple[int, ...]) -> Iterator[tuple[int, ...]]:
        if k == len(caps):
            if window[0] <= total <= window[1]:
                yield prefix
            return
        for n in range(lows[k], caps[k] + 1):
            value = total + units[k] * n
            if shifts + n > most or value > window[1]:
                break
            if value + reach[k + 1] < window[0]:
                continue
            yield from walk(k + 1, value, shifts + n, (*prefix, n))

    return walk(0, 0, 0, ())
