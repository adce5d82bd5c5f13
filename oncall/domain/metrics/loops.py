"""How this process's background loops (escalation scheduler, outbox sender) are doing.

Per process on purpose: the database says whether *some* replica keeps the timers moving (the lag
figures); this says whether *this* replica's loops run, so a stuck replica can be told apart.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TypeVar

T = TypeVar("T")


@dataclass(slots=True)
class LoopStats:
    """Counts since the process started; times are Unix seconds, as Prometheus's time()."""

    passes: int = 0
    failures: int = 0
    seconds_total: float = 0.0  # time spent in passes, failed ones included
    last_success_at: float = 0.0  # 0: never
    last_pass_seconds: float = 0.0


_LOOPS: dict[str, LoopStats] = {}


def loop_stats() -> dict[str, LoopStats]:
    """A copy of every loop's figures, by loop name."""
    return {name: replace(stats) for name, stats in _LOOPS.items()}


def _record(stats: LoopStats, started: float) -> None:
    elapsed = time.perf_counter() - started
    stats.passes += 1
    stats.seconds_total += elapsed
    stats.last_pass_seconds = elapsed


async def timed_pass(name: str, run: Callable[[], Awaitable[T]]) -> T:
    """Run one pass of loop `name` and record it; a failure is counted and re-raised.

    A pass cancelled at shut-down is not recorded.
    """
    stats = _LOOPS.setdefault(name, LoopStats())
    started = time.perf_counter()
    try:
        result = await run()
    except Exception:
        _record(stats, started)
        stats.failures += 1
        raise
    _record(stats, started)
    stats.last_success_at = time.time()
    return result
