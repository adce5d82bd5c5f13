"""A replica's escalation workers: the scheduler (shift checks, due escalation steps) and the
outbox sender that carries their messages, with the steps going first.

Each does one pass per `run_once`; the periodic runner calls them on the service's clock, tests
call them directly. Any number of replicas may run them against one PostgreSQL database.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from integrations.telephony import Telephony
from oncall.clock import Clock
from oncall.domain.escalation.alerts import escalate_now
from oncall.domain.escalation.engine import StepRun, run_due
from oncall.domain.escalation.shifts import ask_for_confirmations, chase_unconfirmed
from oncall.domain.outbox import OutboxSender, SenderConfig


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


def alert_sender(
    sessions: async_sessionmaker[AsyncSession],
    telephony: Telephony,
    config: SenderConfig,
    *,
    before_claim: Callable[[], Awaitable[None]] | None = None,
) -> OutboxSender:
    """An outbox sender whose failed messages move their alert on at once."""
    return OutboxSender(
        sessions, telephony, config, on_failure=escalate_now, before_claim=before_claim
    )


def make_workers(
    sessions: async_sessionmaker[AsyncSession],
    telephony: Telephony,
    clock: Clock,
    config: WorkerConfig,
    sender: SenderConfig,
) -> tuple[EscalationScheduler, OutboxSender]:
    """This replica's scheduler and sender, the sender deferring to the scheduler's steps."""
    steps_first = StepsFirst()
    return (
        EscalationScheduler(sessions, clock, config, steps_first),
        alert_sender(sessions, telephony, sender, before_claim=steps_first.wait),
    )
