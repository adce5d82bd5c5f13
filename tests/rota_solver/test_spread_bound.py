"""The spread stage's check that no rota without close pairs exists: a true bound, by enumeration.

RequestBound.without_close_pairs holds broken requests at their optimum, with fairness and
category fairness held in the options, and allows each person one shift among the request groups
that lie within one spread window. When it has no solution the solver takes the spread figure to
be at least one pair; here the enumerated optimum must agree.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
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


def _zero_ruled_out(doc: dict[str, Any]) -> tuple[bool, int]:
    """Whether the check rules out a rota without close pairs (earlier figures held at their
    optima, as the stages hold them), and the enumerated optimum's close pairs."""
    problem, stages, options = held_options(doc)
    rm = stages.rm
    best = brute_force(problem)
    assert best is not None
    unit = weight_unit([q.weight for q in problem.requests])
    broken = best[0][3] * unit
    assert broken.denominator == 1
    model = RequestBound(rm, options).without_close_pairs(rm, int(broken))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    status = solver.solve(model)
    assert status in (cp_model.OPTIMAL, cp_model.FEASIBLE, cp_model.INFEASIBLE)
    return status == cp_model.INFEASIBLE, best[0][4]


def _every_other_day() -> list[dict[str, Any]]:
    return [shift(f"d{d}", d) for d in range(0, 12, 2)]


def test_two_wishes_days_apart_force_a_close_pair() -> None:
    # Three people share six nights two days apart, two each. a asks for d2 and d4, which
    # start two days apart: keeping both (the requests' optimum) makes a close pair.
    doc = document(
        _every_other_day(),
        [person("a"), person("b"), person("c")],
        requests=[
            {"person": "a", "kind": "prefer", "shift": "d2"},
            {"person": "a", "kind": "prefer", "start": at(4, 12), "end": at(5)},
        ],
        rules={"min_rest_hours": 12, "spread_hours": 96},
    )
    ruled_out, pairs = _zero_ruled_out(doc)
    assert pairs == 1
    assert ruled_out


def test_wishes_far_enough_apart_leave_zero_possible() -> None:
    doc = document(
        _every_other_day(),
        [person("a"), person("b"), person("c")],
        requests=[
            {"person": "a", "kind": "prefer", "shift": "d2"},
            {"person": "a", "kind": "prefer", "shift": "d6"},
        ],
        rules={"min_rest_hours": 12, "spread_hours": 96},
    )
    ruled_out, pairs = _zero_ruled_out(doc)
    assert pairs == 0
    assert not ruled_out


def _random_doc(seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    days = sorted(rng.sample(range(12), 6))
    shifts = [
        shift(f"s{d}", d, weight=1.5, categories=["weekend"]) if d % 7 >= 5 else shift(f"s{d}", d)
        for d in days
    ]
    people = [
        person(
            ident,
            fte=rng.choice([1, 1, 0.5]),
            balance={"load": rng.choice([-1, 0, 0, 1])},
        )
        for ident in ("a", "b", "c")
    ]
    requests = []
    for _ in range(rng.randint(1, 4)):
        ask: dict[str, Any] = {
            "person": rng.choice("abc"),
            "kind": rng.choice(["prefer", "prefer", "avoid"]),
            "weight": rng.choice([1, 2]),
        }
        if rng.random() < 0.6:
            ask["shift"] = f"s{rng.choice(days)}"
        else:
            first = rng.choice(days)
            ask["start"] = at(first)
            ask["end"] = at(first + rng.randint(1, 3))
        requests.append(ask)
    return document(
        shifts, people, requests=requests, rules={"min_rest_hours": 12, "spread_hours": 96}
    )


@pytest.mark.parametrize("seed", range(40))
def test_never_rules_out_zero_where_a_rota_has_no_close_pair(seed: int) -> None:
    ruled_out, pairs = _zero_ruled_out(_random_doc(seed))
    if ruled_out:
        assert pairs >= 1
