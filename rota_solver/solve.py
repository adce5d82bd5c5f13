"""Staged CP-SAT solving in the spec's objective order, with progress and cancellation."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from rota_solver.model import Assignment, Problem, StageStats
from rota_solver.stages import Infeasible, NoSolution, Stages
from rota_solver.stages import ProgressCallback as ProgressCallback

# Time shares of the stages; a stage that finishes early leaves its time to the later ones.
_STAGE_SHARE = {
    "changes": 1.0,
    "fairness": 6.0,
    "category_fairness": 3.0,
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


def solve_staged(
    problem: Problem,
    *,
    time_limit_s: float,
    workers: int,
    seed: int,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    deterministic: bool = False,
) -> StagedResult:
    """Minimise each figure in turn, holding the earlier ones at the values reached."""
    started = time.monotonic()
    stages = Stages(problem, workers, seed, progress, deterministic)
    order = [f for f in _STAGE_SHARE if f in stages.figures]
    done = threading.Event()
    if cancel is not None:

        def watch() -> None:
            while not done.is_set():
                if cancel.wait(0.05):
                    stages.stop()
                    return

        threading.Thread(target=watch, name="rota-solver-cancel", daemon=True).start()
    results: list[StageStats] = []
    try:
        stages.first_rota(time_limit_s * 0.1)
        for position, name in enumerate(order):
            if stages.stopped:
                results.append(StageStats(name, "skipped", None, None, 0.0))
                continue
            remaining = time_limit_s - (time.monotonic() - started)
            share = _STAGE_SHARE[name] / sum(_STAGE_SHARE[f] for f in order[position:])
            results.append(stages.stage(name, remaining * share))
    except Infeasible:
        return StagedResult(None, (), cancelled=False)
    except NoSolution:
        if stages.stopped:
            raise SolveCancelled("stopped before any rota was found") from None
        raise NoRotaFound(f"no rota found within {time_limit_s:g} s") from None
    finally:
        done.set()
    if stages.values is None:
        raise SolveCancelled("stopped before any rota was found")
    return StagedResult(stages.assignments(), tuple(results), cancelled=stages.stopped)
