"""Which values each person's squared terms can still take when a figure is held to a limit.

A figure is a sum of convex costs c_i(v_i), and within a tier the values of one kind add up to a
known total (every place is filled: Σ_i load_i is the tier's weighted places, Σ_i count_c(i) its
places in category c). The cheapest way for everyone else to make up the rest of the total is a
greedy pick of the smallest marginal costs, so a value v of person i is possible under the limit
only if c_i(v) + min{Σ_j≠i c_j : Σ_j≠i v_j = total − v} + (the other kinds' minima) ≤ limit.
With the limit at a proven optimum this leaves most people one or two values.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import accumulate

from ortools.sat.python import cp_model

from rota_solver.squares import Figure, SquareTerm

Key = tuple[int, str]  # (person, category), "" for the load


def _cheapest(terms: Sequence[SquareTerm], total: int | None) -> tuple[int, list[int]]:
    """The least Σ cost of `terms` with their values adding up to `total` (any sum if None),
    and the prefix sums of the marginal costs in the order the greedy takes them."""
    base = sum(t.costs[0] for t in terms)
    if total is None:
        return sum(min(t.costs) for t in terms), []
    steps = sorted(b - a for t in terms for a, b in zip(t.costs, t.costs[1:], strict=False))
    need = total - sum(t.lo for t in terms)
    if need < 0 or need > len(steps):
        return -1, []  # the total cannot be reached: the caller keeps everything
    prefix = [0, *accumulate(steps)]
    return base + prefix[need], prefix


def least_total(terms: Sequence[SquareTerm], totals: dict[str, int | None]) -> int:
    """A lower bound on Σ cost: each kind's values at their cheapest that add up to its total."""
    groups: dict[str, list[SquareTerm]] = {}
    for t in terms:
        groups.setdefault(t.category, []).append(t)
    least = 0
    for category, mine in groups.items():
        cost, _ = _cheapest(mine, totals.get(category))
        least += cost if cost >= 0 else _cheapest(mine, None)[0]
    return least


def allowed_values(
    terms: Sequence[SquareTerm], totals: dict[str, int | None], limit: int
) -> dict[Key, list[int]] | None:
    """For each term, the values (lo + index) it may take in any solution within `limit`.

    `terms` are one tier's terms of one figure; `totals[category]` is what that kind's values
    add up to (None when unknown). None when the limit cannot be met at all.
    """
    groups: dict[str, list[SquareTerm]] = {}
    for t in terms:
        groups.setdefault(t.category, []).append(t)
    least: dict[str, int] = {}
    for category, mine in groups.items():
        cost, _ = _cheapest(mine, totals.get(category))
        if cost < 0:
            cost, _ = _cheapest(mine, None)
        least[category] = cost
    everyone = sum(least.values())
    if everyone > limit:
        return None
    allowed: dict[Key, list[int]] = {}
    for category, mine in groups.items():
        total = totals.get(category)
        others_elsewhere = everyone - least[category]
        for t in mine:
            rest = [u for u in mine if u is not t]
            steps = sorted(b - a for u in rest for a, b in zip(u.costs, u.costs[1:], strict=False))
            prefix = [0, *accumulate(steps)]
            values = []
            for k, cost in enumerate(t.costs):
                if total is None:
                    others = sum(min(u.costs) for u in rest)
                else:
                    need = total - (t.lo + k) - sum(u.lo for u in rest)
                    if need < 0 or need >= len(prefix):
                        continue  # the others cannot make up the rest of the total
                    others = sum(u.costs[0] for u in rest) + prefix[need]
                if cost + others + others_elsewhere <= limit:
                    values.append(t.lo + k)
            allowed[t.person, category] = values
    return allowed


def restrict(model: cp_model.CpModel, figure: Figure, budgets: dict[str, int]) -> None:
    """Narrow each value to those that fit the tier's budget beside everyone else's cheapest
    way of making up the tier's totals (see budget.py); this loses no rota within the budget."""
    for tier, limit in budgets.items():
        terms = [t for t in figure.terms if t.tier == tier]
        totals: dict[str, int | None] = {c: n for (t, c), n in figure.totals.items() if t == tier}
        allowed = allowed_values(terms, totals, limit)
        if allowed is None:
            continue  # cannot happen for a limit some rota reached; nothing to narrow then
        for t in terms:
            values = allowed[t.person, t.category]
            if t.var is not None and len(values) < len(t.costs):
                var = model.get_int_var_from_proto_index(t.var.index)  # model may be a copy
                model.add_linear_expression_in_domain(var, cp_model.Domain.from_values(values))
