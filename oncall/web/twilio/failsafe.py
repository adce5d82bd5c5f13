"""The last known on-duty numbers, kept in memory for fail-safe TwiML (the periodic runner
refreshes them each minute of the service's clock), and the fail-safe answers given while the
database was away, recorded when it answers again."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from aiohttp import web
from aiohttp.helpers import ChainMapProxy

from integrations.twilio import twiml
from oncall import keys
from oncall.db.engine import waits_limited
from oncall.domain.calls import spoken
from oncall.domain.calls.failsafe import FailsafeGiven, write_failsafe
from oncall.domain.calls.journal import FailsafeJournal
from oncall.domain.duty import on_duty_at
from oncall.log import get_logger
from oncall.web.twilio.budget import WebhookBudget, database_away

log = get_logger(__name__)

App = web.Application | ChainMapProxy  # the app, or a request's view of it (config_dict)


@dataclass
class DutyNumbers:
    """Phone numbers of whoever was on duty at the last successful refresh."""

    numbers: tuple[str, ...] = ()
    refreshed_at: datetime | None = None
    failures: int = field(default=0)
    written: str | None = None  # the fail-safe TwiML file's content, as last written


def failsafe_file_twiml(numbers: tuple[str, ...], fallback: str | None) -> str:
    """The TwiML nginx answers with when the app cannot (docs/deploy.md): it needs nothing of
    the app, so it has no follow-up URL; every on-duty phone and the fallback ring at once."""
    ring = [*numbers[: twiml.MAX_STATIC_NUMBERS - 1], *([fallback] if fallback else [])]
    return twiml.static_fallback(
        ring, greeting=spoken.STATIC_GREETING, unreachable=spoken.STATIC_UNREACHABLE
    )


def _replace_file(path: Path, content: str) -> None:
    """Write `content` to `path` at once (a reader sees the old file or the new, never half).
    The partial file is this writer's own (a unique name): replicas sharing the folder (one
    volume, docs/deploy.md) never write into, or move, one another's half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    partial = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(content)
        partial.chmod(0o644)  # nginx's worker reads it
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


async def write_failsafe_file(app: App) -> bool:
    """Write the fail-safe TwiML file (ONCALL_FAILSAFE_TWIML_FILE) if its content changed: at
    start-up and whenever the on-duty numbers change (a shift change, within a minute)."""
    settings, cache = app[keys.SETTINGS], app[keys.DUTY_NUMBERS]
    if not settings.failsafe_twiml_file:
        return False
    content = failsafe_file_twiml(cache.numbers, settings.fallback_number or None)
    if content == cache.written:
        return False
    try:
        await asyncio.to_thread(_replace_file, Path(settings.failsafe_twiml_file), content)
    except OSError as exc:
        log.error("fail-safe TwiML file not written", error=str(exc)[:200])
        return False
    cache.written = content
    log.info("fail-safe TwiML file written", numbers=len(cache.numbers))
    return True


async def refresh_duty_numbers(app: web.Application, now: datetime) -> None:
    """Refresh the on-duty numbers (and the fail-safe TwiML file, if they changed)."""
    cache = app[keys.DUTY_NUMBERS]
    try:
        async with app[keys.DATABASE].sessions() as session:
            duty = await on_duty_at(session, now)
    except Exception:  # keep the old numbers: stale beats none when the database is down
        cache.failures += 1
        app[keys.WEBHOOK_BUDGET].outage.seen(now)
        log.warning("could not refresh the on-duty numbers", failures=cache.failures)
        return
    cache.numbers = tuple(person.phone for person in duty.everyone)
    cache.refreshed_at = now
    await write_failsafe_file(app)


async def record_failsafes(app: App, call_sid: str | None = None) -> int:
    """Write the fail-safe answers given and not yet recorded (only `call_sid`'s, if given),
    each in its own transaction, until one fails: the rest would fail or wait the same way, and
    a pass of a thousand failing writes every 2 s would take the loop from the webhooks. The one
    that failed goes to the back (one that can never be written does not stop the others)."""
    budget = app[keys.WEBHOOK_BUDGET]
    zone = app[keys.SETTINGS].zone
    waiting = budget.pending(call_sid)
    written = 0
    for given in waiting:
        try:
            with waits_limited(budget.seconds):
                await write_failsafe(app[keys.DATABASE].sessions, given, zone=zone)
        except Exception as exc:  # kept, tried again on the next pass
            if database_away(exc):
                log.debug("fail-safe answer not recorded yet", error=type(exc).__name__)
                budget.outage.seen(app[keys.CLOCK].now())
            else:
                log.exception("fail-safe answer could not be recorded; tried again later")
            budget.later(given)
            break
        budget.forget(given)  # only once written: a pass cancelled half-way loses nothing
        written += 1
    if written:
        await budget.journal_written()  # the journal says so before the pass ends
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
    settings = app[keys.SETTINGS]
    journal = None
    if settings.failsafe_journal:
        journal = await asyncio.to_thread(FailsafeJournal, Path(settings.failsafe_journal))
    budget = WebhookBudget(settings.webhook_budget_seconds, app[keys.CLOCK], journal)
    app[keys.DUTY_NUMBERS], app[keys.WEBHOOK_BUDGET] = DutyNumbers(), budget
    if journal is not None:
        # Answers given before a restart and never recorded: recorded by the next pass of the
        # "fail-safe records" job (and a recovery pass follows, as after any outage).
        for given in await asyncio.to_thread(journal.replay):
            budget.failsafes.append(given)
            budget.outage.seen(given.at)
        if budget.failsafes:
            log.warning("fail-safe answers from before a restart", waiting=len(budget.failsafes))
    await refresh_duty_numbers(app, app[keys.CLOCK].now())
    await write_failsafe_file(app)  # the database may be down: the fallback number at least
    yield
    await app[keys.WEBHOOK_BUDGET].close()
