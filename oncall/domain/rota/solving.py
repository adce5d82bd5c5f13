"""Solve a problem off the event loop with progress, and generate a month's draft version."""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
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
    pool: cpu.CpuWorkers = _SOLVER_PROCESSES,
) -> dict[str, Any]:
    """The solution document for `problem`, solved in a worker process of `pool` (the solver's
    own, of lower priority); `progress` hears each report from a thread of this process."""
    reader, writer = multiprocessing.Pipe(duplex=False) if progress else (None, None)
    reports = _Reports(reader) if reader is not None else None
    solving = asyncio.ensure_future(
        pool.run(_solve_here, problem, time_limit_s, workers, seed, writer)
    )
    reading: asyncio.Future[Any] | None = None
    try:
        if reports is not None and writer is not None and progress is not None:
            first = asyncio.ensure_future(asyncio.to_thread(reports.receive))
            reading = first
            await asyncio.wait({first, solving}, return_when=asyncio.FIRST_COMPLETED)
            # The worker holds its own copy of the writing end now (it sent), or has finished:
            # with ours closed, the worker's closing is the end of the reports.
            writer.close()
            reading = asyncio.ensure_future(_relay(first, reports, progress))
        outcome, detail = await solving
    finally:
        if writer is not None:
            writer.close()
        if reading is not None and reports is not None:
            if solving.done() and (solving.cancelled() or solving.exception() is not None):
                reports.end()  # the solve failed: whatever it reported is of no use now
            await asyncio.wait({reading}, timeout=RELAY_WAIT_S)
            # However the solve ended, nothing waits on the pipe after it: a worker that died
            # before it took its copy of the writing end (the OOM killer, a pool broken under
            # it) left that copy with multiprocessing's resource sharer, which keeps it open
            # for ever, so the end of the reports never comes, and a thread left reading held
            # the server's exit.
            reports.end()
            await asyncio.wait({reading}, timeout=RELAY_WAIT_S)
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


Report = tuple[str, float, float | None, float | None]


class _Reports:
    """The solve's progress reports, read in a thread, until the worker closes its end of the
    pipe or `end` is called (the reading thread then stops within POLL_S)."""

    POLL_S = 0.1

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        self._ended = threading.Event()

    def receive(self) -> Report | None:
        """The next report, or None at the end (blocking: called in a thread)."""
        while not self._ended.is_set():
            try:
                if self._reader.poll(self.POLL_S):
                    report: Report = self._reader.recv()
                    return report
            except (EOFError, OSError):
                return None
        return None

    def end(self) -> None:
        self._ended.set()


async def _relay(
    first: asyncio.Future[Report | None], reports: _Reports, progress: ProgressCallback
) -> None:
    """Pass each progress report on, from a thread (as the callback expects), until the end."""

    def rest() -> None:
        while (report := reports.receive()) is not None:
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
