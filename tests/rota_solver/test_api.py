"""The Python API the service calls from a worker thread: progress, cancellation, determinism."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from rota_solver import (
    Progress,
    SolveCancelled,
    check,
    parse_problem,
    solution_from_json,
    solution_to_json,
    solve,
)
from rota_solver.model import Problem
from tests.rota_solver.helpers import document, person, shift

FIXTURE = Path(__file__).parent / "fixtures" / "rota-problem-small.json"


def _example() -> Problem:
    return parse_problem(json.loads(FIXTURE.read_text()))


def _big() -> Problem:
    """Enough people and nights that the search takes seconds, not milliseconds."""
    shifts = [shift(f"n{d}", d, weight=1.5 if d % 7 >= 5 else 1) for d in range(120)]
    people = [
        person(f"p{i}", fte=[1, 0.8, 0.5][i % 3], balance={"load": i % 4 - 1.5}) for i in range(40)
    ]
    return parse_problem(document(shifts, people, rules={"spread_hours": 200}))


def test_progress_reports_stages_with_best_and_bound() -> None:
    seen: list[Progress] = []
    solution = solve(_example(), time_limit_s=30, progress=seen.append)
    assert solution.status in ("optimal", "feasible")
    stages = {p.stage for p in seen}
    assert {"fairness", "category_fairness", "broken_requests", "spread_pairs"} <= stages
    assert all(p.elapsed_s >= 0 for p in seen)
    last_fairness = [p for p in seen if p.stage == "fairness"][-1]
    assert last_fairness.best is not None and last_fairness.bound is not None
    assert last_fairness.bound <= last_fairness.best + 1e-9


def test_cancel_stops_a_long_run() -> None:
    cancel = threading.Event()
    timer = threading.Timer(0.5, cancel.set)
    timer.start()
    started = time.monotonic()
    try:
        solution = solve(_big(), time_limit_s=60, cancel=cancel)
    except SolveCancelled:
        solution = None
    finally:
        timer.cancel()
    assert time.monotonic() - started < 10
    if solution is not None:
        assert solution.status == "feasible"
        assert solution.stats is not None
        assert any(stage.status == "skipped" for stage in solution.stats.stages)
        assert check(_big(), solution) == []


def _fortnight() -> Problem:
    """Many equally fair rotas, so a racing search could return any of them."""
    shifts = [shift(f"n{d}", d, weight=1.5 if d % 7 >= 5 else 1) for d in range(14)]
    people = [person(f"p{i}") for i in range(6)]
    return parse_problem(document(shifts, people, rules={"min_rest_hours": 24}))


@pytest.mark.parametrize(("workers", "deterministic"), [(1, False), (2, True)])
def test_same_seed_and_workers_give_the_same_rota(workers: int, deterministic: bool) -> None:
    problem = _fortnight()
    runs = [
        solve(problem, time_limit_s=30, workers=workers, seed=7, deterministic=deterministic)
        for _ in range(3)
    ]
    assert runs[0].status == "optimal"
    assert runs[0].assignments == runs[1].assignments == runs[2].assignments


def test_solution_json_round_trip() -> None:
    problem = _fortnight()
    solution = solve(problem, time_limit_s=30)
    document = json.loads(json.dumps(solution_to_json(solution)))
    again = solution_from_json(document)
    assert again.assignments == solution.assignments
    assert again.objective == solution.objective
    assert check(problem, again) == []


def test_solve_is_safe_from_a_worker_thread() -> None:
    results: list[str] = []
    thread = threading.Thread(
        target=lambda: results.append(solve(_fortnight(), time_limit_s=30).status)
    )
    thread.start()
    thread.join(60)
    assert results and results[0] in ("optimal", "feasible")


def test_frozen_history_is_not_moved() -> None:
    workers = 2
    problem = _example()
    solution = solve(problem, time_limit_s=30, workers=workers)
    baseline = [{"shift": a.shift, "person": a.person} for a in solution.assignments]
    doc = json.loads(FIXTURE.read_text())
    sick = solution.assignments[10].person
    for p in doc["people"]:
        if p["id"] == sick:
            p["unavailable"].append(
                {
                    "start": "2027-02-10T00:00:00+00:00",
                    "end": "2027-02-14T00:00:00+00:00",
                    "reason": "sick",
                }
            )
    doc["baseline"] = {"assignments": baseline, "frozen_before": "2027-02-10T00:00:00+00:00"}
    repaired_problem = parse_problem(doc)
    repaired = solve(repaired_problem, time_limit_s=30, workers=workers)
    assert check(repaired_problem, repaired) == []
    assert repaired.objective is not None and repaired.objective.changes is not None
    assert repaired.proven["changes"]
    before = {(a.shift, a.person) for a in solution.assignments}
    after = {(a.shift, a.person) for a in repaired.assignments}
    lost = {(s, p) for s, p in before if p == sick and "2027-02-10" <= s[:10] < "2027-02-14"}
    # Each shift the sick person loses needs one person removed and one added, and no more.
    assert repaired.objective.changes == 2 * len(lost) == len(before ^ after)
