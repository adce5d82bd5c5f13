"""The pruning that narrows each person's values under a held limit never loses a solution."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from rota_solver import parse_problem
from rota_solver.budget import allowed_values, least_total
from rota_solver.squares import SquareTerm
from rota_solver.tiers import split_by_tier
from tests.rota_solver.helpers import at, document, person, shift


@st.composite
def convex_terms(draw: st.DrawFn) -> tuple[list[SquareTerm], int]:
    """Two to four people, each with a convex cost over a few values, and a reachable total."""
    terms = []
    for pi in range(draw(st.integers(2, 4))):
        lo = draw(st.integers(0, 3))
        width = draw(st.integers(0, 4))
        centre = draw(st.integers(-2, 8))
        scale = draw(st.integers(1, 5))
        costs = tuple(scale * (lo + k - centre) ** 2 for k in range(width + 1))
        terms.append(SquareTerm("worker", pi, "", None, lo, costs))
    low = sum(t.lo for t in terms)
    high = sum(t.lo + len(t.costs) - 1 for t in terms)
    return terms, draw(st.integers(low, high))


@settings(max_examples=200, deadline=None)
@given(convex_terms(), st.integers(0, 30))
def test_every_value_of_a_solution_within_the_limit_is_kept(
    case: tuple[list[SquareTerm], int], slack: int
) -> None:
    terms, total = case
    solutions = [
        values
        for values in itertools.product(*(range(t.lo, t.lo + len(t.costs)) for t in terms))
        if sum(values) == total
    ]
    cost = {v: sum(t.costs[x - t.lo] for t, x in zip(terms, v, strict=True)) for v in solutions}
    best = min(cost.values())
    assert least_total(terms, {"": total}) == best  # the greedy split is exact here
    limit = best + slack
    allowed = allowed_values(terms, {"": total}, limit)
    assert allowed is not None
    for values, c in cost.items():
        if c <= limit:
            for t, x in zip(terms, values, strict=True):
                assert x in allowed[t.person, ""]
    # And at the optimum nothing is kept that no optimal solution uses.
    tight = allowed_values(terms, {"": total}, best)
    assert tight is not None
    for t in terms:
        used = {v[t.person] for v, c in cost.items() if c == best}
        assert set(tight[t.person, ""]) == used
    assert allowed_values(terms, {"": total}, best - 1) is None


def _two_tiers(**extra: Any) -> dict[str, Any]:
    return document(
        [shift("n0", 0), shift("n1", 1), shift("m0", 0, tier="manager", hours=60)],
        [person("a"), person("b"), person("boss", tier="manager")],
        **extra,
    )


def test_tiers_split_into_problems_of_their_own() -> None:
    parts = split_by_tier(
        parse_problem(_two_tiers(requests=[{"person": "a", "shift": "n1", "kind": "avoid"}]))
    )
    assert parts is not None
    assert [(p.tiers, len(p.shifts), len(p.people), len(p.requests)) for p in parts] == [
        (("worker",), 2, 2, 1),
        (("manager",), 1, 1, 0),
    ]


def test_a_cross_tier_baseline_keeps_the_tiers_together() -> None:
    doc = _two_tiers(
        baseline={
            "assignments": [{"shift": "n0", "person": "boss"}],
            "frozen_before": at(0, 18),
        }
    )
    assert split_by_tier(parse_problem(doc)) is None
