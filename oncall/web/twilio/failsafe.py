"""The last known on-duty numbers, kept in memory for fail-safe TwiML (the periodic runner
refreshes them each minute of the service's clock), and the fail-safe answers given while the
database was away, recorded when it answers again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime

from aiohttp import web
from aiohttp.helpers import ChainMapProxy

from oncall import keys
from oncall.db.engine import waits_limited
from oncall.domain.calls.failsafe import FailsafeGiven, record_failsafe
from oncall.domain.duty import on_duty_at
from oncall.log import get_logger
from oncall.web.twilio.budget import WebhookBudget

log = get_logger(__name__)

App = web.Application | ChainMapProxy  # the app, or a request's view of it (config_dict)


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


async def record_failsafes(app: App, call_sid: str | None = None) -> int:
    """Write the fail-safe answers given and not yet recorded (only `call_sid`'s, if given),
    each in its own transaction; those the database still refuses are kept for the next pass."""
    budget = app[keys.WEBHOOK_BUDGET]
    zone = app[keys.SETTINGS].zone
    waiting = budget.pending(call_sid)
    written = 0
    for given in waiting:
        try:
            with waits_limited(budget.seconds):
                async with app[keys.DATABASE].sessions() as session:
                    await record_failsafe(session, given, zone=zone)
                    await session.commit()
        except Exception as exc:  # still away: kept, tried again on the next pass
            log.debug("fail-safe answer not recorded yet", error=type(exc).__name__)
            continue
        budget.forget(given)  # only once written: a pass cancelled half-way loses nothing
        written += 1
    if waiting:
        log.info("fail-safe answers recorded", recorded=written, waiting=len(waiting) - written)
    return written


def failsafe_given(app: App, *, step: str, receipt: str, params: dict[str, str]) -> FailsafeGiven:
    """Remember that this caller's call was given the fail-safe ring now, at `step`."""
    numbers = app[keys.DUTY_NUMBERS].numbers
    given = FailsafeGiven(
        call_sid=params.get("CallSid", ""), step=step, receipt=receipt,
        from_=params.get("From", ""), to=params.get("To", ""), numbers=numbers,
        fallback=bool(app[keys.SETTINGS].fallback_number), at=app[keys.CLOCK].now(),
    )  # fmt: skip
    if given.call_sid:
        app[keys.WEBHOOK_BUDGET].remember(given)
    return given


async def duty_numbers_ctx(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: fill the cache at start-up, before the first call can need it; keep the
    webhooks' budget (and the work it cancelled, until that has unwound)."""
    app[keys.DUTY_NUMBERS] = DutyNumbers()
    app[keys.WEBHOOK_BUDGET] = WebhookBudget(app[keys.SETTINGS].webhook_budget_seconds)
    await refresh_duty_numbers(app, app[keys.CLOCK].now())
    yield
    await app[keys.WEBHOOK_BUDGET].close()
