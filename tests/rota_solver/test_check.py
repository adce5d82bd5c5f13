"""The independent checker catches every kind of broken rule and wrong figure."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest

from rota_solver import check, parse_problem, solve
from rota_solver.check import hard_rule_violations
from rota_solver.model import Assignment, Objective, Problem
from tests.rota_solver.helpers import at, document, person, shift


def _problem() -> Problem:
    return parse_problem(
        document(
            [
                shift("n0", 0),
                shift("n1", 1),
                shift(
                    "sat",
                    5,
                    hour=9,
                    hours=24,
                    required=2,
                    weight=1.5,
                    categories=["weekend"],
                    skills=[{"skill": "f", "min": 1}],
                ),
                shift("mgr", 0, tier="manager", hours=88, weight=2),
            ],
            [
                person("a", skills=["f"], max_shifts=2),
                person("b", unavailable=[{"start": at(1), "end": at(2)}]),
                person("c", min_shifts=1),
                person("m", "manager"),
                person("z", fte=0),
            ],
            rules={"min_rest_hours": 24, "windows": [{"hours": 48, "max": 1}]},
            pinned=[{"shift": "n0", "person": "c"}],
        )
    )


GOOD = [("n0", "c"), ("n1", "a"), ("sat", "a"), ("sat", "b"), ("mgr", "m")]


def _rules(pairs: list[tuple[str, str]]) -> set[str]:
    return {v.rule for v in hard_rule_violations(_problem(), [Assignment(s, p) for s, p in pairs])}


def test_a_good_rota_has_no_violations() -> None:
    assert _rules(GOOD) == set()


@pytest.mark.parametrize(
    ("pairs", "rule"),
    [
        ([("n0", "c"), ("n1", "a"), ("sat", "a"), ("sat", "b")], "cover"),
        ([("n0", "c"), ("n1", "m"), ("sat", "a"), ("sat", "b"), ("mgr", "m")], "tier"),
        ([("n0", "c"), ("n1", "b"), ("sat", "a"), ("sat", "c"), ("mgr", "m")], "unavailable"),
        ([("n0", "c"), ("n1", "a"), ("sat", "b"), ("sat", "c"), ("mgr", "m")], "skills"),
        ([("n0", "b"), ("n1", "a"), ("sat", "a"), ("sat", "c"), ("mgr", "m")], "pinned"),
        ([("n0", "c"), ("n1", "c"), ("sat", "a"), ("sat", "b"), ("mgr", "m")], "rest"),
        ([("n0", "c"), ("n1", "z"), ("sat", "a"), ("sat", "b"), ("mgr", "m")], "fte"),
        (
            [("n0", "c"), ("n1", "a"), ("sat", "a"), ("sat", "b"), ("mgr", "m"), ("mgr", "a")],
            "cover",
        ),
        (
            [("n0", "c"), ("n1", "a"), ("sat", "a"), ("sat", "b"), ("mgr", "m"), ("n9", "a")],
            "assignments",
        ),
        (
            [("n0", "c"), ("n1", "a"), ("n1", "a"), ("sat", "a"), ("sat", "b"), ("mgr", "m")],
            "assignments",
        ),
    ],
)
def test_each_broken_rule_is_found(pairs: list[tuple[str, str]], rule: str) -> None:
    assert rule in _rules(pairs)


def test_window_min_and_max_shifts() -> None:
    problem = dataclasses.replace(
        _problem(),
        rules=dataclasses.replace(_problem().rules, min_rest_hours=Fraction(0)),
    )
    pairs = [
        Assignment(s, p)
        for s, p in [("n0", "a"), ("n1", "a"), ("sat", "a"), ("sat", "b"), ("mgr", "m")]
    ]
    rules = {v.rule for v in hard_rule_violations(problem, pairs)}
    assert {"window", "max_shifts", "min_shifts", "pinned"} <= rules


def test_wrong_figures_are_reported() -> None:
    problem = _problem()
    solution = solve(problem, time_limit_s=60, workers=1)
    assert check(problem, solution) == []
    assert solution.objective is not None
    wrong = dataclasses.replace(solution.objective, fairness=solution.objective.fairness + 0.01)
    bad = dataclasses.replace(solution, objective=wrong)
    assert [v.rule for v in check(problem, bad)] == ["figures"]
    person = dataclasses.replace(solution.people[0], dev=solution.people[0].dev + 1)
    bad = dataclasses.replace(solution, people=(person, *solution.people[1:]))
    assert "figures" in {v.rule for v in check(problem, bad)}
    bad = dataclasses.replace(
        solution, status="optimal", proven={**solution.proven, "fairness": False}
    )
    assert "status" in {v.rule for v in check(problem, bad)}
    assert isinstance(solution.objective, Objective)


def test_frozen_shift_must_keep_its_baseline() -> None:
    problem = dataclasses.replace(
        parse_problem(
            document(
                [shift("n0", 0), shift("n1", 2)],
                [person("a"), person("b")],
                baseline={"assignments": [{"shift": "n0", "person": "a"}], "frozen_before": at(1)},
            )
        )
    )
    moved = [Assignment("n0", "b"), Assignment("n1", "a")]
    assert "frozen" in {v.rule for v in hard_rule_violations(problem, moved)}
