"""rota_solver.evaluate: figures of a rota made outside the solver, for hand edits."""

from __future__ import annotations

import math

import pytest

from rota_solver import (
    Assignment,
    InvalidSolution,
    Problem,
    check,
    evaluate,
    parse_problem,
    solution_to_json,
    solve,
)
from rota_solver.check_figures import exact_figures
from tests.rota_solver.helpers import document, person, shift


def _problem() -> Problem:
    return parse_problem(
        document(
            [shift(f"n{d}", d) for d in range(4)]
            + [shift("sat", 5, hour=9, hours=24, weight=1.5, categories=["weekend"])],
            [person("a", balance={"load": 1}), person("b", fte=0.5), person("c")],
            rules={"min_rest_hours": 24},
            requests=[{"person": "a", "kind": "avoid", "shift": "sat"}],
        )
    )


def test_the_solvers_own_rota_evaluates_to_the_same_figures() -> None:
    problem = parse_problem(
        document(
            [shift(f"n{d}", d) for d in range(4)],
            [person("a", balance={"load": 1}), person("b", fte=0.5), person("c")],
        )
    )
    solved = solve(problem, time_limit_s=60, workers=1)
    again = evaluate(problem, solved.assignments)
    assert again.status == "feasible"
    assert again.proven == {} and again.explanation == () and again.stats is None
    assert again.objective == solved.objective
    assert again.people == solved.people
    assert check(problem, again) == []


def test_a_hand_edit_gets_exact_figures_and_check_names_its_break() -> None:
    problem = _problem()
    # a takes two nights in a row (no 24 h rest) and the Saturday they asked to avoid.
    pairs = [("n0", "a"), ("n1", "a"), ("n2", "b"), ("n3", "c"), ("sat", "a")]
    solution = evaluate(problem, pairs)
    exact = exact_figures(problem, [Assignment(s, p) for s, p in pairs])
    assert solution.objective is not None
    assert math.isclose(solution.objective.fairness, float(exact.fairness))
    assert solution.objective.broken_requests == 1
    loads = {p.id: p.load for p in solution.people}
    assert loads == {"a": 3.5, "b": 1.0, "c": 1.0}
    rules = {v.rule for v in check(problem, solution)}
    assert "rest" in rules
    assert not rules & {"figures", "status"}  # the figures themselves are right
    assert solution_to_json(solution)["status"] == "feasible"


def test_assignment_objects_and_pairs_give_the_same_solution() -> None:
    problem = _problem()
    pairs = [("n0", "a"), ("n1", "b"), ("n2", "c"), ("n3", "a"), ("sat", "b")]
    assert evaluate(problem, pairs) == evaluate(problem, [Assignment(*p) for p in pairs])


def test_unknown_shift_or_person_is_named() -> None:
    with pytest.raises(InvalidSolution) as caught:
        evaluate(_problem(), [("n0", "a"), ("nope", "a"), ("n1", "zed")])
    assert caught.value.errors == [
        "assignments[1]: unknown shift 'nope'",
        "assignments[2]: unknown person 'zed'",
    ]
