"""oncall.cpu: CPU-heavy work in a worker process of its own, at a lower priority."""

from __future__ import annotations

import asyncio
import os
import sys
from concurrent.futures.process import BrokenProcessPool

import pytest

from oncall.cpu import CpuWorkers, lower_priority


def _own_priority() -> int:
    return os.getpriority(os.PRIO_PROCESS, 0)


async def test_work_runs_in_another_process_and_the_workers_stop() -> None:
    workers = CpuWorkers(1)
    try:
        assert await workers.run(os.getpid) != os.getpid()
        assert await workers.run(sum, [1, 2, 3]) == 6
    finally:
        workers.close()
    workers.close()  # a second close does nothing


@pytest.mark.skipif(sys.platform != "linux", reason="the nice value is per thread on Linux only")
async def test_the_workers_run_at_a_lower_priority_than_the_server() -> None:
    workers = CpuWorkers(1, increment=5)
    try:
        assert await workers.run(_own_priority) == min(19, _own_priority() + 5)
    finally:
        workers.close()
    before = _own_priority()
    lower_priority(0)  # nothing to lower
    assert _own_priority() == before


async def test_a_worker_that_dies_does_not_break_the_work_after_it() -> None:
    workers = CpuWorkers(1)
    try:
        with pytest.raises(BrokenProcessPool):
            await workers.run(os._exit, 1)  # a worker killed mid-task (the OOM killer)
        assert await workers.run(sum, [1, 2, 3]) == 6  # the next walk or export still runs
    finally:
        workers.close()


def _session_and_autogroup() -> tuple[int, str]:
    """The process's session, and its autogroup: empty where the kernel has none or the process
    is in a control group of its own (a container, a systemd unit), which then takes its place."""
    try:
        with open("/proc/self/autogroup", encoding="ascii") as autogroup:
            return os.getsid(0), autogroup.read().strip()
    except FileNotFoundError:
        return os.getsid(0), ""


@pytest.mark.skipif(sys.platform != "linux", reason="sessions share the CPU on Linux only")
async def test_the_workers_cpu_counts_against_a_session_of_their_own() -> None:
    """The kernel shares the CPU between sessions first: a worker left in the server's session
    took the CPU as the server's own, whatever its nice value (cpu.in_background)."""
    workers = CpuWorkers(1)
    try:
        session, autogroup = await workers.run(_session_and_autogroup)
    finally:
        workers.close()
    server_session, server_autogroup = _session_and_autogroup()
    assert session != server_session
    if server_autogroup:  # where autogroups are in use, the worker's session has its own
        assert autogroup != server_autogroup


_SERVER = """
import asyncio, os, sys, time
from oncall.cpu import CpuWorkers

async def main():
    workers = CpuWorkers(1)
    print(await workers.run(os.getpid), flush=True)
    time.sleep(600)

asyncio.run(main())
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


@pytest.mark.skipif(sys.platform != "linux", reason="the parent-death signal is Linux's")
async def test_a_worker_ends_when_its_server_is_killed() -> None:
    """A worker is out of the server's session and process group (above), so a kill of the
    group no longer reaches it, and a pool's worker waits for work for ever: it asks to be
    ended with its parent."""
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _SERVER, stdout=asyncio.subprocess.PIPE
    )
    assert server.stdout is not None
    worker = int(await asyncio.wait_for(server.stdout.readline(), 60))
    assert _alive(worker)
    server.kill()
    for _ in range(600):
        if not _alive(worker):
            break
        await asyncio.sleep(0.05)
    else:
        os.kill(worker, 9)
        raise AssertionError("the worker outlived its server")
    await asyncio.wait_for(server.communicate(), 60)  # (the worker held its stdout too)
