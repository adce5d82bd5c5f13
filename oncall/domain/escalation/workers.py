"""The per-replica loops: a scheduler (shift checks, due escalation steps) and an outbox sender.

Both take time from the clock object, so tests run one deterministic pass (`run_once`) or
advance a ManualClock; any number of replicas may run them against one PostgreSQL database.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from integrations.telephony import Telephony
from oncall.clock import Clock
from oncall.domain.escalation.engine import StepRun, run_due
from oncall.domain.escalation.shifts import ask_for_confirmations, chase_unconfirmed
from oncall.domain.metrics import timed_pass
from oncall.domain.outbox.sender import OutboxSender, SenderConfig, SendReport
from oncall.log import get_logger

log = get_logger(__name__)

MIN_REAL_PAUSE_S = 0.02


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    zone: ZoneInfo
    poll_seconds: float = 1.0
    shift_lead: timedelta = timedelta(hours=2)
    shift_timeout: timedelta = timedelta(hours=1)
    batch: int = 100  # alerts per transaction


class StepsFirst:
    """In one replica, the sender starts no new claim while the scheduler is deciding due steps.

    A step's transaction is what makes an escalation durable (its outbox rows, event and next
    timer); deciding all of a burst's steps takes well under a second, sending them many seconds.
    Deciding first keeps steps on time under a burst instead of sharing the process with the
    sends of the burst's first batches; sending then starts at once, the total unchanged.
    """

    def __init__(self) -> None:
        self._idle = asyncio.Event()
        self._idle.set()

    @contextlib.contextmanager
    def stepping(self) -> Iterator[None]:
        self._idle.clear()
        try:
            yield
        finally:
            self._idle.set()

    async def wait(self) -> None:
        """Return once no scheduler pass of this process is deciding steps."""
        await self._idle.wait()


class EscalationScheduler:
    """Runs shift confirmation checks and every escalation step that has fallen due."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        config: WorkerConfig,
        steps_first: StepsFirst | None = None,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._config = config
        self._steps_first = steps_first or StepsFirst()

    async def run_once(self, now: datetime | None = None) -> list[StepRun]:
        now = now or self._clock.now()
        async with self._sessions() as session:
            if self._config.shift_lead:
                await ask_for_confirmations(
                    session, now=now, zone=self._config.zone, lead=self._config.shift_lead
                )
            await chase_unconfirmed(session, now=now, after=self._config.shift_timeout)
            await session.commit()
        with self._steps_first.stepping():
            return await run_due(
                self._sessions,
                now=now,
                zone=self._config.zone,
                batch=self._config.batch,
                clock=self._clock,
            )

    async def run_forever(self) -> None:
        await _loop("escalation scheduler", self.run_once, self._clock, self._config.poll_seconds)


class SenderLoop:
    """Runs an OutboxSender on the clock."""

    def __init__(self, sender: OutboxSender, clock: Clock, poll_seconds: float) -> None:
        self._sender, self._clock, self._poll = sender, clock, poll_seconds

    async def run_once(self, now: datetime | None = None) -> SendReport:
        return await self._sender.run_once(now or self._clock.now())

    async def run_forever(self) -> None:
        await _loop("outbox sender", self.run_once, self._clock, self._poll)


async def _loop(name: str, run: Callable[[], Awaitable[object]], clock: Clock, poll: float) -> None:
    """Call `run` (a bound run_once, reading the clock) every `poll` seconds of clock time."""
    while True:
        try:
            await timed_pass(name, run)  # this process's loop figures for /metrics
        except asyncio.CancelledError:
            raise
        except Exception:  # a database blip must not end the loop: the next pass retries
            log.exception(f"{name} pass failed; retrying after the poll interval")
        await clock.sleep(poll)
        # A demo clock running 3600 times fast would otherwise spin against the database.
        await asyncio.sleep(MIN_REAL_PAUSE_S)


def make_workers(
    sessions: async_sessionmaker[AsyncSession],
    telephony: Telephony,
    clock: Clock,
    config: WorkerConfig,
    sender: SenderConfig,
) -> tuple[EscalationScheduler, SenderLoop]:
    """This replica's scheduler and sender, the sender deferring to the scheduler's steps."""
    steps_first = StepsFirst()
    return (
        EscalationScheduler(sessions, clock, config, steps_first),
        SenderLoop(
            OutboxSender(sessions, telephony, sender, before_claim=steps_first.wait),
            clock,
            config.poll_seconds,
        ),
    )


class Loop(Protocol):
    """Anything run in the background on the clock (the scheduler, the sender, the call check)."""

    async def run_forever(self) -> None: ...


async def run_on_clock(
    name: str, run: Callable[[], Awaitable[object]], clock: Clock, poll: float
) -> None:
    """`_loop` for loops defined beside these (e.g. oncall.domain.calls.reconcile)."""
    await _loop(name, run, clock, poll)


@contextlib.asynccontextmanager
async def running(*loops: Loop) -> AsyncIterator[list[asyncio.Task[None]]]:
    """Run loops in the background for the duration of the block; cancel them at its end."""
    tasks = [asyncio.create_task(loop.run_forever()) for loop in loops]
    try:
        yield tasks
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
