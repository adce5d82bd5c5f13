"""Lower bounds for the fairness and request stages from a counting relaxation of the rota.

Fairness depends only on how many shifts of each kind each person gets. Forgetting which
shift is which (keeping per-kind availability, skill minimums, and per-person count limits)
leaves a small integer model whose optimum is a valid lower bound on the real one, and that
is usually tight: handing the bound to the rota model lets CP-SAT stop as soon as it meets it.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from ortools.sat.python import cp_model

from rota_solver.budget import least_total
from rota_solver.build import RotaModel
from rota_solver.lpbound import LpBound, fairness_lp_bound
from rota_solver.objectives import (
    ValueOf,
    category_figure,
    fairness_figure,
    most_shifts,
    unit_range,
)
from rota_solver.options import Fixed, OptionModel
from rota_solver.params import solver_for
from rota_solver.request_bound import RequestBound
from rota_solver.squares import Figure

_RELAXED = ("fairness", "category_fairness")  # figures the counting model can price

Kind = tuple[str, Fraction, tuple[str, ...], tuple[tuple[str, int], ...]]


class CountModel:
    """n[person, kind]: how many shifts of a kind (tier, weight, categories, skills) each takes."""

    def __init__(self, rm: RotaModel, tier: str | None = None) -> None:
        self.rm = rm
        self.model = cp_model.CpModel()
        problem = rm.problem
        members = {k: v for k, v in self.kinds(rm).items() if tier is None or k[0] == tier}
        self.members = members
        pinned = {(a.shift, a.person) for a in problem.pinned}
        self.n: dict[tuple[int, Kind], cp_model.IntVar] = {}
        for pi, p in enumerate(problem.people):
            if tier is not None and p.tier != tier:
                continue
            total: list[cp_model.IntVar] = []
            for kind, shifts in members.items():
                cap = most_shifts(rm, pi, [si for si in shifts if (si, pi) in rm.x])
                if cap:
                    low = sum(1 for si in shifts if (problem.shifts[si].id, p.id) in pinned)
                    self.n[pi, kind] = self.model.new_int_var(low, cap, "")
                    total.append(self.n[pi, kind])
            free = [si for si in rm.candidates(pi) if (si, pi) in rm.x]
            held = len(rm.candidates(pi)) - len(free)
            self.model.add(sum(total) <= most_shifts(rm, pi, free))
            if p.min_shifts is not None:
                self.model.add(sum(total) >= p.min_shifts - held)
        for kind, shifts in members.items():
            takers = [pi for pi in range(len(problem.people)) if (pi, kind) in self.n]
            places = sum(problem.shifts[si].required for si in shifts)
            self.model.add(sum(self.n[pi, kind] for pi in takers) == places)
            for skill, need in kind[3]:
                skilled = [pi for pi in takers if skill in problem.people[pi].skills]
                self.model.add(sum(self.n[pi, kind] for pi in skilled) >= need * len(shifts))

    @staticmethod
    def kinds(rm: RotaModel) -> dict[Kind, list[int]]:
        """Open shifts grouped by everything fairness and skills can tell apart."""
        members: dict[Kind, list[int]] = defaultdict(list)
        for si, s in enumerate(rm.problem.shifts):
            if not rm.frozen[si]:
                skills = tuple(sorted((k.skill, k.min) for k in s.skills))
                members[s.tier, s.weight, s.categories, skills].append(si)
        return members

    def values(self) -> ValueOf:
        """Σ units over a person's shifts, counted by kind."""

        def value_of(pi: int, units: dict[int, int]) -> tuple[cp_model.LinearExprT, int, int]:
            held, most = unit_range(self.rm, pi, units)
            terms = [
                (units.get(shifts[0], 0), self.n[pi, kind])
                for kind, shifts in self.members.items()
                if (pi, kind) in self.n and units.get(shifts[0], 0)
            ]
            expr = cp_model.LinearExpr.weighted_sum([v for _, v in terms], [u for u, _ in terms])
            return expr + held, held, most

        return value_of


@dataclass(frozen=True, slots=True)
class Relaxed:
    """A lower bound on a scaled figure and the counts by kind that reach it."""

    bound: int
    fixed: list[Fixed]  # (person, shifts, how many of them) that reach the bound
    proven: bool
    per_tier: bool  # solved tier by tier with options, so impossible counts can be excluded
    choice: dict[int, tuple[int, ...]]  # each person's option, when options were used
    # The request-group models that bounded broken requests (request_bound.py), kept for the
    # spread stage's check that a rota without close pairs can exist.
    requests: tuple[RequestBound, ...] = ()


def relax(
    rm: RotaModel,
    name: str,
    held: dict[str, dict[str, int]],
    seconds: float,
    workers: int,
    seed: int,
    track: Callable[[cp_model.CpSolver], None] | None = None,
    exact: dict[str, Figure] | None = None,
    deterministic: bool = False,
    excluded: dict[str, list[dict[int, tuple[int, ...]]]] | None = None,
    at_least: int | None = None,
) -> Relaxed | None:
    """Solve the counting relaxation for figure `name` (fairness, category_fairness, or
    broken_requests, which only the per-tier option model can bound).

    `held[figure][tier]` are the limits already fixed for earlier figures, per tier, or for
    the whole figure under the tier "". Tiers share no people or shifts, so with per-tier limits
    each tier is a separate, much smaller, problem and the bounds add up. `excluded[tier]`
    lists count combinations already found impossible for the rota (only for option models).
    """
    started = time.monotonic()
    problem = rm.problem
    joint = any("" in limits for limits in held.values())
    groups: list[str | None] = [None] if joint else list(problem.tiers)
    bound, proven = 0, True
    fixed: list[Fixed] = []
    choice: dict[int, tuple[int, ...]] = {}
    exact_tiers = True
    kept: list[RequestBound] = []
    for position, tier in enumerate(groups):
        options = None
        if tier is not None and exact is not None:
            figs = [exact[f] for f in _RELAXED if f in exact]
            budget = held.get("fairness", {}).get(tier)
            split = name == "broken_requests"
            limits = {f: lim[tier] for f, lim in held.items() if f in _RELAXED and tier in lim}
            kinds = CountModel.kinds(rm)
            lp = fairness_lp_bound(rm, tier, exact["fairness"], kinds)
            if budget is None:
                # A budget a little above the least possible cost leaves each person only the
                # loads near their target: far fewer options, for a long period or many people.
                floor = at_least if name == "fairness" else None
                budget, options = _coupled_budget(
                    rm,
                    tier,
                    kinds,
                    figs,
                    split,
                    seconds * 0.8,
                    workers,
                    seed,
                    deterministic,
                    floor,
                    lp,
                )
                if budget is not None:
                    limits.setdefault("fairness", budget)
            if options is None or limits != {"fairness": budget}:
                # Past the fairness stage its held value prices options tightly: many may be
                # enumerated and the pricing left to prune them.
                wide = name != "fairness" and not split
                options = OptionModel(rm, tier, kinds, figs, budget, split, limits, lp, wide)
            if options.too_many and budget is None:
                # No such budget found: a quick counting solution's cost is one.
                budget = _quick_budget(
                    rm, tier, min(2.0, seconds / 4), workers, seed, deterministic
                )
                if budget is not None:
                    # The relaxation's optimum is within it, so it may prune options too.
                    limits.setdefault("fairness", budget)
                    options = OptionModel(rm, tier, kinds, figs, budget, split, limits, lp)
        requests: RequestBound | None = None
        if options is not None and options.too_many and name == "broken_requests":
            # Too many options split by requests: options over kinds, counts per request group.
            assert tier is not None
            by_kind = OptionModel(rm, tier, kinds, figs, budget, False, limits, lp, wide=True)
            if not by_kind.too_many:
                requests = RequestBound(rm, by_kind)
        if requests is not None:
            target: cp_model.CpModel = requests.model
            target.minimize(requests.expr)
            if at_least is not None:
                target.add(requests.expr >= at_least)
        elif options is not None and not options.too_many:
            assert tier is not None
            target = options.model
            target.minimize(options.expr(name))
            if at_least is not None:
                target.add(options.expr(name) >= at_least)  # no rota is below it
            for counts_seen in (excluded or {}).get(tier, []):
                options.exclude(counts_seen)
        else:
            if name not in ("fairness", "category_fairness"):
                return None
            options = None
            exact_tiers = False
            model = CountModel(rm, tier)
            target = model.model
            figures: dict[str, Figure] = {
                "fairness": fairness_figure(target, problem, model.values(), tier),
                "category_fairness": category_figure(target, problem, model.values(), tier),
            }
            for earlier, limits in held.items():
                if earlier not in figures:
                    continue  # the relaxation knows nothing of changes; leaving them out is safe
                for part, limit in limits.items():
                    f = figures[earlier]
                    expr = f.expr if part == "" else f.parts.get(part)
                    if expr is not None:
                        target.add(expr <= limit)
            target.minimize(figures[name].expr)
            if at_least is not None:
                target.add(figures[name].expr >= at_least)
        left = seconds - (time.monotonic() - started)
        # Tiers differ wildly in size; a small one finishes early and leaves its time over.
        share = left if position == len(groups) - 1 else left * 0.8
        solver = solver_for(share, workers, seed, deterministic)
        if options is not None:
            # Presolve spends long on the option model's wide sums and gains nothing there.
            solver.parameters.cp_model_presolve = False
        if track is not None:
            track(solver)  # lets the caller stop this solve too
        status = solver.solve(target)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        # The bound, not the value: only a proven bound is safe to impose on the rota.
        bound += int(solver.best_objective_bound)
        proven = proven and status == cp_model.OPTIMAL
        if requests is not None:
            exact_tiers = False  # its counts are not options: none can be excluded
            fixed.extend(requests.fixed(solver))
            kept.append(requests)
        elif options is not None:
            picked, more = options.chosen(solver)
            choice.update(picked)
            fixed.extend(more)
        else:
            kinds = CountModel.kinds(rm)
            for (pi, kind), var in model.n.items():
                shifts = tuple(si for si in kinds[kind] if (si, pi) in rm.x)
                fixed.append((pi, shifts, int(solver.value(var))))
    return Relaxed(bound, fixed, proven, exact_tiers and not joint, choice, tuple(kept))


def _coupled_budget(
    rm: RotaModel,
    tier: str,
    kinds: dict[Kind, list[int]],
    figs: list[Figure],
    split: bool,
    seconds: float,
    workers: int,
    seed: int,
    deterministic: bool,
    at_least: int | None = None,
    lp: LpBound | None = None,
) -> tuple[int | None, OptionModel | None]:
    """The first of a few budgets above the least possible fairness cost (see budget.py) that
    some counting solution meets (at `at_least` or above, when the fairness is being bounded
    past a value no rota reaches): the relaxation's optimum lies within it. Returns the budget
    and the option model built with it, or (None, None)."""
    started = time.monotonic()
    fairness = next(f for f in figs if f.name == "fairness")
    terms = [t for t in fairness.terms if t.tier == tier]
    sums: dict[str, int | None] = {c: n for (t, c), n in fairness.totals.items() if t == tier}
    least = max(least_total(terms, sums), at_least or 0)
    # Where skills make fair shares impossible, the LP starts the search much closer (and its
    # prices prune the options far better than the cheapest split alone).
    least = max(least, lp.value if lp is not None else 0)
    step = max(least, int(fairness.scale // 4) or 1) // 100 or 1
    for _ in range(7):
        budget = least + step
        options = OptionModel(rm, tier, kinds, figs, budget, split, {"fairness": budget}, lp)
        if options.too_many:
            return None, None
        if at_least is not None:
            options.model.add(options.expr("fairness") >= at_least)
        left = seconds - (time.monotonic() - started)
        if left <= 0:
            return None, None
        solver = solver_for(left, workers, seed, deterministic)
        solver.parameters.cp_model_presolve = False
        status = solver.solve(options.model)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return budget, options
        if status != cp_model.INFEASIBLE:
            return None, None
        step *= 4
    return None, None


def _quick_budget(
    rm: RotaModel, tier: str, seconds: float, workers: int, seed: int, deterministic: bool
) -> int | None:
    """The fairness cost of some counting solution: an upper bound on the relaxation optimum."""
    model = CountModel(rm, tier)
    figure = fairness_figure(model.model, rm.problem, model.values(), tier)
    model.model.minimize(figure.expr)
    solver = solver_for(seconds, workers, seed, deterministic)
    if solver.solve(model.model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return int(solver.objective_value)


def fix_counts(
    model: cp_model.CpModel, rm: RotaModel, relaxed: Relaxed, tier: str | None = None
) -> None:
    """Hold each person (of `tier`, or everyone) to the relaxation's counts, in a copy of the
    rota model."""
    for pi, shifts, count in relaxed.fixed:
        if tier is not None and rm.problem.people[pi].tier != tier:
            continue
        xs = [model.get_bool_var_from_proto_index(rm.x[si, pi].index) for si in shifts]
        if xs:
            model.add(sum(xs) == count)
