"""This replica's periodic work, wired from the settings: one runner, every job on the clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from integrations.telephony import ReceivedMessage
from oncall import keys
from oncall.domain.audit import latest_handover_day, morning_jobs, next_handover_at
from oncall.domain.calls import CallReconciler, ProviderRecovery, Recovered, forget_old_replies
from oncall.domain.calls.recovery import takes_calls
from oncall.domain.escalation import handle_inbound_sms, make_workers
from oncall.domain.missing import morning_pack
from oncall.domain.people import forget_expired_sessions, forget_old_attempts
from oncall.domain.periodic import Job, Runner
from oncall.log import get_logger
from oncall.web.twilio.failsafe import record_failsafes, refresh_duty_numbers
from oncall.wiring import (
    missing_commands,
    morning_config,
    pack_config,
    sender_config,
    worker_config,
)

log = get_logger(__name__)

DUTY_NUMBERS_SECONDS = 60.0  # the fail-safe's copy of who is on duty
FAILSAFE_RECORDS_SECONDS = 2.0  # fail-safe answers given while the database was away
RECOVERY_SECONDS = 300.0  # calls and texts that never reached us, from the provider's records
OUTAGE_SECONDS = 2.0  # after a database outage: does it answer again? (then a recovery pass)
RECEIPTS_KEPT = timedelta(days=2)  # Twilio stops retrying a webhook within minutes
PRUNE_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class PagesWork:
    """The pages' own periodic work, handed in by the app factory (this module, the escalation
    wiring, imports no pages): forgetting finished rota solves, and verifying a stale chain."""

    forget_finished_jobs: Callable[[web.Application, datetime], int]
    verify_chain_if_stale: Callable[[web.Application], Awaitable[object]]


async def _database_answers(app: web.Application) -> bool:
    """Whether the database takes webhook work again, within the webhook budget: a transaction
    reading the contacts table (a lock held on it, or SQLite's write lock, makes it wait)."""

    async def probe() -> None:
        async with app[keys.DATABASE].sessions() as session:
            await takes_calls(session)

    try:
        await app[keys.WEBHOOK_BUDGET].run(probe)
    except Exception:
        return False
    return True


async def recover_after_outage(
    app: web.Application, recovery: ProviderRecovery, now: datetime
) -> Recovered | None:
    """A recovery pass owed after a database outage, once the database answers again (None: no
    pass owed, or the database still away): the fail-safe answers kept are recorded first."""
    outage = app[keys.WEBHOOK_BUDGET].outage
    since = outage.owed(now)
    if since is None or not await _database_answers(app):
        return None
    await record_failsafes(app)
    found = await recovery.run_once(now, covered_since=since)
    if not found.skipped:  # another replica's pass under way: asked again on the next tick
        outage.passed(since)
    return found


def _jobs(app: web.Application, pages: PagesWork) -> list[Job]:
    settings, clock, database = app[keys.SETTINGS], app[keys.CLOCK], app[keys.DATABASE]
    scheduler, sender = make_workers(
        database.sessions, app[keys.TELEPHONY], clock,
        worker_config(settings), sender_config(settings),
    )  # fmt: skip
    calls = CallReconciler(
        database.sessions, app[keys.TELEPHONY], clock,
        after=timedelta(seconds=settings.call_check_seconds or 300),
        links=app[keys.OUTCOME_LINKS], zone=settings.zone,
    )  # fmt: skip
    app[keys.SCHEDULER], app[keys.SENDER], app[keys.CALL_CHECK] = scheduler, sender, calls

    async def recovered_text(session: AsyncSession, message: ReceivedMessage, at: datetime) -> str:
        return await handle_inbound_sms(
            session, sid=message.sid, from_=message.from_, to=message.to, body=message.body,
            now=at, zone=settings.zone, junk_per_hour=settings.sms_junk_per_hour,
            links=app[keys.OUTCOME_LINKS], more=missing_commands(settings),
        )  # fmt: skip

    recovery = ProviderRecovery(
        database.sessions, app[keys.TELEPHONY], clock, zone=settings.zone,
        handle_text=recovered_text, unrecorded=app[keys.WEBHOOK_BUDGET].apologised,
    )  # fmt: skip
    poll = settings.escalation_poll_seconds
    # Tests switch the escalation loops off (ONCALL_ESCALATION_WORKERS=off) and run passes by hand.
    escalating = settings.escalation_workers
    morning = morning_config(settings, app[keys.OUTCOME_LINKS])
    pack = pack_config(settings)

    def at_handover(name: str, work: Callable[..., Awaitable[object]], config: object) -> Job:
        """A job done once each morning at the handover time, for that morning."""
        zone, boundary = settings.zone, settings.handover_at
        return Job(
            name,
            lambda now: work(
                database.sessions, config, at=now, day=latest_handover_day(now, zone, boundary)
            ),
            next_at=lambda now: next_handover_at(now, zone, boundary),
            at_start=False,
        )

    async def prune(now: datetime) -> None:
        async with database.sessions() as session:
            receipts = await forget_old_replies(session, now=now, keep=RECEIPTS_KEPT)
            attempts = await forget_old_attempts(session, now=now)
            # sessions live in real time (the demo's clock jumps), the rest on the clock
            sessions = await forget_expired_sessions(session, now=datetime.now(UTC))
            await session.commit()
        jobs = pages.forget_finished_jobs(app, now)
        log.info("pruned", webhook_receipts=receipts, sign_in_counters=attempts,
                 sessions=sessions, rota_jobs=jobs)  # fmt: skip

    jobs = [
        Job("escalation scheduler", scheduler.run_once, every=poll, background=escalating),
        Job("outbox sender", sender.run_once, every=poll, background=escalating),
        Job(
            "call check",
            calls.run_once,
            # a pass every quarter of the wait, at most every 30 s of clock time
            every=min(30.0, max(1.0, calls.after.total_seconds() / 4)),
            background=escalating and settings.call_check_seconds > 0,
        ),
        at_handover("morning handover", morning_jobs, morning),
        at_handover("missing meeting pack", morning_pack, pack),
        Job(
            "fail-safe numbers",
            lambda now: refresh_duty_numbers(app, now),
            every=DUTY_NUMBERS_SECONDS,
            at_start=False,  # filled at start-up, before serving
        ),
        Job(
            "provider recovery",
            recovery.run_once,
            every=RECOVERY_SECONDS,
            # At start-up too (the calls and texts of the outage this replica is back from), but
            # not in demo mode: the fake inside this server does not listen yet.
            at_start=settings.telephony == "twilio",
            background=escalating and settings.call_check_seconds > 0,
        ),
        Job(
            "recovery after an outage",
            lambda now: recover_after_outage(app, recovery, now),
            every=OUTAGE_SECONDS,
            at_start=False,
            background=escalating and settings.call_check_seconds > 0,
        ),
        Job(
            "fail-safe records",
            lambda now: record_failsafes(app),
            every=FAILSAFE_RECORDS_SECONDS,
            at_start=False,
        ),
        Job("prune", prune, every=PRUNE_SECONDS),
    ]
    if settings.chain_verify_minutes > 0:
        every = min(300.0, settings.chain_verify_minutes * 60 / 4)
        jobs.append(
            Job(
                "chain verification",
                lambda now: pages.verify_chain_if_stale(app),
                every=every,
                at_start=False,
            )
        )
    return jobs


def background_ctx(pages: PagesWork) -> Callable[[web.Application], AsyncIterator[None]]:
    """cleanup_ctx: build this replica's runner and run its jobs until the app stops."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        runner = Runner(app[keys.CLOCK], _jobs(app, pages))
        app[keys.RUNNER] = runner
        async with runner.running():
            yield

    return ctx
