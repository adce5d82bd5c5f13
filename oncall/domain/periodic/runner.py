"""The one runner of a replica's periodic work: each job's passes on the service's clock.

Every job runs in a task of its own (a slow pass of one never delays another), reads the time
from the same clock (tests move a ManualClock; the demo runs an OffsetClock fast), is counted
in this process's loop figures for /metrics, and survives a failing pass: a database blip must
not end the loop, the next pass retries.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from oncall.clock import Clock
from oncall.domain.metrics import timed_pass
from oncall.log import get_logger

log = get_logger(__name__)

# A demo clock running 3600 times fast would otherwise spin against the database.
MIN_REAL_PAUSE_S = 0.02


@dataclass(frozen=True, slots=True)
class Job:
    """One kind of periodic work.

    `run` does one pass at the instant it is given. The next pass is due `every` seconds of
    clock time after a pass ends, or at `next_at(now)` (the morning handover: a time of day).
    `at_start`: run the first pass at once, else wait for the first due time.
    `background`: run it on the clock; when False only `Runner.run_once` runs it (tests switch
    the escalation loops off and run their passes by hand).
    """

    name: str
    run: Callable[[datetime], Awaitable[object]]
    every: float | None = None
    next_at: Callable[[datetime], datetime] | None = None
    at_start: bool = True
    background: bool = True

    def __post_init__(self) -> None:
        if (self.every is None) == (self.next_at is None):
            raise ValueError(f"job {self.name}: give exactly one of every and next_at")
        if self.every is not None and self.every <= 0:
            raise ValueError(f"job {self.name}: every must be positive")

    def wait_after(self, now: datetime) -> float:
        """Seconds of clock time from `now` until the next pass is due."""
        if self.every is not None:
            return self.every
        assert self.next_at is not None
        return max(0.0, (self.next_at(now) - now).total_seconds())


class Runner:
    """Runs `jobs` on `clock` while `running()` is entered; `run_once` runs one pass by hand."""

    def __init__(self, clock: Clock, jobs: Sequence[Job]) -> None:
        names = [job.name for job in jobs]
        if len(set(names)) != len(names):
            raise ValueError(f"job names must be unique: {names}")
        self._clock = clock
        self._jobs = {job.name: job for job in jobs}

    @property
    def names(self) -> list[str]:
        return list(self._jobs)

    async def run_once(self, name: str, now: datetime | None = None) -> object:
        """One pass of job `name` at `now` (default: the clock's), recorded like a loop's."""
        job = self._jobs[name]
        at = now or self._clock.now()
        return await timed_pass(name, lambda: job.run(at))

    async def _loop(self, job: Job) -> None:
        if not job.at_start:
            await self._clock.sleep(job.wait_after(self._clock.now()))
        while True:
            started = self._clock.now()
            try:
                await self.run_once(job.name, started)
            except asyncio.CancelledError:
                raise
            except Exception:  # the next pass retries
                log.exception("periodic pass failed; retrying when next due", job=job.name)
            await self._clock.sleep(job.wait_after(self._clock.now()))
            await asyncio.sleep(MIN_REAL_PAUSE_S)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run every job in the background for the duration of the block; cancel them at its end."""
        tasks = [
            asyncio.create_task(self._loop(job), name=f"periodic:{job.name}")
            for job in self._jobs.values()
            if job.background
        ]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
