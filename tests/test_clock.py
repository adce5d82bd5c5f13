"""Clocks: a manual clock wakes sleepers only when moved; the demo clock can be set."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from oncall.clock import ManualClock, OffsetClock

START = datetime(2027, 3, 28, 0, 30, tzinfo=UTC)


async def test_manual_clock_sleepers_wake_when_time_passes_their_deadline() -> None:
    clock = ManualClock(START)
    woke: list[datetime] = []

    async def sleeper() -> None:
        await clock.sleep(300)
        woke.append(clock.now())

    task = asyncio.create_task(sleeper())
    await asyncio.sleep(0)
    await clock.advance(299)
    assert woke == []
    await clock.advance(1)
    await asyncio.wait_for(task, 1)
    assert woke == [START + timedelta(seconds=300)]


def test_manual_clock_refuses_naive_times() -> None:
    with pytest.raises(ValueError, match="aware"):
        ManualClock(datetime(2027, 1, 1))  # noqa: DTZ001


async def test_offset_clock_jumps_and_runs_fast() -> None:
    base = ManualClock(START)
    clock = OffsetClock(base)
    target = datetime(2027, 1, 8, 23, 0, tzinfo=UTC)
    clock.set(target, speed=60)
    assert clock.now() == target
    await base.advance(10)  # ten seconds of real time
    assert clock.now() == target + timedelta(minutes=10)
    with pytest.raises(ValueError, match="speed"):
        clock.set(target, speed=0)


def test_offset_clock_stays_within_ten_years_of_real_time() -> None:
    clock = OffsetClock(ManualClock(START))
    for far in (datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), datetime(1, 1, 1, tzinfo=UTC)):
        with pytest.raises(ValueError, match="within ten years"):
            clock.set(far)
    assert clock.now() == START  # a refused jump moves nothing
    clock.set(START + timedelta(days=3650))
    assert clock.now() + timedelta(days=365) > clock.now()  # sums of time still work
