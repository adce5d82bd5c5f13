"""The last known on-duty numbers, kept in memory and refreshed each minute, for fail-safe TwiML."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime

from aiohttp import web

from oncall import keys
from oncall.domain.duty.roster import on_duty_at
from oncall.log import get_logger

log = get_logger(__name__)

REFRESH_SECONDS = 60.0


@dataclass
class DutyNumbers:
    """Phone numbers of whoever was on duty at the last successful refresh."""

    numbers: tuple[str, ...] = ()
    refreshed_at: datetime | None = None
    failures: int = field(default=0)


DUTY_NUMBERS = web.AppKey("duty_numbers", DutyNumbers)


async def refresh(app: web.Application) -> None:
    cache = app[DUTY_NUMBERS]
    now = app[keys.CLOCK].now()
    try:
        async with app[keys.DATABASE].sessions() as session:
            duty = await on_duty_at(session, now)
    except Exception:  # keep the old numbers: stale beats none when the database is down
        cache.failures += 1
        log.warning("could not refresh the on-duty numbers", failures=cache.failures)
        return
    cache.numbers = tuple(person.phone for person in duty.everyone)
    cache.refreshed_at = now


async def duty_numbers_ctx(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: fill the cache at start-up, then refresh it every minute."""
    app[DUTY_NUMBERS] = DutyNumbers()
    await refresh(app)

    async def loop() -> None:
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            await refresh(app)

    task = asyncio.create_task(loop())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
