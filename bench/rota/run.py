"""Rota solver bench: measured against the targets, beside today's rotations.

Run: `.venv/bin/python -m bench.rota.run` (or `python bench/rota/run.py`). Writes
bench/results/rota.json and bench/results/rota.md; exits 1 if any target is missed.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.rota.baselines import least_recently_on_call, round_robin
from bench.rota.generate import problem as generate
from rota_solver import Progress, check, parse_problem, solve
from rota_solver.check import hard_rule_violations
from rota_solver.check_figures import exact_figures
from rota_solver.model import Problem, Solution

RESULTS = Path(__file__).resolve().parents[1] / "results"
WORKERS, SEED = 2, 0
MONTH_SEEDS = (1, 2, 3, 4, 5)


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


def bench_month() -> Target:
    runs: list[dict[str, Any]] = []
    compare: dict[str, Any] = {}
    for seed in MONTH_SEEDS:
        problem = parse_problem(generate(seed=seed))
        solution, wall, _ = _timed_solve(problem, 30)
        violations = len(check(problem, solution))
        runs.append(
            {
                "seed": seed,
                "wall_s": round(wall, 2),
                "status": solution.status,
                "stages": _stages(solution),
                "violations": violations,
            }
        )
        if not compare:
            compare = _compare(problem, solution)
    ok = all(r["status"] == "optimal" and r["wall_s"] <= 10 and not r["violations"] for r in runs)
    walls = sorted(r["wall_s"] for r in runs)
    optimal = sum(r["status"] == "optimal" for r in runs)
    return Target(
        f"month (30 first-line + 8 managers), {len(runs)} generated months",
        "every stage proven optimal in ≤ 10 s",
        f"{optimal}/{len(runs)} all stages optimal; wall time median "
        f"{walls[len(walls) // 2]:.1f} s, worst {walls[-1]:.1f} s",
        ok,
        {"runs": runs, "compare": compare},
    )


def bench_year() -> Target:
    problem = parse_problem(generate(first=date(2027, 1, 1), days=365, requests=40, seed=2))
    solution, wall, finished = _timed_solve(problem, 120)
    stages = _stages(solution)
    ok = (
        stages.get("fairness") == "optimal"
        and all(s in ("optimal", "feasible") for s in stages.values())
        and wall <= 120
        and not check(problem, solution)
    )
    return Target(
        f"year in one problem ({len(problem.shifts)} shifts)",
        "fairness proven optimal, all stages at least feasible, in ≤ 120 s",
        f"{wall:.1f} s (fairness proven at {finished.get('fairness', 0):.1f} s), stages {stages}",
        ok,
        {"wall_s": round(wall, 2), "stages": stages, "compare": _compare(problem, solution)},
    )


def bench_county() -> Target:
    problem = parse_problem(generate(workers=150, managers=20, per_night=3, requests=40, seed=3))
    solution, wall, finished = _timed_solve(problem, 60)
    stages = _stages(solution)
    fairness_at = finished.get("fairness", float("inf"))
    ok = stages.get("fairness") == "optimal" and fairness_at <= 60 and not check(problem, solution)
    return Target(
        "county month (150 first-line, 3 a night, 20 managers)",
        "fairness proven optimal in ≤ 60 s",
        f"fairness proven at {fairness_at:.1f} s; whole run {wall:.1f} s, stages {stages}",
        ok,
        {
            "fairness_proven_s": round(fairness_at, 2),
            "wall_s": round(wall, 2),
            "stages": stages,
            "compare": _compare(problem, solution),
        },
    )


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


def _markdown(targets: list[Target], meta: dict[str, Any]) -> str:
    lines = [
        "# Rota solver bench",
        "",
        f"Measured {meta['when']} on {meta['machine']}, {WORKERS} workers, seed {SEED};",
        f"load average when the bench started: {meta['load']}.",
        "Problems come from `bench/rota/generate.py` (Jersey offsets, leave, balances, requests,",
        "weekend pairs needing a fostering-trained worker).",
        "",
        "| scenario | target | measured | result |",
        "|---|---|---|---|",
    ]
    for t in targets:
        lines.append(f"| {t.name} | {t.target} | {t.measured} | {'pass' if t.passed else 'MISS'} |")
    lines += ["", "The month's fairness comparison below is for the first generated month."]
    lines += ["", "## Fairness beside today's rotations (Σ dev², smaller is fairer)", ""]
    lines += ["| scenario | scheduler | fairness | category fairness | broken hard rules |"]
    lines += ["|---|---|---|---|---|"]
    for t in targets:
        for label, row in t.details.get("compare", {}).items():
            lines.append(
                f"| {t.name} | {label} | {row['fairness']} | {row['category_fairness']} | "
                f"{row['hard_rule_violations']} |"
            )
    lines += [
        "",
        "The rotations ignore skills, rest and windows, so they also break hard rules; their",
        "fairness is computed by the checker's own figure code, the same as ours.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    targets = [bench_month(), bench_year(), bench_county(), bench_repair(), *bench_explain()]
    meta = {
        "load": " ".join(f"{x:.1f}" for x in os.getloadavg()),
        "when": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip()
        + f", python {platform.python_version()}",
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {"meta": meta, "targets": [t.__dict__ for t in targets]}
    (RESULTS / "rota.json").write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n")
    (RESULTS / "rota.md").write_text(_markdown(targets, meta))
    for t in targets:
        print(f"{'pass' if t.passed else 'MISS'}  {t.name}: {t.measured}")
    return 0 if all(t.passed for t in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
