"""The rota bench's single scenarios: a repair, two explanations, fairness beside rotations."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.rota.baselines import least_recently_on_call, round_robin
from bench.rota.generate import problem as generate
from rota_solver import Progress, check, parse_problem, solve
from rota_solver.check import hard_rule_violations
from rota_solver.check_figures import exact_figures
from rota_solver.model import Problem, Solution

RESULTS = Path(__file__).resolve().parents[1] / "results"
WORKERS, SEED = 2, 0


@dataclass
class Target:
    name: str
    target: str
    measured: str
    passed: bool
    details: dict[str, Any] = field(default_factory=dict)


def _timed_solve(problem: Problem, limit: float) -> tuple[Solution, float, dict[str, float]]:
    """Solve, noting when each stage finished (from the progress the solver reports)."""
    finished: dict[str, float] = {}

    def note(update: Progress) -> None:
        finished[update.stage] = update.elapsed_s

    started = time.monotonic()
    solution = solve(problem, time_limit_s=limit, workers=WORKERS, seed=SEED, progress=note)
    return solution, time.monotonic() - started, finished


def _stages(solution: Solution) -> dict[str, str]:
    assert solution.stats is not None
    return {s.figure: s.status for s in solution.stats.stages}


def _compare(problem: Problem, solution: Solution) -> dict[str, Any]:
    """Our fairness beside the rotations', each evaluated by the checker's own figure code."""
    rows: dict[str, Any] = {}
    for label, rota in (
        ("solver", list(solution.assignments)),
        ("round_robin", round_robin(problem)),
        ("least_recently_on_call", least_recently_on_call(problem)),
    ):
        figures = exact_figures(problem, rota)
        rows[label] = {
            "fairness": round(float(figures.fairness), 4),
            "category_fairness": round(float(figures.category_fairness), 4),
            "max_overload": {t: round(float(v[0]), 3) for t, v in figures.tiers.items()},
            "hard_rule_violations": len(hard_rule_violations(problem, rota)),
        }
    return rows


def bench_repair() -> Target:
    document = generate()
    problem = parse_problem(document)
    published = solve(problem, time_limit_s=30, workers=WORKERS, seed=SEED)
    # The first-line worker with most shifts in some four days from the 8th on falls sick
    # (the start of the illness is also when the rota is frozen).
    shifts = {s.id: s for s in problem.shifts}
    first = datetime.fromisoformat(document["shifts"][0]["start"]).replace(hour=0)
    best: tuple[int, datetime, str, list[str]] | None = None
    for day in range(7, 20):
        start = first + timedelta(days=day)
        end = start + timedelta(days=4)
        lost: dict[str, list[str]] = {}
        for a in published.assignments:
            s = shifts[a.shift]
            if s.tier == "worker" and start <= s.start and s.start < end:
                lost.setdefault(a.person, []).append(a.shift)
        for pid in sorted(lost):
            if best is None or len(lost[pid]) > best[0]:
                best = (len(lost[pid]), start, pid, lost[pid])
    assert best is not None
    _, sick_from, sick, gone = best
    sick_to = sick_from + timedelta(days=4)
    for person in document["people"]:
        if person["id"] == sick:
            person["unavailable"].append(
                {"start": sick_from.isoformat(), "end": sick_to.isoformat(), "reason": "sick"}
            )
    document["baseline"] = {
        "assignments": [{"shift": a.shift, "person": a.person} for a in published.assignments],
        "frozen_before": sick_from.isoformat(),
    }
    repair = parse_problem(document)
    solution, wall, _ = _timed_solve(repair, 10)
    assert solution.objective is not None
    needed = 2 * len(gone)  # each lost shift: the sick person off, someone else on
    ok = (
        wall <= 2
        and solution.objective.changes == needed
        and solution.proven.get("changes", False)
        and not check(repair, solution)
    )
    return Target(
        "repair: one person sick for four days",
        "≤ 2 s and no more moves than needed",
        f"{wall:.2f} s, {solution.objective.changes} changes ({needed} needed for "
        f"{len(gone)} lost shifts), stages {_stages(solution)}",
        ok,
        {"wall_s": round(wall, 2), "changes": solution.objective.changes, "needed": needed},
    )


def bench_explain() -> list[Target]:
    targets = []
    leave_month = generate()
    for person in leave_month["people"]:
        if person["tier"] == "manager":
            person["unavailable"].append(
                {
                    "start": "2027-03-12T12:00:00+00:00",
                    "end": "2027-03-15T12:00:00+00:00",
                    "reason": "annual leave",
                }
            )
    pins_month = generate()
    pins_month["pinned"] = [
        {"shift": "2027-03-09-w", "person": "sw001"},
        {"shift": "2027-03-10-w", "person": "sw001"},
    ]
    for label, document in (
        ("every manager on leave", leave_month),
        ("pins against rest", pins_month),
    ):
        problem = parse_problem(document)
        started = time.monotonic()
        solution = solve(problem, time_limit_s=10, workers=WORKERS, seed=SEED)
        wall = time.monotonic() - started
        messages = [e.message for e in solution.explanation]
        size = sum(len(e.constraints) for e in solution.explanation)
        ok = solution.status == "infeasible" and wall <= 1 and bool(messages)
        targets.append(
            Target(
                f"explain an infeasible month ({label})",
                "≤ 1 s",
                f"{wall:.2f} s: {messages[0] if messages else 'no explanation'}",
                ok,
                {"wall_s": round(wall, 3), "messages": messages, "constraints": size},
            )
        )
    return targets


def all_scenarios() -> list[Target]:
    """The single-instance scenarios: repair, explanations, fairness beside the rotations."""
    return [bench_repair(), *bench_explain()]
