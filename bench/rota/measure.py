"""Solve one family instance, check it, and sum up a size: median and worst time per stage."""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

from bench.rota.family import instance
from rota_solver import NoRotaFound, check, parse_problem, solve

STAGES = ("changes", "fairness", "category_fairness", "broken_requests", "spread_pairs")


def _gap(value: float | None, bound: float | None) -> float | None:
    """The proven relative gap: how far the figure might still be above its optimum."""
    if value is None or bound is None:
        return None
    return max(0.0, value - bound) / max(abs(value), 1e-9)


def run_one(
    size: str, seed: int, limit: float, workers: int, deterministic: bool = False
) -> dict[str, Any]:
    """Solve (size, seed) once; every figure is checked by the independent checker."""
    problem = parse_problem(instance(size, seed))
    load = os.getloadavg()[0]
    started = time.monotonic()
    cpu = time.process_time()  # every thread of this process: less inflated by other load
    try:
        solution = solve(
            problem, time_limit_s=limit, workers=workers, seed=0, deterministic=deterministic
        )
    except NoRotaFound:
        return {
            "size": size,
            "seed": seed,
            "name": problem.name,
            "shifts": len(problem.shifts),
            "people": len(problem.people),
            "status": "no rota",
            "wall_s": round(time.monotonic() - started, 3),
            "first_rota_s": None,
            "cpu_s": round(time.process_time() - cpu, 3),
            "stages": {},
            "objective": None,
            "violations": [],
            "load": round(load, 2),
        }
    wall = time.monotonic() - started
    cpu_s = time.process_time() - cpu
    violations = [f"{v.rule}: {v.message}" for v in check(problem, solution)]
    stages: dict[str, Any] = {}
    staged = 0.0
    if solution.stats is not None:
        for stage in solution.stats.stages:
            staged += stage.wall_time_s
            stages[stage.figure] = {
                "status": stage.status,
                "s": stage.wall_time_s,
                "value": stage.value,
                "bound": stage.bound,
                "gap": _gap(stage.value, stage.bound),
            }
    objective = None
    if solution.objective is not None:
        objective = {f: getattr(solution.objective, f) for f in STAGES}
    return {
        "size": size,
        "seed": seed,
        "name": problem.name,
        "shifts": len(problem.shifts),
        "people": len(problem.people),
        "status": solution.status,
        "wall_s": round(wall, 3),
        "first_rota_s": round(max(0.0, wall - staged), 3),
        "cpu_s": round(cpu_s, 3),
        "stages": stages,
        "objective": objective,
        "violations": violations[:5],
        "load": round(load, 2),
    }


def _stat(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {"median": round(statistics.median(values), 2), "worst": round(max(values), 2)}


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per size: how many instances, how many not proven, median and worst per stage."""
    stages: dict[str, Any] = {}
    for name in STAGES:
        mine = [r["stages"][name] for r in runs if name in r["stages"]]
        if mine:
            gaps = [s["gap"] for s in mine if s["gap"] is not None]
            stages[name] = {
                **_stat([s["s"] for s in mine]),
                "not_proven": sum(s["status"] != "optimal" for s in mine),
                "worst_gap": round(max(gaps, default=0.0), 4),
                # Unproven with no bound: an earlier stage was not proven either.
                "no_bound": sum(s["status"] != "optimal" and s["gap"] is None for s in mine),
            }
    return {
        "instances": len(runs),
        "seeds": [r["seed"] for r in runs],
        "not_proven": sum(r["status"] != "optimal" for r in runs),
        "infeasible": sum(r["status"] == "infeasible" for r in runs),
        "check_failures": sum(bool(r["violations"]) for r in runs),
        "total": _stat([r["wall_s"] for r in runs]),
        "cpu": _stat([r["cpu_s"] for r in runs if r.get("cpu_s") is not None]),
        "first_rota": _stat([r["first_rota_s"] for r in runs if r["first_rota_s"] is not None]),
        "no_rota": sum(r["status"] == "no rota" for r in runs),
        "stages": stages,
        "load": _stat([r["load"] for r in runs]),
    }
