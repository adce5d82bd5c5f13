"""CPU-heavy work away from the event loop that answers webhooks (docs/routing.md, "Isolation").

Two tools. `lower_priority` lowers the scheduling priority of the thread that calls it (Linux
`nice`; threads it starts inherit it), so that on a busy machine the kernel runs the loop's
thread first. `CpuWorkers` runs a function in a process of its own, in a session of its own, at
that lower priority (`in_background`): the way for pure-Python work (hashing the chain), which
in a thread would hold the GIL that the loop needs after every wait for the network.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import suppress
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

LOWER_PRIORITY = 10  # nice increment for background CPU work (0: the loop's own priority)
PARENT_CHECK_SECONDS = 1.0  # how often a worker checks that its server is still there


def lower_priority(increment: int = LOWER_PRIORITY) -> None:
    """Lower the calling thread's priority by `increment` (Linux only, where the nice value is
    the thread's; elsewhere it would be the whole process's, so nothing is done)."""
    if increment <= 0 or not hasattr(os, "setpriority") or os.uname().sysname != "Linux":
        return
    thread = threading.get_native_id()
    with suppress(OSError):  # not permitted here: the work still runs off the loop
        os.setpriority(os.PRIO_PROCESS, thread, os.getpriority(os.PRIO_PROCESS, thread) + increment)


def in_background(increment: int = LOWER_PRIORITY, parent: int | None = None) -> None:
    """For a worker process, once at its start: a session of its own, then `lower_priority`
    for its threads; and an end with its `parent` (pid), however that one ends.

    Out of the server's session a worker is out of its process group too, which a terminal's
    hang-up or a kill of the group no longer reaches; and a pool's worker whose server was
    killed waits for work for ever (it holds both ends of its queue's pipe). So a thread of its
    own ends it once its parent is gone (checked every second; not Linux's parent-death signal,
    which follows the thread that started the worker, not the process: a pool started from a
    thread that later ended lost its workers). (systemd and containers end every process of the
    service.)

    Linux shares the CPU between sessions ("autogroup") before it shares it between the
    threads within one, and a thread's `nice` only counts within its session. A worker left in
    the server's session at nice +10 still took the CPU as one of the server's own: a rota solve
    that kept the session busy made the loop's thread wait behind every other session's work
    when it woke for a webhook. In a session of its own the worker's CPU counts against itself,
    and the server's session, mostly idle, is run first when it wakes. The session's own
    priority is left as it is: lowered (autogroup nice +10) it starved the worker on a busy
    machine (a walk or a rota solve given a tenth of every other session's share). Where a
    session cannot be made (another system) the thread's priority alone is lowered. Under a
    service manager that puts the service in a control group (systemd, containers) autogroups
    do not apply; its CPU weight does."""
    if parent is not None:
        threading.Thread(target=_end_with, args=(parent,), name="parent-watch", daemon=True).start()
    if increment > 0 and os.uname().sysname == "Linux":
        with suppress(OSError):
            os.setsid()
    lower_priority(increment)


def _end_with(parent: int) -> None:
    """End this process once `parent` is no longer its parent (it ended; the orphan was taken
    in by another process)."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(0)


class Offload(Protocol):
    """Runs `fn(*args)` somewhere other than the event loop: `CpuWorkers.run`, or
    `asyncio.to_thread` where no worker process is at hand (the command line, tests)."""

    def __call__(self, fn: Callable[..., Any], /, *args: Any) -> Awaitable[Any]: ...


class CpuWorkers:
    """A small pool of worker processes, started (by spawning: no copy of the server's threads
    or connections) when first needed. `fn` and its arguments must be picklable, and `fn` must
    open whatever it needs itself (a database engine of its own, never the server's)."""

    def __init__(self, processes: int = 1, *, increment: int = LOWER_PRIORITY) -> None:
        self._processes, self._increment = processes, increment
        self._pool: ProcessPoolExecutor | None = None

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                self._processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=in_background,
                initargs=(self._increment, os.getpid()),
            )
        pool = self._pool
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)
        except BrokenProcessPool:
            # A worker died (the OOM killer, a crash): the pool refuses all work from now on, so
            # it is dropped and the next call starts a fresh one; this call's work is lost.
            if self._pool is pool:
                self._pool = None
                pool.shutdown(wait=False, cancel_futures=True)
            raise

    def close(self) -> None:
        """Stop the processes, ending any work under way (a shutdown does not wait for a walk
        of a million events; it runs again later)."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        running = list((getattr(pool, "_processes", None) or {}).values())  # no public way
        pool.shutdown(wait=False, cancel_futures=True)
        for process in running:
            process.terminate()
