"""The broken-requests bound from kind options and request-group counts: valid and tight."""

from __future__ import annotations

from typing import Any

from ortools.sat.python import cp_model

from rota_solver.request_bound import RequestBound
from rota_solver.squares import weight_unit
from tests.rota_solver.helpers import (
    at,
    brute_force,
    document,
    held_options,
    person,
    shift,
)


def _bound_and_optimum(doc: dict[str, Any]) -> tuple[int, int]:
    """The bound with fairness and category fairness held at their optima (as the stages hold
    them), and the true least broken requests (scaled) by enumeration."""
    problem, stages, options = held_options(doc)
    rm = stages.rm
    bound = RequestBound(rm, options)
    bound.model.minimize(bound.expr)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.solve(bound.model) == cp_model.OPTIMAL
    best = brute_force(problem)
    assert best is not None
    unit = weight_unit([q.weight for q in problem.requests])
    return int(solver.best_objective_bound), int(best[0][3] * unit)


def _week(**extra: Any) -> list[dict[str, Any]]:
    return [shift(f"d{d}", d, **extra) for d in range(4)] + [
        shift("sat", 5, hour=9, hours=24, weight=1.5, categories=["weekend"])
    ]


def test_a_held_load_that_leaves_no_shift_breaks_the_preference() -> None:
    # a's balance is so high that fairness gives a nothing, so a's wish for a weeknight (and
    # the weekend) must be broken; b's avoidance of d1 can be kept.
    doc = document(
        _week(),
        [person("a", balance={"load": 4}), person("b"), person("c")],
        requests=[
            {"person": "a", "kind": "prefer", "start": at(0), "end": at(2)},
            {"person": "a", "kind": "prefer", "shift": "sat", "weight": 2},
            {"person": "b", "kind": "avoid", "shift": "d1"},
        ],
        rules={"min_rest_hours": 12},
    )
    bound, optimum = _bound_and_optimum(doc)
    assert optimum == 3
    assert bound == optimum


def test_never_above_the_optimum_when_everyone_avoids_the_same_night() -> None:
    doc = document(
        _week(),
        [person("a"), person("b", fte=0.5), person("c", balance={"load": -1})],
        requests=[
            {"person": p, "kind": "avoid", "shift": "d2", "weight": w}
            for p, w in (("a", 1), ("b", 2), ("c", 5))
        ]
        + [{"person": "c", "kind": "prefer", "start": at(3), "end": at(6)}],
        rules={"min_rest_hours": 12},
    )
    bound, optimum = _bound_and_optimum(doc)
    assert optimum >= 1  # someone must take d2
    assert 0 <= bound <= optimum
