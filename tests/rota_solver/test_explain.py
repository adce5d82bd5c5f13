"""Infeasible problems are explained in a coordinator's words, naming day, tier, people, rules."""

from __future__ import annotations

import time

from ortools.sat.python import cp_model

from rota_solver import parse_problem, solve
from rota_solver.build import RotaModel
from rota_solver.check import hard_rule_violations
from rota_solver.explain import smallest_conflict
from tests.rota_solver.helpers import all_rotas, at, document, person, shift


def _no_rota_exists(doc: dict[str, object]) -> bool:
    problem = parse_problem(doc)
    return all(hard_rule_violations(problem, rota) for rota in all_rotas(problem))


def test_weekend_with_every_manager_on_leave() -> None:
    leave = [{"start": at(4, 12), "end": at(8), "reason": "annual leave"}]
    doc = document(
        [shift("wk", 0, tier="manager", hours=88), shift("we", 4, tier="manager", hours=64)],
        [person(f"m{i}", "manager", name=f"Manager {i}", unavailable=leave) for i in range(3)],
    )
    solution = solve(parse_problem(doc), time_limit_s=30)
    assert solution.status == "infeasible"
    assert solution.assignments == ()
    [item] = solution.explanation
    assert item.message.startswith("Fri 8 Jan 17:00 to Mon 11 Jan 09:00, senior manager: 1 needed")
    assert "none available: all 3 are unavailable: annual leave" in item.message
    assert "Manager 0, Manager 1 and Manager 2" in item.message
    assert "cover:we" in item.constraints


def test_missing_skill_names_who_has_it() -> None:
    doc = document(
        [shift("sat", 5, hour=9, hours=24, required=2, skills=[{"skill": "fostering", "min": 1}])],
        [
            person(
                "a",
                name="Ann",
                skills=["fostering"],
                unavailable=[{"start": at(5), "end": at(7), "reason": "training"}],
            ),
            person("b", name="Bob"),
            person("c", name="Cy"),
        ],
    )
    solution = solve(parse_problem(doc), time_limit_s=30)
    [item] = solution.explanation
    assert "Sat 9 Jan 09:00 to Sun 10 Jan 09:00, first-line worker" in item.message
    assert "at least 1 with fostering" in item.message
    assert "training (Ann)" in item.message


def test_pin_during_leave() -> None:
    doc = document(
        [shift("mon", 0)],
        [
            person("a", name="Ann", unavailable=[{"start": at(0), "end": at(2), "reason": "sick"}]),
            person("b"),
        ],
        pinned=[{"shift": "mon", "person": "a"}],
    )
    [item] = solve(parse_problem(doc), time_limit_s=30).explanation
    assert (
        item.message == "Ann is pinned to Mon 4 Jan 17:00 to Tue 5 Jan 09:00, first-line worker, "
        "but is unavailable then: sick"
    )


def test_rest_and_window_conflict_is_reduced_to_the_rules_involved() -> None:
    # Three nights in a row, two people, at most one start in any 72 hours: no rota. Other
    # people and a later week add rules that play no part and must not be named.
    shifts = [shift(f"n{d}", d) for d in range(3)] + [
        shift(f"m{d}", d, tier="manager") for d in range(7, 9)
    ]
    people = [person("a", name="Ann"), person("b", name="Bob")]
    people += [person(f"m{i}", "manager", name=f"Manager {i}") for i in range(3)]
    doc = document(
        shifts, people, rules={"min_rest_hours": 12, "windows": [{"hours": 72, "max": 1}]}
    )
    assert _no_rota_exists(doc)
    started = time.monotonic()
    solution = solve(parse_problem(doc), time_limit_s=30)
    assert time.monotonic() - started < 5
    assert solution.status == "infeasible"
    [item] = solution.explanation
    named = set(item.constraints)
    assert {"window:a:72h", "window:b:72h"} <= named
    assert not any(c.startswith(("cover:m", "rest:m", "window:m")) for c in named)
    assert len(named) <= 5
    assert "Ann may start at most 1 shift in any 72 hours" in item.message
    assert item.message.startswith("From Mon 4 Jan 17:00 to ")


def test_min_shifts_beyond_what_the_person_could_take() -> None:
    doc = document(
        [shift("n0", 0), shift("n1", 1)],
        [
            person("a", name="Ann", min_shifts=2, unavailable=[{"start": at(1, 12), "end": at(3)}]),
            person("b"),
        ],
    )
    [item] = solve(parse_problem(doc), time_limit_s=30).explanation
    assert item.message == "Ann must take at least 2 shifts, but could take only 1"


def test_reported_conflict_is_minimal() -> None:
    shifts = [shift(f"n{d}", d) for d in range(4)]
    people = [person("a", name="Ann", max_shifts=1), person("b", name="Bob"), person("c")]
    people[2]["unavailable"] = [{"start": at(0), "end": at(5), "reason": "annual leave"}]
    doc = document(shifts, people, rules={"min_rest_hours": 12})
    problem = parse_problem(doc)
    groups = smallest_conflict(problem, 5.0)
    assert groups is not None
    rm = RotaModel(problem, explain=True)
    literal = {group: index for index, group in rm.groups.items()}
    core = [literal[g] for g in groups]

    def consistent(literals: list[int]) -> bool:
        rm.model.clear_assumptions()
        rm.model.add_assumptions([rm.model.get_bool_var_from_proto_index(i) for i in literals])
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        return bool(solver.solve(rm.model) != cp_model.INFEASIBLE)

    assert not consistent(core)
    for dropped in core:
        assert consistent([i for i in core if i != dropped]), rm.groups[dropped]
    assert {g.kind for g in groups} == {"cover", "rest", "max_shifts"}
