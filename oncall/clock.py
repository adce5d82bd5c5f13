"""Clocks: whatever waits or decides by time takes one, so tests move time instead of sleeping."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """The current time (always aware, UTC) and a way to wait."""

    def now(self) -> datetime:
        """The current instant in UTC."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` of this clock's time."""
        ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class ManualClock:
    """A clock that only moves when told to; sleepers wake when time passes their deadline."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware start time")
        self._now = start.astimezone(UTC)
        self._changed = asyncio.Condition()

    def now(self) -> datetime:
        return self._now

    async def sleep(self, seconds: float) -> None:
        deadline = self._now + timedelta(seconds=seconds)
        async with self._changed:
            await self._changed.wait_for(lambda: self._now >= deadline)

    async def advance(self, seconds: float) -> None:
        """Move time forward and wake every sleeper whose deadline has passed."""
        await self.set(self._now + timedelta(seconds=seconds))

    async def set(self, instant: datetime) -> None:
        """Jump to `instant` (forward or back) and wake sleepers."""
        self._now = instant.astimezone(UTC)
        async with self._changed:
            self._changed.notify_all()
        # Let woken tasks run before the caller continues.
        await asyncio.sleep(0)


class OffsetClock:
    """Real time shifted and sped up: the demo's simulator can set the time or run it fast.

    Only to within `MAX_SHIFT` of real time: a date near the end of the calendar (9999-12-31)
    overflowed every later sum of a time and a duration, and every page failed until a restart.
    """

    MAX_SHIFT = timedelta(days=3653)  # ten years either way

    def __init__(self, base: Clock | None = None) -> None:
        self._base = base or SystemClock()
        self._anchor_real = self._base.now()
        self._anchor_virtual = self._anchor_real
        self._speed = 1.0

    @property
    def speed(self) -> float:
        return self._speed

    def now(self) -> datetime:
        elapsed = (self._base.now() - self._anchor_real).total_seconds()
        return self._anchor_virtual + timedelta(seconds=elapsed * self._speed)

    async def sleep(self, seconds: float) -> None:
        await self._base.sleep(seconds / self._speed)

    def set(self, instant: datetime, *, speed: float | None = None) -> None:
        """Make `now()` return `instant` from this moment, running at `speed` times real time."""
        if instant.tzinfo is None:
            raise ValueError("OffsetClock.set needs an aware time")
        if speed is not None and not 0.1 <= speed <= 3600:
            raise ValueError("speed must be between 0.1 and 3600")
        real = self._base.now()
        if abs(instant - real) > self.MAX_SHIFT:
            raise ValueError("at must be within ten years of today")
        self._anchor_real = real
        self._anchor_virtual = instant.astimezone(UTC)
        if speed is not None:
            self._speed = speed
