"""Calls on the service's clock: each webhook of a call at its moment, not all at its start.

The fake Twilio plays a call's rings, speech and talk without waiting: left alone, every
webhook of a call would reach the service at the instant the call started, with the service's
clock standing still. `CallPace` is the fake's `pace`: it holds each webhook of an inbound call
until the night's clock reaches the call's start plus the seconds the call has lasted so far,
and the night's driver moves its clock to those moments as to any other (running what falls
due in between: the escalation and outbox passes, people's replies, other calls). So the
service records a ring-out 25 s into the call when it is 25 s into the call, and a call given
the fail-safe ring is asked about by the call check 90 s after that moment, beside the rest of
the call, not after it.
"""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Coroutine
from datetime import datetime, timedelta
from typing import Any

from oncall.clock import ManualClock


class CallPace:
    """Holds inbound calls' webhooks until the clock reaches their moment; tracks the calls."""

    def __init__(self, clock: ManualClock) -> None:
        self._clock = clock
        self._starts: dict[str, datetime] = {}  # CallSid -> the clock at its first webhook
        self._waiting: list[tuple[datetime, int, asyncio.Future[None], asyncio.Task[Any]]] = []
        self._seq = 0
        self._calls: set[asyncio.Task[Any]] = set()
        self._held: set[asyncio.Task[Any]] = set()
        self._changed = asyncio.Event()
        self._failed: list[BaseException] = []

    async def __call__(self, sid: str, seconds: float) -> None:
        """The fake's `pace`: wait until the clock is `seconds` into call `sid`."""
        start = self._starts.setdefault(sid, self._clock.now() - timedelta(seconds=seconds))
        when = start + timedelta(seconds=seconds)
        task = asyncio.current_task()
        if when <= self._clock.now() or task is None:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._seq += 1
        heapq.heappush(self._waiting, (when, self._seq, future, task))
        self._held.add(task)
        self._changed.set()
        try:
            await future
        finally:
            self._held.discard(task)

    def start(self, call: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run `call` (one that places an inbound call) as a call in flight."""
        task = asyncio.ensure_future(call)
        self._calls.add(task)
        task.add_done_callback(self._ended)
        return task

    def _ended(self, task: asyncio.Task[Any]) -> None:
        self._calls.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self._failed.append(task.exception())  # type: ignore[arg-type]
        self._changed.set()

    @property
    def next_at(self) -> datetime | None:
        """The moment the earliest held webhook is waiting for."""
        return self._waiting[0][0] if self._waiting else None

    def release(self, now: datetime) -> bool:
        """Let every webhook whose moment is `now` or earlier go on; whether any was held."""
        released = False
        while self._waiting and self._waiting[0][0] <= now:
            _when, _seq, future, task = heapq.heappop(self._waiting)
            self._held.discard(task)  # running again from now on, as far as `settle` knows
            if not future.done():
                future.set_result(None)
            released = True
        return released

    async def settle(self) -> None:
        """Until every call in flight waits for a later moment or has ended."""
        while any(task not in self._held for task in self._calls):
            self._changed.clear()
            await self._changed.wait()
        if self._failed:  # the simulator's own fault: say so at once
            raise self._failed.pop(0)

    async def finish(self) -> None:
        """Let every call in flight run to its end (the night is over: no clock to wait for)."""
        while self._calls:
            self.release(datetime.max.replace(tzinfo=self._clock.now().tzinfo))
            await self.settle()
        self._starts.clear()

    @property
    def in_flight(self) -> int:
        """Calls started and not ended."""
        return len(self._calls)

    @property
    def starts(self) -> dict[str, datetime]:
        """CallSid -> the clock at the call's start, for the calls of this night so far."""
        return self._starts
