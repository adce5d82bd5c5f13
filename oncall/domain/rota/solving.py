"""Solve a problem off the event loop with progress, and generate a month's draft version."""

from __future__ import annotations

import asyncio
import functools
import importlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from oncall import cpu
from oncall.db.models import RotaVersion
from oncall.domain.rota.errors import RotaConflict, RotaInvalid
from oncall.domain.rota.months import Month
from oncall.domain.rota.problem import DEFAULT_RULES, RotaRules, build_problem
from oncall.domain.rota.transactions import StepSessions, step
from oncall.domain.rota.versions import period_for, store_version

if TYPE_CHECKING:
    import rota_solver

DEFAULT_TIME_LIMIT_S = 60.0
DEFAULT_WORKERS = 2  # the production host has two cores; more workers only fight for them
# Solves run here, never on the event loop; two at once at most per process (more would only
# fight for the two cores), each thread at a lower scheduling priority (docs/routing.md).
_SOLVER_THREADS = ThreadPoolExecutor(2, "rota-solver", initializer=cpu.lower_priority)


@dataclass(frozen=True, slots=True)
class SolveProgress:
    """One progress report: the objective stage being solved, and its best value and bound."""

    stage: str
    elapsed_s: float
    best: float | None
    bound: float | None


# Called from the solver's thread, not the event loop: a web caller must hand it over with
# loop.call_soon_threadsafe.
ProgressCallback = Callable[[SolveProgress], None]


async def warm_solver() -> None:
    """Import the solver in a worker thread, so that nothing imports it on the event loop."""
    # Imported when first needed: OR-Tools (and the pandas it loads) costs most of a second, and
    # every other `oncall` command would pay it at start-up; a second import is a dict look-up.
    await asyncio.to_thread(importlib.import_module, "rota_solver")


async def solve_problem(
    problem: dict[str, Any],
    *,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    workers: int = DEFAULT_WORKERS,
    seed: int = 0,
    progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """The solution document for `problem`, solved in a worker thread (of lower priority)."""
    await warm_solver()
    import rota_solver

    try:
        parsed = rota_solver.parse_problem(problem)
    except rota_solver.InvalidProblem as exc:
        # Our own problem builder made it, so this is a bug or bad data in the database.
        raise RotaInvalid(f"problem: {exc}") from None

    def report(raw: rota_solver.Progress) -> None:
        if progress is not None:
            progress(SolveProgress(raw.stage, raw.elapsed_s, raw.best, raw.bound))

    try:
        # In a thread of the solver's own at a lower priority (the CP-SAT threads it starts
        # inherit it): on a busy machine the kernel runs the webhooks' loop first.
        solution = await asyncio.get_running_loop().run_in_executor(
            _SOLVER_THREADS,
            functools.partial(
                rota_solver.solve, parsed, time_limit_s=time_limit_s, workers=workers,
                seed=seed, progress=report,
            ),
        )  # fmt: skip
    except rota_solver.NoRotaFound:
        raise RotaConflict(
            f"time limit: no rota was found within {time_limit_s:g} s; try a longer time limit"
        ) from None
    result: dict[str, Any] = rota_solver.solution_to_json(solution)
    return result


async def generate(
    sessions: StepSessions,
    month: Month | str,
    *,
    zone: ZoneInfo,
    now: datetime,
    by: str = "",
    progress: ProgressCallback | None = None,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    rules: RotaRules = DEFAULT_RULES,
) -> RotaVersion:
    """Build the month's problem, solve it and add a draft version made at `now`.

    With a session, both steps run in it (flushed; the caller commits); with a session factory,
    the problem is read in one transaction and the version stored, committed, in another
    (see `transactions`). An infeasible problem still makes a version, so the coordinator can read
    the explanation; it cannot be published.
    """
    month = Month.parse(month) if isinstance(month, str) else month
    async with step(sessions) as session:
        problem = await build_problem(session, month, zone, rules=rules)
    solution = await solve_problem(problem, time_limit_s=time_limit_s, progress=progress)
    async with step(sessions) as session:
        period = await period_for(session, month, zone, now)
        return await store_version(
            session, period, problem, solution, now=now, by=by, reason="generated"
        )
