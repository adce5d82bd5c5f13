"""This process's loop figures: passes, failures and the last success, as /metrics reports them."""

from __future__ import annotations

import time

import pytest

from oncall.domain.metrics import loop_stats, timed_pass


async def test_passes_and_failures_are_counted_and_a_failure_is_re_raised() -> None:
    name = "test loop"
    before = time.time()

    async def works() -> str:
        return "done"

    async def fails() -> None:
        raise ConnectionError("database went away")

    assert await timed_pass(name, works) == "done"
    succeeded_at = loop_stats()[name].last_success_at
    assert succeeded_at >= before
    with pytest.raises(ConnectionError):
        await timed_pass(name, fails)
    stats = loop_stats()[name]
    assert (stats.passes, stats.failures) == (2, 1)
    assert stats.last_success_at == succeeded_at  # a failure is not a success
    assert stats.seconds_total >= stats.last_pass_seconds >= 0
    stats.passes = 99  # a copy: the process's own figures are untouched
    assert loop_stats()[name].passes == 2
