"""The solver's rota keeps every hard rule and is lexicographically optimal, against enumeration."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rota_solver import check, parse_problem, solve
from rota_solver.model import Solution
from tests.rota_solver.helpers import at, brute_force, document, person, shift


def _close(value: float | int | None, exact: Fraction | int) -> bool:
    return value is not None and math.isclose(value, exact, rel_tol=1e-4, abs_tol=1e-6)


def _assert_matches_brute_force(doc: dict[str, Any], workers: int = 1) -> Solution:
    problem = parse_problem(doc)
    solution = solve(problem, time_limit_s=20, workers=workers, seed=0)
    best = brute_force(problem)
    if best is None:
        assert solution.status == "infeasible"
        assert solution.explanation
        return solution
    assert solution.status == "optimal", solution.stats
    assert check(problem, solution) == []
    assert solution.objective is not None
    changes, fairness, category, broken, spread = best[0]
    if problem.baseline is not None:
        assert solution.objective.changes == changes
    assert _close(solution.objective.fairness, fairness)
    assert _close(solution.objective.category_fairness, category)
    assert _close(solution.objective.broken_requests, broken)
    assert solution.objective.spread_pairs == spread
    return solution


def test_fairness_matches_enumeration_five_shifts_three_people() -> None:
    doc = document(
        [
            shift("mon", 0),
            shift("tue", 1),
            shift("wed", 2),
            shift("sat", 5, hour=9, hours=24, weight=1.5, categories=["weekend"]),
            shift("sun", 6, hour=9, hours=24, weight=1.5, categories=["weekend"]),
        ],
        [
            person("a", balance={"load": 1}),
            person("b", fte=0.5),
            person("c", balance={"load": -0.5, "weekend": 1}),
        ],
        rules={"min_rest_hours": 12},
    )
    solution = _assert_matches_brute_force(doc)
    loads = {p.id: p.load for p in solution.people}
    assert sum(loads.values()) == 6  # every place filled once


def test_repair_moves_the_minimum_and_keeps_frozen_shifts() -> None:
    shifts = [shift(f"n{d}", d) for d in range(5)]
    people = [person("a"), person("b"), person("c")]
    baseline = [("n0", "a"), ("n1", "b"), ("n2", "c"), ("n3", "a"), ("n4", "b")]
    # b falls sick on day 3 and 4; n0 and n1 are history.
    people[1]["unavailable"] = [{"start": at(3), "end": at(6), "reason": "sick"}]
    doc = document(
        shifts,
        people,
        rules={"min_rest_hours": 24},
        baseline={
            "assignments": [{"shift": s, "person": p} for s, p in baseline],
            "frozen_before": at(1, 12),
        },
    )
    solution = _assert_matches_brute_force(doc)
    assert solution.objective is not None
    assert solution.objective.changes == 2  # n4 moves from b to one other person
    held = {(a.shift, a.person) for a in solution.assignments}
    assert {("n0", "a"), ("n1", "b")} <= held


def test_frozen_shift_keeps_a_person_now_unavailable() -> None:
    doc = document(
        [shift("n0", 0), shift("n1", 1)],
        [person("a", unavailable=[{"start": at(0), "end": at(1), "reason": "sick"}]), person("b")],
        baseline={
            "assignments": [{"shift": "n0", "person": "a"}, {"shift": "n1", "person": "a"}],
            "frozen_before": at(0, 18),
        },
    )
    solution = _assert_matches_brute_force(doc)
    assert ("n0", "a") in {(a.shift, a.person) for a in solution.assignments}


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize(
    ("spread_hours", "positive"),
    [(24, False), (60, False), (80, True), (120, True)],
)
def test_spread_stage_reaches_the_enumerated_optimum_at_zero_and_above(
    spread_hours: int, positive: bool, workers: int
) -> None:
    # The spread stage alternates the full model with the no-close-pair clique model (one
    # worker), or runs both side by side (two); with these nights a rota without a close pair
    # exists only for the shortest spread, so both the "found at zero" and the "zero
    # disproved, then searched" paths meet enumeration.
    doc = document(
        [shift(f"n{d}", d) for d in range(5)],
        [person("a"), person("b"), person("c", fte=0.5)],
        rules={"spread_hours": spread_hours},
    )
    solution = _assert_matches_brute_force(doc, workers)
    assert solution.objective is not None
    assert (solution.objective.spread_pairs > 0) == positive
    assert solution.proven is not None and solution.proven["spread_pairs"]


@st.composite
def tiny_problems(draw: st.DrawFn) -> dict[str, Any]:
    n_shifts = draw(st.integers(2, 5))
    # Sometimes a second tier, which the solver then solves as a problem of its own.
    tiers = ["worker", "manager"] if draw(st.integers(0, 2)) == 0 else ["worker"]
    shifts = []
    for i in range(n_shifts):
        weekend = draw(st.booleans())
        shifts.append(
            shift(
                f"s{i}",
                draw(st.integers(0, 9)),
                tier=draw(st.sampled_from(tiers)),
                hour=draw(st.sampled_from([9, 17])),
                hours=draw(st.sampled_from([12, 16, 24])),
                required=draw(st.sampled_from([1, 1, 1, 2])),
                weight=draw(st.sampled_from([1, 1.5, 2])),
                categories=["weekend"] if weekend else [],
                skills=[{"skill": "f", "min": 1}] if draw(st.integers(0, 3)) == 0 else [],
            )
        )
    people = []
    for i in range(draw(st.integers(2, 4))):
        fields: dict[str, Any] = {
            "fte": draw(st.sampled_from([0, 0.5, 1, 1, 1, 0.8])),
            "skills": ["f"] if draw(st.integers(0, 2)) else [],
            "balance": {
                "load": draw(st.sampled_from([-1, 0, 0.5])),
                "weekend": draw(st.sampled_from([0, 1])),
            },
        }
        if draw(st.integers(0, 2)) == 0:
            day = draw(st.integers(0, 4))
            fields["unavailable"] = [{"start": at(day), "end": at(day + 1), "reason": "leave"}]
        if draw(st.integers(0, 6)) == 0:
            fields["max_shifts"] = draw(st.integers(1, 3))
        if draw(st.integers(0, 6)) == 0:
            fields["min_shifts"] = draw(st.integers(0, 2))
            fields["max_shifts"] = max(fields["min_shifts"], fields.get("max_shifts", 0))
        people.append(person(f"p{i}", tier=draw(st.sampled_from(tiers)), **fields))
    rules: dict[str, Any] = {"min_rest_hours": draw(st.sampled_from([0, 0, 8, 24]))}
    if draw(st.booleans()):
        rules["windows"] = [
            {"hours": draw(st.sampled_from([48, 72])), "max": draw(st.integers(1, 3))}
        ]
    if draw(st.booleans()):
        rules["spread_hours"] = 60
    extra: dict[str, Any] = {"rules": rules}
    requests = []
    for _ in range(draw(st.integers(0, 2))):
        who = draw(st.sampled_from(people))["id"]
        if draw(st.booleans()):
            request = {"shift": draw(st.sampled_from(shifts))["id"]}
        else:
            day = draw(st.integers(0, 4))
            request = {"start": at(day), "end": at(day + 1)}
        requests.append(
            {"person": who, "kind": draw(st.sampled_from(["avoid", "prefer"])), **request}
        )
    extra["requests"] = requests
    able = [p for p in people if p.get("fte", 1) > 0]
    if able and draw(st.integers(0, 3)) == 0:
        extra["pinned"] = [
            {
                "shift": draw(st.sampled_from(shifts))["id"],
                "person": draw(st.sampled_from(able))["id"],
            }
        ]
    if draw(st.booleans()):
        ids = st.tuples(
            st.sampled_from([s["id"] for s in shifts]), st.sampled_from([p["id"] for p in people])
        )
        chosen = draw(st.sets(ids, max_size=4))
        extra["baseline"] = {
            "assignments": [{"shift": s, "person": p} for s, p in sorted(chosen)],
        }
        if draw(st.booleans()):
            extra["baseline"]["frozen_before"] = at(draw(st.integers(0, 3)), 12)
    return document(shifts, people, **extra)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_problems())
def test_random_tiny_problems_match_enumeration(doc: dict[str, Any]) -> None:
    _assert_matches_brute_force(doc)
