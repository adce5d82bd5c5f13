"""Staged CP-SAT solving in the spec's objective order, tier by tier, with progress, cancel."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from rota_solver.model import Assignment, Problem, Progress, StageStats
from rota_solver.stages import Infeasible, NoSolution, Stages
from rota_solver.stages import ProgressCallback as ProgressCallback
from rota_solver.tiers import split_by_tier

# Time shares of the stages; a stage that finishes early leaves its time to the later ones.
_STAGE_SHARE = {
    "changes": 1.0,
    "fairness": 6.0,
    "category_fairness": 3.0,
    "broken_requests": 1.0,
    "spread_pairs": 1.0,
}
# Share of the time limit for finding the first rota of every tier.
_FIRST_ROTA_SHARE = 0.1


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


class _Offset:
    """Progress of one tier's stage, with the tiers already done at that stage added in."""

    def __init__(self, progress: ProgressCallback | None) -> None:
        self.progress = progress
        self.best = 0.0
        self.bound: float | None = 0.0

    def __call__(self, update: Progress) -> None:
        if self.progress is None:
            return
        best = None if update.best is None else update.best + self.best
        bound = None
        if update.bound is not None and self.bound is not None:
            bound = update.bound + self.bound
        self.progress(Progress(update.stage, update.elapsed_s, best, bound))


def _combine(name: str, parts: list[StageStats], earlier_proven: bool) -> StageStats:
    """One stage's figures over the tiers: values and bounds add up.

    When an earlier stage was not proven somewhere, each tier held its own value of it rather
    than their sum, so neither proof nor bound carries over to the whole problem.
    """
    proven = earlier_proven and all(p.status == "optimal" for p in parts)
    value = sum(p.value for p in parts if p.value is not None)
    bounds = [p.bound for p in parts]
    bound = None
    if earlier_proven and all(b is not None for b in bounds):
        bound = sum(b for b in bounds if b is not None)
    seconds = round(sum(p.wall_time_s for p in parts), 3)
    return StageStats(name, "optimal" if proven else "feasible", value, bound, seconds)


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
    parts = split_by_tier(problem) or [problem]
    offsets = [_Offset(progress) for _ in parts]
    runs = [
        Stages(part, workers, seed, offset, deterministic)
        for part, offset in zip(parts, offsets, strict=True)
    ]
    # Small tiers first: they finish early and leave their time to the large one.
    weight = {id(run): len(run.rm.x) + 1 for run in runs}
    runs.sort(key=lambda run: weight[id(run)])
    order = [f for f in _STAGE_SHARE if f in runs[0].figures]
    done = threading.Event()
    if cancel is not None:

        def watch() -> None:
            while not done.is_set():
                if cancel.wait(0.05):
                    for run in runs:
                        run.stop()
                    return

        threading.Thread(target=watch, name="rota-solver-cancel", daemon=True).start()

    results: list[StageStats] = []
    proven_so_far = True
    try:
        first_deadline = started + time_limit_s * _FIRST_ROTA_SHARE
        for k, run in enumerate(runs):
            left = sum(weight[id(r)] for r in runs[k:])
            run.first_rota((first_deadline - time.monotonic()) * weight[id(run)] / left)
        for position, name in enumerate(order):
            if any(run.stopped for run in runs):
                results.append(StageStats(name, "skipped", None, None, 0.0))
                continue
            remaining = time_limit_s - (time.monotonic() - started)
            share = _STAGE_SHARE[name] / sum(_STAGE_SHARE[f] for f in order[position:])
            deadline = time.monotonic() + remaining * share
            stats: list[StageStats] = []
            for k, run in enumerate(runs):
                offsets[k].best = sum(s.value or 0.0 for s in stats)
                bounds = [s.bound for s in stats]
                offsets[k].bound = None if None in bounds else sum(b or 0.0 for b in bounds)
                left = sum(weight[id(r)] for r in runs[k:])
                # A small tier usually proves its stage at once; when it does not, it may have
                # up to half of what is left rather than its small share by size.
                part = 1.0 if k == len(runs) - 1 else max(weight[id(run)] / left, 0.5)
                stats.append(run.stage(name, (deadline - time.monotonic()) * part))
            combined = _combine(name, stats, proven_so_far)
            proven_so_far = combined.status == "optimal"
            results.append(combined)
            if progress is not None and len(runs) > 1:
                elapsed = time.monotonic() - started
                progress(Progress(name, elapsed, combined.value, combined.bound))
    except Infeasible:
        return StagedResult(None, (), cancelled=False)
    except NoSolution:
        if any(run.stopped for run in runs):
            raise SolveCancelled("stopped before any rota was found") from None
        raise NoRotaFound(f"no rota found within {time_limit_s:g} s") from None
    finally:
        done.set()
    if any(run.values is None for run in runs):
        raise SolveCancelled("stopped before any rota was found")
    shift_order = {s.id: k for k, s in enumerate(problem.shifts)}
    person_order = {p.id: k for k, p in enumerate(problem.people)}
    assignments = sorted(
        (a for run in runs for a in run.assignments()),
        key=lambda a: (shift_order[a.shift], person_order[a.person]),
    )
    stopped = any(run.stopped for run in runs)
    return StagedResult(tuple(assignments), tuple(results), cancelled=stopped)
