"""Solve a problem off the event loop with progress, and generate a month's draft version."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable
from contextlib import suppress
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
# Solves run in worker processes of their own (spawned when first needed, then kept), never on
# the event loop nor in a thread of its process: reading the problem and building the CP-SAT
# model is pure Python, which in a thread holds the GIL the loop needs (docs/routing.md,
# "Isolation"). Two at once at most (more would only fight for the two cores), at a lower
# scheduling priority, which CP-SAT's own threads inherit.
_SOLVER_PROCESSES = cpu.CpuWorkers(2)
RELAY_WAIT_S = 5.0  # after the solve, for its last progress reports to be passed on


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


async def solve_problem(
    problem: dict[str, Any],
    *,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    workers: int = DEFAULT_WORKERS,
    seed: int = 0,
    progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """The solution document for `problem`, solved in a worker process (of lower priority);
    `progress` hears each report from a thread of this process."""
    reader, writer = multiprocessing.Pipe(duplex=False) if progress else (None, None)
    solving = asyncio.ensure_future(
        _SOLVER_PROCESSES.run(_solve_here, problem, time_limit_s, workers, seed, writer)
    )
    relay: asyncio.Future[None] | None = None
    try:
        if reader is not None and writer is not None and progress is not None:
            first = asyncio.ensure_future(asyncio.to_thread(_receive, reader))
            await asyncio.wait({first, solving}, return_when=asyncio.FIRST_COMPLETED)
            # The worker holds its own copy of the writing end now (it sent), or has finished:
            # with ours closed, the worker's closing is the end of the reports.
            writer.close()
            relay = asyncio.ensure_future(_relay(first, reader, progress))
        outcome, detail = await solving
    finally:
        if writer is not None:
            writer.close()
        if relay is not None:
            await asyncio.wait({relay}, timeout=RELAY_WAIT_S)
        if reader is not None:
            reader.close()
    if outcome == "invalid":
        # Our own problem builder made it, so this is a bug or bad data in the database.
        raise RotaInvalid(f"problem: {detail}")
    if outcome == "none":
        raise RotaConflict(
            f"time limit: no rota was found within {time_limit_s:g} s; try a longer time limit"
        )
    result: dict[str, Any] = detail
    return result


def _receive(reader: Any) -> tuple[str, float, float | None, float | None] | None:
    try:
        report: tuple[str, float, float | None, float | None] = reader.recv()
    except (EOFError, OSError):
        return None
    return report


async def _relay(
    first: asyncio.Future[tuple[str, float, float | None, float | None] | None],
    reader: Any,
    progress: ProgressCallback,
) -> None:
    """Pass each progress report on, from a thread (as the callback expects), until the end."""

    def rest() -> None:
        while (report := _receive(reader)) is not None:
            progress(SolveProgress(*report))

    report = await first
    if report is not None:
        await asyncio.to_thread(progress, SolveProgress(*report))
        await asyncio.to_thread(rest)


def _solve_here(
    problem: dict[str, Any], time_limit_s: float, workers: int, seed: int, reports: Any
) -> tuple[str, Any]:
    """In the worker process: ("solved", the solution document), ("invalid", why) or ("none",
    ""); each progress report sent through `reports` (closed at the end), if given."""
    import rota_solver

    try:
        try:
            parsed = rota_solver.parse_problem(problem)
        except rota_solver.InvalidProblem as exc:
            return "invalid", str(exc)

        def report(raw: rota_solver.Progress) -> None:
            if reports is not None:
                with suppress(OSError):  # nobody listening any more: solve on all the same
                    reports.send((raw.stage, raw.elapsed_s, raw.best, raw.bound))

        try:
            solution = rota_solver.solve(
                parsed, time_limit_s=time_limit_s, workers=workers, seed=seed, progress=report
            )
        except rota_solver.NoRotaFound:
            return "none", ""
        return "solved", rota_solver.solution_to_json(solution)
    finally:
        if reports is not None:
            reports.close()


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
