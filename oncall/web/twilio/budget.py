"""The time budget of every Twilio webhook (ONCALL_WEBHOOK_BUDGET_SECONDS).

Twilio waits 15 s for a webhook, then gives the caller the number's Fallback URL, which rings
only the fallback number. So each webhook's database work runs as its own task with a deadline:
past it the webhook answers its failure reply at once (voice: the fail-safe ring; SMS: the
apology; a status callback: 503) and the task is cancelled. Its transaction is never committed
(the cancelled session rolls back and returns or discards its connection in the background), and
the database gives up on its own side too: the work runs inside `waits_limited`, so PostgreSQL's
statement and lock timeouts and SQLite's busy timeout end with the budget.

Why a task rather than `asyncio.timeout` around the work: a cancelled database call does not
return at once (aiosqlite's thread finishes its busy wait, asyncpg's cancellation is a round
trip to a server that may hang), and `asyncio.timeout` waits for the cancelled work to unwind
before it raises. The caller must not wait for that.

A fail-safe given is remembered (`FailsafeGiven`) until the database takes its record
(`oncall/domain/calls/failsafe.py`), and written to this replica's journal (if set) so that a
restart before then does not lose it. Work that ran over or failed on the database is noted as an
outage (`Outage`): when the database answers again, the provider recovery runs at once. See
docs/routing.md.

Work that fails because its pooled connection had died under it (a failover or a restart killed
the server's end a moment before; the pool hands out a connection used within the last second
unpinged, `oncall/db/engine.py`) runs once more, within the same budget, on a new connection:
the pool has dropped its dead ones by then, and the work is safe to repeat (each webhook's work
is keyed by its receipt or its MessageSid, so a commit that did land is answered from it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError

from oncall.clock import Clock
from oncall.db.engine import waits_limited
from oncall.domain.calls.failsafe import FailsafeGiven
from oncall.domain.calls.journal import FailsafeJournal
from oncall.domain.calls.recovery import Outage
from oncall.log import get_logger

log = get_logger(__name__)

T = TypeVar("T")

KEPT = 1000  # fail-safe records kept in memory while the database is away (the oldest dropped)
JOURNAL_WAIT_S = 0.3  # how long a fail-safe answer waits for its journal line to reach the disk


class OverBudget(Exception):
    """The webhook's work did not finish within its budget (it has been cancelled)."""


def database_away(error: BaseException | None) -> bool:
    """Whether `error` says the database is away (refused, dropped, timed out, over budget),
    rather than that it answered and said no (a constraint, a bug)."""
    if isinstance(error, OverBudget | OSError | TimeoutError):
        return True
    return isinstance(error, SQLAlchemyError) and not isinstance(error, IntegrityError)


# SQLSTATE classes of a connection the server has ended: 08 (connection exception) and 57P
# (operator intervention: admin shutdown, crash shutdown, cannot connect now).
_LOST = ("08", "57P")


def connection_lost(error: DBAPIError) -> bool:
    """Whether `error` says the connection itself is gone (so the work never reached the
    database, or its transaction ended with it), not that the database refused the work."""
    if error.connection_invalidated:
        return True
    state = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    return isinstance(state, str) and state.startswith(_LOST)


@dataclass
class WebhookBudget:
    """This replica's webhook deadline, its cancelled work still unwinding, and the fail-safe
    answers given that the database has not recorded yet."""

    seconds: float
    clock: Clock
    journal: FailsafeJournal | None = None
    unwinding: set[asyncio.Future[Any]] = field(default_factory=set)
    failsafes: list[FailsafeGiven] = field(default_factory=list)
    # MessageSids of texts answered with the apology and not recorded (the provider recovery
    # takes them on its next pass; oncall/domain/calls/recovery.py).
    apologised: set[str] = field(default_factory=set)
    outage: Outage = field(default_factory=Outage)
    _lines: list[tuple[str, FailsafeGiven]] = field(default_factory=list)
    _next_batch: asyncio.Future[None] | None = None  # the flush that will take _lines
    _last_batch: asyncio.Future[None] | None = None  # the flush taking the latest line
    _writer: asyncio.Future[None] | None = None

    def apologise(self, message_sid: str) -> None:
        """Note a text answered with the apology, not recorded (at most KEPT are noted: past
        that the recovery still finds the rest, a minute later)."""
        if len(self.apologised) < KEPT:
            self.apologised.add(message_sid)

    async def run(self, work: Callable[[], Awaitable[T]]) -> T:
        """`work()` within the budget, or OverBudget (the work cancelled, not waited for)."""

        async def limited() -> T:
            with waits_limited(self.seconds):
                try:
                    return await work()
                except DBAPIError as error:
                    if not connection_lost(error):
                        raise
                    log.warning("webhook work met a dead database connection; once more",
                                error=type(error.orig).__name__)  # fmt: skip
                    return await work()

        task = asyncio.ensure_future(limited())
        try:
            done, _ = await asyncio.wait({task}, timeout=self.seconds)
        except asyncio.CancelledError:  # the request itself went away: nothing may commit late
            self._abandon(task)
            raise
        if task in done:
            if database_away(task.exception()):
                self.outage.seen(self.clock.now())
            return task.result()
        self._abandon(task)
        self.outage.seen(self.clock.now())
        raise OverBudget(f"not done within {self.seconds:g} s")

    def _abandon(self, task: asyncio.Future[Any]) -> None:
        task.cancel()
        self.unwinding.add(task)  # kept alive until it has unwound
        task.add_done_callback(self._unwound)

    def _unwound(self, task: asyncio.Future[Any]) -> None:
        self.unwinding.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("webhook work over budget ended with an error", error=str(task.exception()))

    def remember(self, given: FailsafeGiven) -> None:
        """Keep `given` until it is recorded: in memory, and in the journal (written in a
        thread; `journalled` waits for it)."""
        self.failsafes.append(given)
        del self.failsafes[:-KEPT]
        self._journal("given", given)

    async def journalled(self) -> None:
        """Wait (at most JOURNAL_WAIT_S: the caller is waiting) for the journal's lines so far
        to reach the disk; a line still being written is written all the same."""
        if self._last_batch is not None and not self._last_batch.done():
            await asyncio.wait({self._last_batch}, timeout=JOURNAL_WAIT_S)

    async def journal_written(self) -> None:
        """Wait for every journal line queued so far to be written (nobody else waiting)."""
        if self._last_batch is not None:
            await asyncio.shield(self._last_batch)

    def _journal(self, state: str, given: FailsafeGiven) -> None:
        """Queue a journal line. One writer at a time takes every line queued so far and writes
        them with one fsync, so a burst of fail-safe answers waits for one or two flushes."""
        if self.journal is None:
            return
        self._lines.append((state, given))
        if self._next_batch is None:
            self._next_batch = asyncio.get_running_loop().create_future()
        self._last_batch = self._next_batch
        if self._writer is None or self._writer.done():
            self._writer = asyncio.ensure_future(self._write_lines(self.journal))

    async def _write_lines(self, journal: FailsafeJournal) -> None:
        while self._lines:
            lines, batch = self._lines, self._next_batch
            self._lines, self._next_batch = [], None
            try:
                await asyncio.to_thread(journal.write, lines)
            except Exception as exc:  # the answers stay in memory; a restart would lose them
                log.error("fail-safe journal not written", error=str(exc)[:200])
            finally:
                if batch is not None and not batch.done():
                    batch.set_result(None)

    def pending(self, call_sid: str | None = None) -> list[FailsafeGiven]:
        """The fail-safe answers not yet recorded (only `call_sid`'s, if given)."""
        return [g for g in self.failsafes if call_sid is None or g.call_sid == call_sid]

    def later(self, given: FailsafeGiven) -> None:
        """`given` could not be recorded: tried again after the others."""
        if given in self.failsafes:
            self.failsafes = [g for g in self.failsafes if g != given] + [given]

    def forget(self, given: FailsafeGiven) -> None:
        """`given` is recorded."""
        self.failsafes = [g for g in self.failsafes if g != given]
        self._journal("recorded", given)

    async def close(self) -> None:
        """At shutdown: let cancelled work finish unwinding (its connections returned)."""
        if self.unwinding:
            await asyncio.wait(set(self.unwinding), timeout=self.seconds + 1)
        if self._writer is not None:
            await self._writer
        if self.journal is not None:
            self.journal.close()
