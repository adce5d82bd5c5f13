"""The five objective figures as integer CP-SAT expressions over a built RotaModel."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from datetime import timedelta
from fractions import Fraction

from ortools.sat.python import cp_model

from rota_solver.build import RotaModel
from rota_solver.figures import category_targets, load_targets, overlaps
from rota_solver.model import Problem
from rota_solver.squares import (
    Figure,
    SquareTerm,
    common_scale,
    square_cost,
    weight_unit,
)


def _linear(terms: list[tuple[int, cp_model.IntVar | int]]) -> cp_model.LinearExprT:
    return cp_model.LinearExpr.weighted_sum([t for _, t in terms], [c for c, _ in terms])


def most_shifts(rm: RotaModel, pi: int, free: list[int]) -> int:
    """An upper bound on how many of `free` the person can take (max_shifts and windows)."""
    shifts = rm.problem.shifts
    most = len(free)
    person = rm.problem.people[pi]
    if person.max_shifts is not None:
        most = min(most, person.max_shifts)
    if free:
        # Earliest end first takes the most shifts that keep the rest between them.
        rest = timedelta(hours=float(rm.problem.rules.min_rest_hours))
        taken, free_from = 0, None
        for si in sorted(free, key=lambda si: shifts[si].end):
            if free_from is None or shifts[si].start >= free_from:
                taken, free_from = taken + 1, shifts[si].end + rest
        most = min(most, taken)
        first = min(shifts[si].start for si in free)
        for window in rm.problem.rules.windows:
            seconds = float(window.hours) * 3600
            blocks = {int((shifts[si].start - first).total_seconds() // seconds) for si in free}
            most = min(most, window.max * len(blocks))
    return most


# (person index, unit per shift index) -> (expression, lowest, highest) of Σ units over the
# person's shifts; the rota model and the counting relaxation each supply their own.
ValueOf = Callable[[int, dict[int, int]], tuple[cp_model.LinearExprT, int, int]]


def unit_range(rm: RotaModel, pi: int, units: dict[int, int]) -> tuple[int, int]:
    """The fixed part of Σ units for a person, and the most it could reach."""
    mine = [si for si in rm.candidates(pi) if units.get(si, 0)]
    held = sum(units[si] for si in mine if (si, pi) in rm.fixed)
    free = [si for si in mine if (si, pi) in rm.x]
    top = sorted((units[si] for si in free), reverse=True)[: most_shifts(rm, pi, free)]
    return held, held + sum(top)


def rota_values(rm: RotaModel) -> ValueOf:
    """Σ units over the (shift, person) booleans of the rota model."""

    def value_of(pi: int, units: dict[int, int]) -> tuple[cp_model.LinearExprT, int, int]:
        held, most = unit_range(rm, pi, units)
        free = [si for si in rm.candidates(pi) if units.get(si, 0) and (si, pi) in rm.x]
        return _linear([(units[si], rm.x[si, pi]) for si in free]) + held, held, most

    return value_of


def _square_sum(
    model: cp_model.CpModel,
    problem: Problem,
    value_of: ValueOf,
    units: dict[int, int],
    centres: dict[int, Fraction],
    scale: int,
    category: str = "",
) -> tuple[dict[int, cp_model.LinearExprT], float, list[SquareTerm]]:
    """Squared distance of each person's Σ units[s] over their shifts from their centre."""
    costs: dict[int, cp_model.LinearExprT] = {}
    terms: list[SquareTerm] = []
    offset = 0.0
    for pi, centre in centres.items():
        value, lo, hi = value_of(pi, units)
        costs[pi], off, var, table = square_cost(model, value, (lo, hi), centre, scale)
        terms.append(SquareTerm(problem.people[pi].tier, pi, category, var, lo, table))
        offset += off
    return costs, offset, terms


def totals(
    problem: Problem, units: dict[int, int], terms: list[SquareTerm]
) -> dict[tuple[str, str], int]:
    """Σ values per tier in every rota: the held part of each person's, and every open place
    (each open shift is given to exactly `required` people of its tier)."""
    out: dict[tuple[str, str], int] = {}
    for t in terms:
        out[t.tier, t.category] = out.get((t.tier, t.category), 0) + t.lo
    category = terms[0].category if terms else ""
    for si, s in enumerate(problem.shifts):
        if units.get(si, 0) and not problem.is_frozen(s) and (s.tier, category) in out:
            out[s.tier, category] += units[si] * s.required
    return out


def _by_tier(
    problem: Problem, costs: list[tuple[int, cp_model.LinearExprT]]
) -> dict[str, cp_model.LinearExprT]:
    parts: dict[str, list[cp_model.LinearExprT]] = {}
    for pi, cost in costs:
        parts.setdefault(problem.people[pi].tier, []).append(cost)
    return {tier: sum(part) for tier, part in parts.items()}


def fairness_figure(
    model: cp_model.CpModel, problem: Problem, value_of: ValueOf, tier: str | None = None
) -> Figure:
    """Σ dev(i)² (scaled to integers), over everyone or over one tier's people."""
    unit = weight_unit([s.weight for s in problem.shifts])
    units = {si: int(s.weight * unit) for si, s in enumerate(problem.shifts)}
    targets = load_targets(problem)
    centres = {
        pi: unit * (targets[p.id] - p.balance.get("load", Fraction(0)))
        for pi, p in enumerate(problem.people)
    }
    scale = common_scale(list(centres.values()))  # from everyone, so tiers share one scale
    if tier is not None:
        centres = {pi: c for pi, c in centres.items() if problem.people[pi].tier == tier}
    costs, offset, terms = _square_sum(model, problem, value_of, units, centres, scale)
    parts = _by_tier(problem, list(costs.items()))
    return Figure(
        "fairness",
        sum(costs.values()),
        offset,
        float(scale * unit * unit),
        parts,
        tuple(terms),
        totals(problem, units, terms),
    )


def category_figure(
    model: cp_model.CpModel, problem: Problem, value_of: ValueOf, tier: str | None = None
) -> Figure:
    """Σ dev_c(i)² over people and categories (scaled to integers), optionally for one tier."""
    costs: list[tuple[int, cp_model.LinearExprT]] = []
    terms: list[SquareTerm] = []
    offset = 0.0
    sums: dict[tuple[str, str], int] = {}
    centres: dict[tuple[str, int], Fraction] = {}
    for c in problem.categories:
        targets = category_targets(problem, c)
        for pi, p in enumerate(problem.people):
            centres[c, pi] = targets[p.id] - p.balance.get(c, Fraction(0))
    scale = common_scale(list(centres.values()))
    for c in problem.categories:
        units = {si: 1 for si, s in enumerate(problem.shifts) if c in s.categories}
        mine = {
            pi: centre
            for (cat, pi), centre in centres.items()
            if cat == c and (tier is None or problem.people[pi].tier == tier)
        }
        part, off, more = _square_sum(model, problem, value_of, units, mine, scale, c)
        sums.update(totals(problem, units, more))
        costs.extend(part.items())
        terms.extend(more)
        offset += off
    parts = _by_tier(problem, costs)
    total = sum(c for _, c in costs)
    return Figure("category_fairness", total, offset, float(scale), parts, tuple(terms), sums)


def _requests(rm: RotaModel) -> Figure:
    problem, model = rm.problem, rm.model
    unit = weight_unit([q.weight for q in problem.requests])
    sidx = {s.id: i for i, s in enumerate(problem.shifts)}
    pidx = {p.id: i for i, p in enumerate(problem.people)}
    broken: list[tuple[int, cp_model.IntVar | int]] = []
    constant = 0
    for q in problem.requests:
        pi, weight = pidx[q.person], int(q.weight * unit)
        if q.shift is not None:
            t = rm.term(sidx[q.shift], pi)
            if q.kind == "avoid":
                broken.append((weight, t))
            else:
                broken.append((-weight, t))
                constant += weight
            continue
        assert q.start is not None and q.end is not None
        hits = [
            si
            for si in rm.candidates(pi)
            if overlaps(problem.shifts[si].start, problem.shifts[si].end, q.start, q.end)
        ]
        held = any((si, pi) in rm.fixed for si in hits)
        free = [rm.x[si, pi] for si in hits if (si, pi) in rm.x]
        if held or not free:
            constant += weight if held == (q.kind == "avoid") else 0
            continue
        flag = model.new_bool_var("")
        if q.kind == "avoid":
            for x in free:
                model.add_implication(x, flag)
            rm.derived.append((flag.index, [x.index for x in free], "any"))
        else:
            model.add_bool_or([*free, flag])
            rm.derived.append((flag.index, [x.index for x in free], "none"))
        broken.append((weight, flag))
    return Figure("broken_requests", _linear(broken) + constant, 0.0, float(unit))


def _spread(rm: RotaModel) -> Figure:
    problem, model = rm.problem, rm.model
    if problem.rules.spread_hours is None:
        return Figure("spread_pairs", 0, 0.0, 1.0)
    near = timedelta(hours=float(problem.rules.spread_hours))
    rest = timedelta(hours=float(problem.rules.min_rest_hours))
    pairs: list[cp_model.IntVar | int] = []
    for pi in range(len(problem.people)):
        mine = sorted(rm.candidates(pi), key=lambda si: problem.shifts[si].start)
        pair: dict[tuple[int, int], cp_model.IntVar | int] = {}
        for k, a in enumerate(mine):
            sa = problem.shifts[a]
            for b in mine[k + 1 :]:
                sb = problem.shifts[b]
                if sb.start - sa.start >= near:
                    break
                ta, tb = rm.term(a, pi), rm.term(b, pi)
                if isinstance(ta, int) and isinstance(tb, int):
                    pair[a, b] = ta * tb
                elif isinstance(ta, int) or isinstance(tb, int):
                    pair[a, b] = tb if ta == 1 else ta if tb == 1 else 0
                elif sb.start >= sa.end + rest:  # else the rest rule forbids the pair anyway
                    both = model.new_bool_var("")
                    model.add_bool_or([ta.negated(), tb.negated(), both])
                    rm.derived.append((both.index, [ta.index, tb.index], "all"))
                    pair[a, b] = both
        pairs.extend(pair.values())
        # k shifts starting within one window make k(k−1)/2 ≥ k − 1 pairs; saying so lets the
        # LP see that a close pair is needed, which the pair booleans alone hide from it.
        starts = [problem.shifts[si].start for si in mine]
        previous: list[int] = []
        for k, start in enumerate(starts):
            inside = mine[k : bisect_left(starts, start + near)]
            if len(inside) < 3 or set(inside) <= set(previous):
                continue
            previous = inside
            close = [
                pair[u, v] for i, u in enumerate(inside) for v in inside[i + 1 :] if (u, v) in pair
            ]
            model.add(sum(close) >= sum(rm.term(b, pi) for b in inside) - 1)
    return Figure("spread_pairs", sum(pairs), 0.0, 1.0)


def add_objectives(rm: RotaModel) -> dict[str, Figure]:
    """Every figure of the spec's objective order, ready to minimise stage by stage."""
    figures: dict[str, Figure] = {}
    if rm.problem.baseline is not None:
        base = {(a.shift, a.person) for a in rm.problem.baseline.assignments}
        parts: dict[str, cp_model.LinearExprT] = {}
        for tier in rm.problem.tiers:
            changes: list[tuple[int, cp_model.IntVar | int]] = []
            constant = 0
            for si, s in enumerate(rm.problem.shifts):
                if rm.frozen[si] or s.tier != tier:
                    continue
                for pi, p in enumerate(rm.problem.people):
                    inside = (s.id, p.id) in base
                    if (si, pi) in rm.x:
                        changes.append((-1 if inside else 1, rm.x[si, pi]))
                    constant += 1 if inside else 0
            parts[tier] = _linear(changes) + constant
        figures["changes"] = Figure("changes", sum(parts.values()), 0.0, 1.0, parts)
    figures["fairness"] = fairness_figure(rm.model, rm.problem, rota_values(rm))
    figures["category_fairness"] = category_figure(rm.model, rm.problem, rota_values(rm))
    figures["broken_requests"] = _requests(rm)
    figures["spread_pairs"] = _spread(rm)
    return figures
