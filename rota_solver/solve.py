"""Staged CP-SAT solving in the spec's objective order, with progress and cancellation."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from rota_solver.build import RotaModel
from rota_solver.model import Assignment, Problem, Progress, StageStats
from rota_solver.objectives import Figure, add_objectives

ProgressCallback = Callable[[Progress], None]

# Later stages are usually easy once the fairness stage is done; this shares the time budget.
_STAGE_SHARE = {
    "changes": 1.0,
    "fairness": 6.0,
    "category_fairness": 2.0,
    "broken_requests": 1.0,
    "spread_pairs": 1.0,
}


class SolveCancelled(RuntimeError):
    """The caller stopped the run before any rota was found."""


class NoRotaFound(RuntimeError):
    """The time limit passed before any rota was found and infeasibility was not proven."""


@dataclass(frozen=True, slots=True)
class StagedResult:
    """What staged solving produced: a rota (or None when proven infeasible) and stage figures."""

    assignments: tuple[Assignment, ...] | None
    stages: tuple[StageStats, ...]
    cancelled: bool


class _Reporter(cp_model.CpSolverSolutionCallback):
    """Forwards each improving solution to the progress callback."""

    def __init__(self, figure: Figure, started: float, progress: ProgressCallback | None) -> None:
        super().__init__()
        self._figure, self._started, self._progress = figure, started, progress

    def on_solution_callback(self) -> None:
        if self._progress is not None:
            best = self._figure.to_units(float(self.objective_value))
            bound = self._figure.to_units(float(self.best_objective_bound))
            self._progress(
                Progress(self._figure.name, time.monotonic() - self._started, best, bound)
            )


def _parameters(solver: cp_model.CpSolver, seconds: float, workers: int, seed: int) -> None:
    params = solver.parameters
    params.max_time_in_seconds = max(seconds, 0.01)
    params.num_workers = workers
    params.random_seed = seed
    params.log_search_progress = False


def solve_staged(
    problem: Problem,
    *,
    time_limit_s: float,
    workers: int,
    seed: int,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> StagedResult:
    """Minimise each figure in turn, holding the earlier ones at the values reached."""
    started = time.monotonic()
    rm = RotaModel(problem)
    figures = add_objectives(rm)
    order = [f for f in _STAGE_SHARE if f in figures]
    stages: list[StageStats] = []
    best: dict[tuple[int, int], int] | None = None
    last: cp_model.CpSolver | None = None  # the solver holding the latest complete solution
    current: list[cp_model.CpSolver] = []
    done = threading.Event()
    watcher = None
    if cancel is not None:

        def watch() -> None:
            # Wakes on either event; stop_search is safe to call from another thread.
            while not done.is_set():
                if cancel.wait(0.05):
                    for solver in list(current):
                        solver.stop_search()
                    return

        watcher = threading.Thread(target=watch, name="rota-solver-cancel", daemon=True)
        watcher.start()
    try:
        for position, name in enumerate(order):
            figure = figures[name]
            remaining = time_limit_s - (time.monotonic() - started)
            left = sum(_STAGE_SHARE[f] for f in order[position:])
            budget = remaining * _STAGE_SHARE[name] / left
            if cancel is not None and cancel.is_set():
                stages.append(StageStats(name, "skipped", None, None, 0.0))
                continue
            stage_started = time.monotonic()
            rm.model.minimize(figure.expr)
            rm.model.clear_hints()  # type: ignore[no-untyped-call]
            if last is not None:
                # A complete hint: the previous rota still keeps every constraint added since.
                for index in range(len(rm.model.proto.variables)):
                    var = rm.model.get_int_var_from_proto_index(index)
                    rm.model.add_hint(var, last.value(var))
            solver = cp_model.CpSolver()
            _parameters(solver, budget, workers, seed)
            current[:] = [solver]
            status = solver.solve(rm.model, _Reporter(figure, started, progress))
            current.clear()
            elapsed = time.monotonic() - stage_started
            if status == cp_model.INFEASIBLE and best is None:
                return StagedResult(None, (), cancelled=False)
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                last = solver
                value = int(solver.objective_value)
                best = {key: int(solver.value(var)) for key, var in rm.x.items()}
                bound = figure.to_units(float(solver.best_objective_bound))
                proven = status == cp_model.OPTIMAL
            elif best is None:
                if cancel is not None and cancel.is_set():
                    raise SolveCancelled("stopped before any rota was found")
                raise NoRotaFound(f"no rota found within {time_limit_s:g} s")
            else:
                # No solution this stage: the previous stage's rota still stands.
                assert last is not None
                value = int(last.value(figure.expr))
                bound = None
                proven = False
            # Hold this figure where it got to while the next ones are optimised.
            rm.model.add(figure.expr <= value)
            stages.append(
                StageStats(
                    name,
                    "optimal" if proven else "feasible",
                    figure.to_units(value),
                    bound,
                    round(elapsed, 3),
                )
            )
            if progress is not None:
                progress(Progress(name, time.monotonic() - started, figure.to_units(value), bound))
    finally:
        done.set()
    assert best is not None
    chosen = tuple(
        Assignment(problem.shifts[si].id, problem.people[pi].id)
        for si, pi in sorted(set(rm.fixed) | {k for k, v in best.items() if v})
    )
    return StagedResult(chosen, tuple(stages), cancelled=cancel is not None and cancel.is_set())
