"""Rota solving in the background (generate, repair) with a progress page and a JSON status.

The solver runs in a worker thread; its progress callback hands each report to the event loop.
Jobs live in this process: the status link works on the replica that started the job (the
version itself is in the database, so every replica shows the result).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from oncall import keys
from oncall.domain.rota import Month, RotaConflict, RotaInvalid, SolveProgress
from oncall.log import get_logger
from oncall.web.auth import require
from oncall.web.ui.common import EDITORS, page

log = get_logger(__name__)
routes = web.RouteTableDef()


@dataclass
class RotaJob:
    """One background solve and what the progress page shows of it."""

    id: str
    kind: str  # "generate" or "repair"
    month: str
    state: str = "running"  # running, done, failed
    finished_at: datetime | None = None
    stage: str = "starting"
    elapsed_s: float = 0.0
    best: float | None = None
    bound: float | None = None
    time_limit_s: float = 0.0
    message: str = ""
    result_url: str = ""
    moves: list[dict[str, Any]] = field(default_factory=list)

    def report(self, update: SolveProgress) -> None:
        self.stage, self.elapsed_s = update.stage, update.elapsed_s
        self.best, self.bound = update.best, update.bound

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "month": self.month,
            "state": self.state,
            "stage": self.stage,
            "elapsed_s": round(self.elapsed_s, 1),
            "best": self.best,
            "bound": self.bound,
            "time_limit_s": self.time_limit_s,
            "message": self.message,
            "result_url": self.result_url,
        }


@dataclass
class RotaJobs:
    jobs: dict[str, RotaJob] = field(default_factory=dict)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)


JOBS_KEPT = timedelta(hours=24)  # a finished job's page and JSON stay this long

# The work: given a progress callback (safe to call from any thread), store a version and return
# (message, result_url, moves).
JobWork = Callable[[Callable[[SolveProgress], None]], Awaitable[tuple[str, str, list[Any]]]]


def start_job(
    request: web.Request, *, kind: str, month: str, time_limit_s: float, work: JobWork
) -> RotaJob:
    registry, clock = request.config_dict[keys.ROTA_JOBS], request.config_dict[keys.CLOCK]
    job = RotaJob(secrets.token_urlsafe(12), kind, month, time_limit_s=time_limit_s)
    registry.jobs[job.id] = job
    loop = asyncio.get_running_loop()

    def progress(update: SolveProgress) -> None:
        loop.call_soon_threadsafe(job.report, update)

    async def run() -> None:
        try:
            job.message, job.result_url, job.moves = await work(progress)
            job.state = "done"
        except (RotaInvalid, RotaConflict) as exc:
            job.state, job.message = "failed", str(exc)
        except Exception:
            log.exception("rota job failed", kind=kind, month=month)
            job.state, job.message = "failed", "the solver failed; the error is in the server log"
        finally:
            job.finished_at = clock.now()

    task = asyncio.create_task(run())
    registry.tasks.add(task)
    task.add_done_callback(registry.tasks.discard)
    return job


async def rota_jobs_ctx(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: cancel this process's running solves at shutdown."""
    yield
    registry = app[keys.ROTA_JOBS]
    for task in list(registry.tasks):
        task.cancel()
    await asyncio.gather(*registry.tasks, return_exceptions=True)


def forget_finished_jobs(app: web.Application, now: datetime) -> int:
    """Drop jobs finished more than JOBS_KEPT ago (their versions are in the database); the
    periodic runner calls this, so the registry cannot grow without end. Returns how many."""
    registry = app[keys.ROTA_JOBS]
    old = [
        job_id
        for job_id, job in registry.jobs.items()
        if job.finished_at is not None and now - job.finished_at > JOBS_KEPT
    ]
    for job_id in old:
        del registry.jobs[job_id]
    return len(old)


def _job(request: web.Request) -> RotaJob:
    job = request.config_dict[keys.ROTA_JOBS].jobs.get(request.match_info["job"])
    if job is None:
        raise web.HTTPNotFound(reason="no such job here (it may have run on another server)")
    return job


@routes.get("/rota/jobs/{job}.json")
@require(*EDITORS)
async def job_status(request: web.Request) -> web.Response:
    return web.json_response(_job(request).as_json())


@routes.get("/rota/jobs/{job}")
@require(*EDITORS)
async def job_page(request: web.Request) -> web.Response:
    job = _job(request)
    title = Month.parse(job.month).title()
    return page(request, "rota/job.html", {"job": job, "title": title})
