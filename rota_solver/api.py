"""The solver's front door: solve a Problem into a Solution with figures and stats."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable

from rota_solver.explain import explain
from rota_solver.figures import evaluate as figures_of
from rota_solver.jsonio import InvalidSolution
from rota_solver.model import (
    FIGURES,
    Assignment,
    Explanation,
    Problem,
    Solution,
    StageStats,
    Stats,
)
from rota_solver.precheck import precheck
from rota_solver.solve import ProgressCallback, solve_staged

# Explaining an infeasible problem gets this long at most, on top of the time limit.
EXPLAIN_SECONDS = 5.0


def _infeasible(explanation: tuple[Explanation, ...], stats: Stats) -> Solution:
    return Solution(
        status="infeasible",
        assignments=(),
        people=(),
        objective=None,
        proven=dict.fromkeys(FIGURES, False),
        tiers={},
        explanation=explanation,
        stats=stats,
    )


def solve(
    problem: Problem,
    *,
    time_limit_s: float = 60.0,
    workers: int = 2,
    seed: int = 0,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    deterministic: bool = False,
) -> Solution:
    """The fairest rota keeping every hard rule, or an explanation of why none exists.

    Safe to call from a worker thread. Setting `cancel` stops the search: the best rota found
    so far comes back as `feasible` (later stages skipped), or SolveCancelled if there is none.
    With workers=1, or deterministic=True (slower), the same seed gives the same rota whenever
    no stage reaches its time limit. `progress` is called from CP-SAT's threads.
    """
    started = time.monotonic()

    def stats(stages: tuple[StageStats, ...]) -> Stats:
        return Stats(round(time.monotonic() - started, 3), stages, workers, seed)

    obvious = precheck(problem)
    if obvious:
        return _infeasible(tuple(obvious[:10]), stats(()))
    result = solve_staged(
        problem,
        time_limit_s=time_limit_s,
        workers=workers,
        seed=seed,
        progress=progress,
        cancel=cancel,
        deterministic=deterministic,
    )
    if result.assignments is None:
        return _infeasible(explain(problem, EXPLAIN_SECONDS), stats(()))
    people, objective, tiers = figures_of(problem, result.assignments)
    proven = {stage.figure: stage.status == "optimal" for stage in result.stages}
    if problem.baseline is None:
        proven = {"changes": True, **proven}  # nothing to change: trivially at its best
    for figure in FIGURES:
        proven.setdefault(figure, False)
    return Solution(
        status="optimal" if all(proven.values()) else "feasible",
        assignments=result.assignments,
        people=people,
        objective=objective,
        proven=proven,
        tiers=tiers,
        explanation=(),
        stats=stats(result.stages),
    )


def evaluate(problem: Problem, assignments: Iterable[Assignment | tuple[str, str]]) -> Solution:
    """A Solution for a rota made elsewhere (a hand edit, an import), with every figure
    recomputed exactly: status "feasible", nothing proven, no explanation, no stats.

    `assignments` are Assignment(shift, person) or (shift id, person id) pairs. It does not
    judge the rota: pass the result to check() for the hard rules it breaks. Raises
    InvalidSolution naming every pair whose shift or person the problem does not have.
    """
    pairs = tuple(a if isinstance(a, Assignment) else Assignment(*a) for a in assignments)
    shifts = {s.id for s in problem.shifts}
    people = {p.id for p in problem.people}
    errors = [
        f"assignments[{k}]: unknown {'shift' if a.shift not in shifts else 'person'} "
        f"{a.shift if a.shift not in shifts else a.person!r}"
        for k, a in enumerate(pairs)
        if a.shift not in shifts or a.person not in people
    ]
    if errors:
        raise InvalidSolution(errors)
    figures, objective, tiers = figures_of(problem, pairs)
    return Solution(
        status="feasible",
        assignments=pairs,
        people=figures,
        objective=objective,
        proven={},
        tiers=tiers,
        explanation=(),
        stats=None,
    )
