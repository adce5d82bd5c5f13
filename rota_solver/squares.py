"""Squared deviations as exact-at-integers CP-SAT costs, and the Figure they add up to."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

from ortools.sat.python import cp_model

# Squared deviations are scaled by at least this before rounding the linear term to an integer,
# which keeps every figure within far less than the spec's relative 1e-4 of the exact value.
SQUARE_SCALE = 1_000_000


@dataclass(frozen=True, slots=True)
class Figure:
    """An objective stage: integer expression and how to turn its value into figure units."""

    name: str
    expr: cp_model.LinearExprT
    offset: float
    scale: float
    # The part of expr each tier contributes, for figures that are sums over people.
    parts: dict[str, cp_model.LinearExprT] = field(default_factory=dict)
    terms: tuple[SquareTerm, ...] = ()
    # What each tier's values of one kind add up to in every rota: (tier, category) -> total.
    totals: dict[tuple[str, str], int] = field(default_factory=dict)

    def to_units(self, value: float) -> float:
        return (value + self.offset) / self.scale


def common_scale(centres: list[Fraction]) -> int:
    """An integer scale that makes 2 × (round(c) − c) × scale whole for every centre if cheap."""
    denominator = math.lcm(1, *(c.denominator for c in centres))
    return denominator if denominator <= SQUARE_SCALE else SQUARE_SCALE


@dataclass(frozen=True, slots=True)
class SquareTerm:
    """One person's squared term: the value variable, its lowest value, the cost at each value."""

    tier: str
    person: int
    category: str  # "" for the load
    var: cp_model.IntVar | None  # None when the value cannot change
    lo: int
    costs: tuple[int, ...]


def square_cost(
    model: cp_model.CpModel,
    value: cp_model.LinearExprT,
    bounds: tuple[int, int],
    centre: Fraction,
    scale: int,
) -> tuple[cp_model.LinearExprT, float, cp_model.IntVar | None, tuple[int, ...]]:
    """A variable equal to ((value − centre)² − offset) × scale at every integer value in bounds.

    Returns (cost, offset·scale, value variable, cost at each value). The cost is bounded below
    by the secant through each pair of neighbouring integers; the square is convex, so the
    highest secant is exact at integers and the LP relaxation sees the tightest convex
    underestimator.
    """
    lo, hi = bounds
    nearest = round(centre)
    error = Fraction(nearest) - centre
    linear = round(2 * error * scale)  # exact when the centre's denominator divides the scale

    def cost_at(v: int) -> int:
        u = v - nearest
        return scale * u * u + linear * u

    offset = float(scale * error * error)
    values = tuple(cost_at(v) for v in range(lo, hi + 1))
    if lo == hi:
        return values[0], offset, None, values
    var = model.new_int_var(lo, hi, "")
    model.add(var == value)
    cost = model.new_int_var(min(values), max(values), "")
    for v in range(lo, hi):
        slope = values[v + 1 - lo] - values[v - lo]
        model.add(cost >= values[v - lo] + slope * (var - v))
    return cost, offset, var, values


def weight_unit(weights: list[Fraction]) -> int:
    """The smallest integer that makes every weight whole."""
    return math.lcm(1, *(w.denominator for w in weights))
