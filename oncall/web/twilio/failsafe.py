"""The last known on-duty numbers, kept in memory for fail-safe TwiML (the periodic runner
refreshes them each minute of the service's clock)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime

from aiohttp import web

from oncall import keys
from oncall.domain.duty import on_duty_at
from oncall.log import get_logger

log = get_logger(__name__)


@dataclass
class DutyNumbers:
    """Phone numbers of whoever was on duty at the last successful refresh."""

    numbers: tuple[str, ...] = ()
    refreshed_at: datetime | None = None
    failures: int = field(default=0)


async def refresh_duty_numbers(app: web.Application, now: datetime) -> None:
    cache = app[keys.DUTY_NUMBERS]
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
    """cleanup_ctx: fill the cache at start-up, before the first call can need it."""
    app[keys.DUTY_NUMBERS] = DutyNumbers()
    await refresh_duty_numbers(app, app[keys.CLOCK].now())
    yield
