"""The morning handover page and CSV, and the scheduler that prepares and e-mails it daily."""

from __future__ import annotations

import asyncio
import contextlib
import smtplib
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta

from aiohttp import web

from oncall import keys
from oncall.db.engine import Database
from oncall.db.models import Role
from oncall.domain.audit.handover import (
    Handover,
    gather_handover,
    handover_csv,
    handover_text,
    latest_handover_day,
    next_handover_at,
    prepare_handover,
)
from oncall.domain.audit.mail import SmtpConfig, build_message, send_email
from oncall.domain.audit.retention import redact_before
from oncall.domain.chain.ledger import append_event
from oncall.domain.outcomes.links import OutcomeLinks
from oncall.log import get_logger
from oncall.settings import Settings
from oncall.web.auth import require
from oncall.web.ui.audit_common import AUDIT_JOBS, AuditJobs, logged_read, now, page_context
from oncall.web.ui.outcome import outcome_links, settings_links
from oncall.web.ui.render import render

log = get_logger(__name__)
routes = web.RouteTableDef()


def _day(request: web.Request) -> date:
    settings = request.config_dict[keys.SETTINGS]
    raw = request.query.get("date", "").strip()
    if not raw:
        return latest_handover_day(now(request), settings.zone, settings.handover_at)
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise web.HTTPBadRequest(reason="date: not a date (YYYY-MM-DD)") from None


async def _gather(request: web.Request, what: str) -> Handover:
    settings = request.config_dict[keys.SETTINGS]
    day = _day(request)
    async with request.config_dict[keys.DATABASE].sessions() as session:
        handover = await gather_handover(
            session, day=day, zone=settings.zone, boundary=settings.handover_at
        )
        await logged_read(request, session, what, query={"date": str(day)})
    return handover


@routes.get("/audit/handover")
@require(Role.MANAGER, Role.ADMIN)
async def handover_page(request: web.Request) -> web.Response:
    handover = await _gather(request, "handover")
    return render(
        "audit/handover.html",
        page_context(
            request, h=handover, previous=handover.day - timedelta(days=1),
            following=handover.day + timedelta(days=1),
        ),
    )  # fmt: skip


@routes.get("/audit/handover.csv")
@require(Role.MANAGER, Role.ADMIN)
async def handover_download(request: web.Request) -> web.Response:
    handover = await _gather(request, "handover export (CSV)")
    return web.Response(
        text=handover_csv(handover, request.config_dict[keys.SETTINGS].zone),
        content_type="text/csv",
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="handover-{handover.day}.csv"',
            "Cache-Control": "no-store",
        },
    )


def smtp_config(settings: Settings) -> SmtpConfig | None:
    if not settings.smtp_host or not settings.handover_recipients:
        return None
    return SmtpConfig(
        host=settings.smtp_host, port=settings.smtp_port, user=settings.smtp_user,
        password=settings.smtp_password, sender=settings.smtp_from or "oncall@localhost",
        tls=settings.smtp_tls,
    )  # fmt: skip


async def morning_jobs(
    database: Database,
    settings: Settings,
    *,
    day: date,
    at: datetime,
    links: OutcomeLinks | None = None,
) -> bool:
    """Prepare `day`'s handover (once), e-mail it, and apply retention. True if it was new.

    Reminders carry outcome links from `links` (the server's), else from ONCALL_SECRET_KEY.
    """
    zone, boundary = settings.zone, settings.handover_at
    async with database.sessions() as session:
        handover, first = await prepare_handover(
            session, day=day, zone=zone, boundary=boundary, at=at,
            links=links or settings_links(settings),
        )  # fmt: skip
        await session.commit()
    if not first:
        return False
    log.info("handover prepared", day=str(day), follow_up=len(handover.items))
    config = smtp_config(settings)
    if config is not None:
        message = build_message(
            sender=config.sender, to=settings.handover_recipients, subject=handover.title,
            body=handover_text(handover, zone),
            attachments={f"handover-{day}.csv": handover_csv(handover, zone)},
        )  # fmt: skip
        try:
            await send_email(config, message)
            outcome: dict[str, object] = {"sent_to": len(settings.handover_recipients)}
        except (OSError, smtplib.SMTPException) as exc:
            log.error("handover e-mail failed", error=type(exc).__name__)
            outcome = {"failed": type(exc).__name__}
        async with database.sessions() as session:
            await append_event(session, kind="handover.emailed", at=at, details=outcome)
            await session.commit()
    if settings.retention_days > 0:
        async with database.sessions() as session:
            result = await redact_before(
                session, before=at - timedelta(days=settings.retention_days), at=at
            )
            await session.commit()
        log.info("retention applied", events=result.events, contacts=result.contacts)
    return True


async def _loop(app: web.Application) -> None:
    """Sleep until the next handover time, run the morning's jobs, repeat.

    A server started after the handover time waits for the next morning (catching up at start-up
    raced the start of the app's own work); `oncall audit handover --prepare` runs a missed one.
    """
    clock, settings = app[keys.CLOCK], app[keys.SETTINGS]
    zone, boundary = settings.zone, settings.handover_at
    while True:
        current = clock.now()
        due = next_handover_at(current, zone, boundary)
        await clock.sleep((due - current).total_seconds())
        day = due.astimezone(zone).date()
        try:
            await morning_jobs(
                app[keys.DATABASE], settings, day=day, at=clock.now(), links=outcome_links(app)
            )
        except Exception:  # keep the loop alive: tomorrow's handover matters too
            log.exception("morning handover failed", day=str(day))


async def handover_ctx(app: web.Application) -> AsyncIterator[None]:
    """Run the morning handover loop (idempotent across replicas) and hold the audit pages'
    background work (chain verification) for the app's lifetime; cancel both at shutdown."""
    jobs = AuditJobs()
    app[AUDIT_JOBS] = jobs
    task = asyncio.create_task(_loop(app), name="morning-handover")
    yield
    for running in (task, *jobs.tasks):
        running.cancel()
    for running in (task, *jobs.tasks):
        with contextlib.suppress(asyncio.CancelledError):
            await running
