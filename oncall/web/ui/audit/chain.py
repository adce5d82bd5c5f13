"""The chain's state on pages: the last recorded verification, re-verified in the background."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from oncall import keys
from oncall.domain.audit import (
    ChainStatus,
    chain_status,
    record_verification,
    verify_and_record,
)
from oncall.domain.chain import verify_chain_at
from oncall.log import get_logger
from oncall.settings import Settings
from oncall.web.ui.audit.common import AuditJobs

log = get_logger(__name__)

# How long the Now page waits for a verification it finds running: a small log is verified in
# well under this, so the page shows the fresh result; a big one carries on in the background.
SETTLE_SECONDS = 1.0


def start_verification(config: Mapping[Any, Any], *, actor: str = "") -> bool:
    """Walk the whole chain in a background task that records its result (`audit.verified`);
    at most one at a time in this process, walked in a worker process (oncall.cpu). `actor` is
    the user who asked ("" = the service). Returns False when one is already running."""
    jobs = config[keys.AUDIT_JOBS]
    if jobs.busy:
        return False
    database, clock = config[keys.DATABASE], config[keys.CLOCK]
    workers, url = config.get(keys.CPU_WORKERS), config[keys.SETTINGS].database_url

    async def verify() -> None:
        at = clock.now()
        try:
            if workers is None or ":memory:" in url:  # (an in-memory database is this process's)
                async with database.sessions() as session:
                    await verify_and_record(session, at=at, actor=actor)
                    await session.commit()
                return
            # Walked in a worker process with its own connection: this process's event loop
            # (the webhooks') neither hashes the chain nor holds a connection meanwhile.
            report = await workers.run(verify_chain_at, url)
            async with database.sessions() as session:
                await record_verification(session, report, at=at, actor=actor)
                await session.commit()
        except Exception:  # pages keep showing the previous result, marked as not recent
            log.exception("chain verification failed")

    jobs.verifying = asyncio.create_task(verify(), name="verify-chain")
    jobs.tasks.add(jobs.verifying)
    jobs.verifying.add_done_callback(jobs.tasks.discard)
    return True


def is_stale(status: ChainStatus, now: datetime, settings: Settings) -> bool:
    """Never verified, or last verified longer ago than ONCALL_CHAIN_VERIFY_MINUTES."""
    if status.verified_at is None:
        return True
    minutes = settings.chain_verify_minutes
    return minutes > 0 and now - status.verified_at >= timedelta(minutes=minutes)


async def watched_chain_status(request: web.Request, session: AsyncSession) -> ChainStatus:
    """The last recorded verification; if it is stale, a new one starts in the background (the
    request never walks the chain itself)."""
    status = await chain_status(session)
    config = request.config_dict
    settings: Settings = config[keys.SETTINGS]
    automatic = settings.chain_verify_minutes > 0
    stale = is_stale(status, config[keys.CLOCK].now(), settings)
    if automatic and stale and keys.AUDIT_JOBS in config:
        start_verification(config)
    return status


async def settled_chain_status(request: web.Request) -> tuple[ChainStatus, bool, bool]:
    """(status, stale, verifying) for a page that shows one line about the chain: as
    `watched_chain_status`, then up to SETTLE_SECONDS for a running verification to finish.
    Holds no database connection while it waits (SQLite has one, and the walk needs it)."""
    config = request.config_dict
    database = config[keys.DATABASE]
    async with database.sessions() as session:
        status = await watched_chain_status(request, session)
    jobs = config.get(keys.AUDIT_JOBS)
    running = jobs.verifying if jobs is not None and jobs.busy else None
    if running is not None:
        await asyncio.wait({running}, timeout=SETTLE_SECONDS)  # never cancels it
        if running.done():
            async with database.sessions() as session:
                status = await chain_status(session)
    verifying = bool(jobs and jobs.busy)
    return status, is_stale(status, config[keys.CLOCK].now(), config[keys.SETTINGS]), verifying


async def audit_jobs_ctx(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: hold this process's background audit work; cancel it at shutdown."""
    jobs = AuditJobs()
    app[keys.AUDIT_JOBS] = jobs
    yield
    for task in list(jobs.tasks):
        task.cancel()
    await asyncio.gather(*jobs.tasks, return_exceptions=True)


async def verify_if_stale(app: web.Application) -> bool:
    """The periodic pass: verify the chain when the last verification is stale (whether or not
    anyone opens a page), at most one at a time in this process. True if one ran."""
    database, clock, settings = app[keys.DATABASE], app[keys.CLOCK], app[keys.SETTINGS]
    async with database.sessions() as session:
        status = await chain_status(session)
    if not is_stale(status, clock.now(), settings) or not start_verification(app):
        return False
    running = app[keys.AUDIT_JOBS].verifying
    if running is not None:
        await asyncio.wait({running})  # never cancels it: a shutdown cancels it with the rest
    return True
