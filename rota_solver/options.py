"""The counting relaxation with every person's possible counts spelt out as options.

Each person picks exactly one option: how many shifts of each group they take, a group being
shifts of one kind (tier, weight, categories, skill need) that touch the same of the person's
requests. Options are priced exactly by the same integer cost tables as the rota model (and
the same broken-request weights). The LP relaxation is the convex hull of each person's options,
far tighter than counting variables, so CP-SAT proves it quickly while options stay few.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from weakref import WeakKeyDictionary

from ortools.sat.python import cp_model

from rota_solver.budget import allowed_values
from rota_solver.build import RotaModel
from rota_solver.figures import overlaps
from rota_solver.lpbound import LpBound
from rota_solver.model import Problem
from rota_solver.objectives import most_shifts
from rota_solver.squares import Figure, weight_unit

Kind = tuple[str, Fraction, tuple[str, ...], tuple[tuple[str, int], ...]]
Group = tuple[Kind, frozenset[int]]  # a kind, and the person's requests its shifts touch
Fixed = tuple[int, tuple[int, ...], int]  # person, shifts, how many of them

# Above this many options for one person, the plain counting model is used instead.
MAX_OPTIONS = 3000
# With `wide`, up to this many per person (and in all) are enumerated before pricing prunes them.
MAX_PRICED = 25_000
MAX_PRICED_TOTAL = 400_000
REQUESTS = "broken_requests"


@dataclass(frozen=True, slots=True)
class _Enumerated:
    """What a wide option model kept per person after pricing, and under which limits."""

    tier: str
    figures: tuple[str, ...]
    limits: frozenset[tuple[str, int]]
    vectors: dict[int, list[tuple[int, ...]]]


# Per rota model, the wide option sets already enumerated and priced: a later model of the same
# tier under the same limits and more (the category stage's, then the broken-requests stage's
# with category fairness held too) starts from them instead of enumerating 10⁴ vectors a person
# again (a year: 9 s of Python each time).
_ENUMERATED: WeakKeyDictionary[RotaModel, list[_Enumerated]] = WeakKeyDictionary()


def _earlier(
    rm: RotaModel, tier: str, figures: tuple[str, ...], limits: dict[str, int]
) -> dict[int, list[tuple[int, ...]]] | None:
    """Vectors priced under a subset of `limits` (the fairness limit among them, the same):
    a superset of every vector that can take part in a solution within `limits`."""
    for earlier in _ENUMERATED.get(rm, []):
        same = earlier.tier == tier and earlier.figures == figures
        fairness = ("fairness", limits["fairness"]) in earlier.limits
        if same and fairness and earlier.limits <= frozenset(limits.items()):
            return earlier.vectors
    return None


class OptionModel:
    """z[person, option] booleans for one tier, with exact fairness, category, request costs."""

    def __init__(
        self,
        rm: RotaModel,
        tier: str,
        kinds: dict[Kind, list[int]],
        figures: Sequence[Figure],
        budget: int | None = None,
        split_requests: bool = False,
        limits: dict[str, int] | None = None,
        prices: LpBound | None = None,
        wide: bool = False,
    ) -> None:
        """`budget` bounds the tier's fairness cost in every solution of interest; with it,
        each person keeps only the loads that could fit beside everyone else's minimum.
        `limits` are the tier's held figures (fairness, category_fairness), imposed here and
        used to drop every option that cannot fit beside everyone else's cheapest.
        `split_requests` groups shifts by the requests they touch, to price broken requests
        exactly (more options, so only when that figure is being bounded).
        `wide`: with the fairness held and `prices`, enumerate many more options and let the
        pricing prune them (a year whose fairness optimum is far from zero leaves each person
        10⁴ count vectors, of which the pricing keeps a few hundred)."""
        problem = rm.problem
        self.model = cp_model.CpModel()
        self.kinds = [k for k in kinds if k[0] == tier]
        unit = weight_unit([s.weight for s in problem.shifts])
        request_unit = weight_unit([q.weight for q in problem.requests])
        tables = {(t.person, t.category): t for f in figures for t in f.terms}
        pinned = {(a.shift, a.person) for a in problem.pinned}
        names = [f.name for f in figures] + [REQUESTS]
        self.cost: dict[str, list[tuple[int, cp_model.IntVar]]] = {n: [] for n in names}
        self.groups: dict[int, list[tuple[Group, list[int]]]] = {}
        self.options: dict[int, list[tuple[tuple[int, ...], cp_model.IntVar]]] = {}
        self.too_many = False
        self.reused = False  # started from the vectors of a model under fewer limits
        totals: dict[Kind, list[tuple[int, cp_model.IntVar]]] = {k: [] for k in self.kinds}
        skilled: dict[tuple[Kind, str], list[tuple[int, cp_model.IntVar]]] = {}
        loads = {t.person: t for t in tables.values() if t.category == "" and t.tier == tier}
        limits = dict(limits or {})
        if budget is not None:
            limits["fairness"] = min(budget, limits.get("fairness", budget))
        allowed: dict[tuple[int, str], list[int]] = {}
        for f in figures:
            if f.name in limits:
                mine_terms = [t for t in f.terms if t.tier == tier]
                sums: dict[str, int | None] = {c: n for (t, c), n in f.totals.items() if t == tier}
                fit = allowed_values(mine_terms, sums, limits[f.name])
                if fit is None:
                    self.model.add_bool_or([])  # no solution is within the limit
                    return
                allowed.update(fit)
        kind_of = {si: k for k in self.kinds for si in kinds[k]}
        priced = wide and prices is not None and "fairness" in limits
        cap = MAX_PRICED if priced else MAX_OPTIONS
        enumerated = 0
        names_key = tuple(f.name for f in figures)
        # Vectors that a model under fewer limits kept: with the same fairness limit, every
        # vector pruned there (by pricing or by a limit) is in no solution here either.
        earlier = _earlier(rm, tier, names_key, limits) if priced and not split_requests else None
        self.reused = earlier is not None
        offered: dict[int, list[tuple[tuple[int, ...], dict[str, int]]]] = {}
        for pi, p in enumerate(problem.people):
            if p.tier != tier:
                continue
            asks = [r for r, q in enumerate(problem.requests) if q.person == p.id]
            if not split_requests:
                asks = []

            def touches(si: int, r: int) -> bool:
                return request_touches(problem, si, r)

            grouped: dict[Group, list[int]] = {}
            for si in rm.candidates(pi):
                if (si, pi) in rm.x:
                    sig = frozenset(r for r in asks if touches(si, r))
                    grouped.setdefault((kind_of[si], sig), []).append(si)
            held = [si for si in rm.candidates(pi) if (si, pi) in rm.fixed]
            groups = sorted(grouped.items(), key=repr)
            self.groups[pi] = groups
            # No more of a group than rest and windows let one person take.
            caps = [most_shifts(rm, pi, shifts) for _, shifts in groups]
            lows = [
                sum(1 for si in shifts if (problem.shifts[si].id, p.id) in pinned)
                for _, shifts in groups
            ]
            free = [si for si in rm.candidates(pi) if (si, pi) in rm.x]
            most = most_shifts(rm, pi, free)
            least = 0 if p.min_shifts is None else p.min_shifts - len(held)
            units = [int(g[0][1] * unit) for g, _ in groups]
            window = (0, sum(u * c for u, c in zip(units, caps, strict=True)))
            fits: set[int] | None = None
            load = loads.get(pi)
            if load is not None and (pi, "") in allowed:
                fits = {v - load.lo for v in allowed[pi, ""]}
                window = (min(fits, default=0), max(fits, default=-1))
            # A held category figure leaves each count only a few values: no more than its top.
            ceilings = [
                ([int(c in g[0][2]) for g, _ in groups], max(allowed[pi, c], default=-1) - t.lo)
                for (person, c), t in tables.items()
                if person == pi and c and (pi, c) in allowed
            ]
            vectors: list[tuple[int, ...]] = []
            found = (
                iter(earlier.get(pi, []))
                if earlier is not None
                else _vectors(caps, lows, units, window, most, ceilings)
            )
            for vector in found:
                vectors.append(vector)
                if len(vectors) > cap:
                    self.too_many = True
                    return
            enumerated += len(vectors)
            if enumerated > MAX_PRICED_TOTAL:
                self.too_many = True
                return
            # (figure, table, units per group) for this person's squared terms.
            mine = [
                (
                    "fairness" if t.category == "" else "category_fairness",
                    t,
                    [
                        int(g[0][1] * unit) if t.category == "" else int(t.category in g[0][2])
                        for g, _ in groups
                    ],
                )
                for (person, _), t in tables.items()
                if person == pi
            ]
            already = {r: sum(1 for si in held if touches(si, r)) for r in asks}
            choices: list[tuple[tuple[int, ...], dict[str, int]]] = []
            for vector in vectors:
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
                    if (pi, t.category) in allowed and t.lo + index not in allowed[pi, t.category]:
                        break  # cannot fit within a held figure's limit
                    costs[name] = costs.get(name, 0) + t.costs[index]
                else:
                    for r in asks:
                        q = problem.requests[r]
                        given = already[r] + sum(
                            n for (g, _), n in zip(groups, vector, strict=True) if r in g[1]
                        )
                        if (given > 0) == (q.kind == "avoid"):
                            costs[REQUESTS] += int(q.weight * request_unit)
                    choices.append((vector, costs))
            offered[pi] = choices
        bounds = {name: limit for name, limit in limits.items() if name in self.cost}
        if prices is not None and "fairness" in bounds:
            offered = _priced(offered, self.groups, problem, prices, bounds["fairness"])
        if any(len(o) > MAX_OPTIONS for o in offered.values()):
            self.too_many = True  # too many even after pricing (only possible when `wide`)
            return
        if priced and not split_requests and earlier is None:
            _ENUMERATED.setdefault(rm, []).append(
                _Enumerated(
                    tier,
                    names_key,
                    frozenset(limits.items()),
                    {pi: [v for v, _ in o] for pi, o in offered.items()},
                )
            )
        for pi, vectors_and_costs in offered.items():
            p = problem.people[pi]
            groups = self.groups[pi]
            chosen: list[tuple[tuple[int, ...], cp_model.IntVar]] = []
            for vector, costs in vectors_and_costs:
                z = self.model.new_bool_var("")
                chosen.append((vector, z))
                for ((kind, _), _), n in zip(groups, vector, strict=True):
                    if n:
                        totals[kind].append((n, z))
                        for skill, _ in kind[3]:
                            if skill in p.skills:
                                skilled.setdefault((kind, skill), []).append((n, z))
                for name, cost in costs.items():
                    if cost and name in self.cost:
                        self.cost[name].append((cost, z))
            self.model.add_exactly_one(z for _, z in chosen)
            self.options[pi] = chosen
        for name, limit in bounds.items():
            self.model.add(self.expr(name) <= limit)
        for kind in self.kinds:
            places = sum(problem.shifts[si].required for si in kinds[kind])
            self.model.add(_sum(totals[kind]) == places)
            for skill, need in kind[3]:
                self.model.add(_sum(skilled.get((kind, skill), [])) >= need * len(kinds[kind]))

    def expr(self, name: str) -> cp_model.LinearExprT:
        return _sum(self.cost[name])

    def exclude(self, choice: dict[int, tuple[int, ...]]) -> None:
        """Forbid this exact combination of everyone's options (no rota realises it)."""
        chosen: list[cp_model.LiteralT] = []
        for pi, choices in self.options.items():
            match = [z for v, z in choices if v == choice.get(pi)]
            if not match:
                return  # someone's option is not even offered here: nothing to forbid
            chosen.append(match[0].negated())
        self.model.add_bool_or(chosen)

    def chosen(self, solver: cp_model.CpSolver) -> tuple[dict[int, tuple[int, ...]], list[Fixed]]:
        """Each person's option, and the counts it fixes group by group."""
        choice: dict[int, tuple[int, ...]] = {}
        fixed: list[Fixed] = []
        for pi, choices in self.options.items():
            for vector, z in choices:
                if solver.boolean_value(z):
                    choice[pi] = vector
                    for (_, shifts), n in zip(self.groups[pi], vector, strict=True):
                        fixed.append((pi, tuple(shifts), n))
        return choice, fixed


def request_touches(problem: Problem, si: int, r: int) -> bool:
    """Whether request r names shift si, or its interval overlaps the shift."""
    q, s = problem.requests[r], problem.shifts[si]
    if q.shift is not None:
        return q.shift == s.id
    assert q.start is not None and q.end is not None
    return overlaps(s.start, s.end, q.start, q.end)


def _priced(
    offered: dict[int, list[tuple[tuple[int, ...], dict[str, int]]]],
    groups: dict[int, list[tuple[Group, list[int]]]],
    problem: Problem,
    prices: LpBound,
    limit: int,
) -> dict[int, list[tuple[tuple[int, ...], dict[str, int]]]]:
    """Drop the options that no solution within the fairness limit can use (Lagrangian pricing).

    With any price per place of a kind and any non-negative price per skilled place, a
    solution's cost is at least Σ_i r_i(o_i) + Σ_k price_k × places_k (+ the skill minimums'
    prices), r_i being an option's cost less the prices of its places. So an option whose r_i
    exceeds the person's cheapest by more than the limit less that lower bound is in no
    solution within the limit. With the LP's prices that bound is close to the optimum.
    """

    def reduced(pi: int, vector: tuple[int, ...], cost: int) -> float:
        skills = problem.people[pi].skills
        paid = 0.0
        for ((kind, _), _), n in zip(groups[pi], vector, strict=True):
            if n:
                price = prices.kind_price.get(kind, 0.0)
                price += sum(
                    prices.skill_price.get((kind, s), 0.0) for s, _ in kind[3] if s in skills
                )
                paid += price * n
        return cost - paid

    r = {pi: [reduced(pi, v, c["fairness"]) for v, c in o] for pi, o in offered.items()}
    if any(not values for values in r.values()):
        return offered  # someone has no option at all: the model is infeasible anyway
    least = {pi: min(values) for pi, values in r.items()}  # once: a year has 10⁵ options
    bound = prices.constant + sum(least.values())
    slack = limit - bound + 1e-6 * abs(limit) + 1  # generous: floating point never cuts
    return {
        pi: [o for o, value in zip(options, r[pi], strict=True) if value - least[pi] <= slack]
        for pi, options in offered.items()
    }


def _sum(terms: list[tuple[int, cp_model.IntVar]]) -> cp_model.LinearExprT:
    return cp_model.LinearExpr.weighted_sum([z for _, z in terms], [c for c, _ in terms])


def _vectors(
    caps: list[int],
    lows: list[int],
    units: list[int],
    window: tuple[int, int],
    most: int,
    ceilings: Sequence[tuple[list[int], int]] = (),
) -> Iterator[tuple[int, ...]]:
    """Counts per group within caps, at most `most` shifts, whose units sum lies in window,
    and whose count in each ceiling's groups (membership per group) stays within its top."""
    reach = [0] * (len(caps) + 1)  # most units the groups from k on can still add
    for k in range(len(caps) - 1, -1, -1):
        reach[k] = reach[k + 1] + units[k] * caps[k]

    def walk(
        k: int, total: int, shifts: int, counts: tuple[int, ...], prefix: tuple[int, ...]
    ) -> Iterator[tuple[int, ...]]:
        if k == len(caps):
            if window[0] <= total <= window[1]:
                yield prefix
            return
        for n in range(lows[k], caps[k] + 1):
            value = total + units[k] * n
            if shifts + n > most or value > window[1]:
                break
            more = tuple(c + member[k] * n for c, (member, _) in zip(counts, ceilings, strict=True))
            if any(c > top for c, (_, top) in zip(more, ceilings, strict=True)):
                break
            if value + reach[k + 1] < window[0]:
                continue
            yield from walk(k + 1, value, shifts + n, more, (*prefix, n))

    return walk(0, 0, 0, tuple(0 for _ in ceilings), ())
