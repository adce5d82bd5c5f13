"""Escalation wiring: the scheduler and sender loops of this replica, and the demo clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

from aiohttp import web

from oncall import keys
from oncall.clock import OffsetClock
from oncall.domain.calls.reconcile import CallReconciler
from oncall.domain.escalation.workers import (
    EscalationScheduler,
    SenderLoop,
    WorkerConfig,
    make_workers,
    running,
)
from oncall.domain.outbox.sender import SenderConfig
from oncall.settings import Settings
from oncall.web.ui.outcome import outcome_links

SCHEDULER = web.AppKey("escalation_scheduler", EscalationScheduler)
SENDER = web.AppKey("outbox_sender", SenderLoop)
CALL_CHECK = web.AppKey("call_check", CallReconciler)

routes = web.RouteTableDef()


def worker_config(settings: Settings) -> WorkerConfig:
    return WorkerConfig(
        zone=settings.zone,
        poll_seconds=settings.escalation_poll_seconds,
        shift_lead=timedelta(minutes=settings.shift_confirm_lead_minutes),
        shift_timeout=timedelta(minutes=settings.shift_confirm_timeout_minutes),
    )


def sender_config(settings: Settings) -> SenderConfig:
    return SenderConfig(
        public_url=settings.public_url,
        max_attempts=settings.outbox_max_attempts,
        per_minute=settings.sms_per_minute_per_number,
        status_check_after=(
            timedelta(seconds=settings.sms_status_check_seconds)
            if settings.sms_status_check_seconds
            else None
        ),
    )


async def escalation_ctx(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: build this replica's scheduler and sender; run them unless switched off.

    Tests switch the loops off (ONCALL_ESCALATION_WORKERS=off) and call `run_once` themselves.
    """
    settings = app[keys.SETTINGS]
    scheduler, sender = make_workers(
        app[keys.DATABASE].sessions,
        app[keys.TELEPHONY],
        app[keys.CLOCK],
        worker_config(settings),
        sender_config(settings),
    )
    app[SCHEDULER], app[SENDER] = scheduler, sender
    app[CALL_CHECK] = calls = CallReconciler(
        app[keys.DATABASE].sessions, app[keys.TELEPHONY], app[keys.CLOCK],
        after=timedelta(seconds=settings.call_check_seconds or 300),
        links=outcome_links(app), zone=settings.zone,
    )  # fmt: skip
    if not settings.escalation_workers:
        yield
        return
    async with running(scheduler, sender, *([calls] if settings.call_check_seconds else [])):
        yield


@routes.get("/demo/clock")
async def show_clock(request: web.Request) -> web.Response:
    clock = request.config_dict[keys.CLOCK]
    speed = clock.speed if isinstance(clock, OffsetClock) else 1.0
    return web.json_response({"now": clock.now().isoformat(), "speed": speed})


@routes.post("/demo/clock")
async def set_clock(request: web.Request) -> web.Response:
    """Demo only: {"at": ISO time with offset (optional), "speed": 0.1-3600 (optional)}."""
    clock = request.config_dict[keys.CLOCK]
    if not isinstance(clock, OffsetClock):
        raise web.HTTPConflict(text="this server's clock cannot be set")
    if request.content_type != "application/json":  # a cross-site form cannot send JSON
        raise web.HTTPUnsupportedMediaType(text="send application/json")
    try:
        body = await request.json()
        at = datetime.fromisoformat(body["at"]) if body.get("at") else clock.now()
        speed = float(body["speed"]) if body.get("speed") is not None else None
        clock.set(at, speed=speed)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise web.HTTPBadRequest(text=f"expected at (ISO time with offset), speed: {exc}") from None
    return web.json_response({"now": clock.now().isoformat(), "speed": clock.speed})
