"""Solving off the event loop: a solver worker that dies leaves nothing of the solve behind."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import resource_sharer
from pathlib import Path
from types import FrameType

import pytest

from oncall.cpu import CpuWorkers
from oncall.domain.rota import SolveProgress
from oncall.domain.rota.solving import solve_problem

PROBLEM = Path(__file__).parents[1] / "rota_solver" / "fixtures" / "rota-problem-small.json"
WAIT = 60.0  # generous: the machine running the tests may be busy


def _reading_threads() -> list[str]:
    """The threads of this process now inside the solve's reading of its reports."""
    return [
        str(ident)
        for ident, frame in sys._current_frames().items()
        if any(f.f_code.co_name == "receive" and "solving" in f.f_code.co_filename
               for f in _stack(frame))
    ]  # fmt: skip


def _stack(frame: FrameType | None) -> list[FrameType]:
    found = []
    while frame is not None:
        found.append(frame)
        frame = frame.f_back
    return found


@pytest.mark.skipif(sys.platform != "linux", reason="SIGKILL and fd passing as on Linux")
async def test_a_solver_worker_killed_before_it_took_the_solve_leaves_no_reader_waiting() -> None:
    """The worker died with the solve queued for it: its copy of the progress pipe's writing end
    stayed with multiprocessing's resource sharer, open for ever. The thread reading the reports
    then waited for ever, and the server could not exit (a fresh-clone CI run hung so)."""
    workers = CpuWorkers(1)
    problem = json.loads(PROBLEM.read_text(encoding="utf-8"))
    try:
        worker = await workers.run(os.getpid)
        busy = asyncio.ensure_future(workers.run(time.sleep, WAIT))
        heard: list[SolveProgress] = []
        solving = asyncio.ensure_future(solve_problem(problem, progress=heard.append, pool=workers))
        # Wait until the solve is queued, its writing end handed to the resource sharer
        # (multiprocessing's own bookkeeping: no public way to see it).
        for _ in range(int(WAIT / 0.05)):
            if resource_sharer._resource_sharer._cache:  # type: ignore[attr-defined]
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the solve was never queued")
        os.kill(worker, signal.SIGKILL)
        with pytest.raises(BrokenProcessPool):
            await asyncio.wait_for(solving, WAIT)
        with pytest.raises(BrokenProcessPool):
            await busy
        assert heard == []
        assert _reading_threads() == []
    finally:
        workers.close()
