"""The application factory: settings, clock and resources in, a ready web.Application out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import suppress

from aiohttp import web

from integrations.telephony import Telephony
from oncall import keys
from oncall.clock import Clock, OffsetClock, SystemClock
from oncall.cpu import CpuWorkers
from oncall.db.engine import Database
from oncall.domain.people import Hasher, PasswordChecker
from oncall.log import get_logger
from oncall.settings import Settings
from oncall.web import background
from oncall.web.auth import authenticate
from oncall.web.headers import security_headers
from oncall.web.inputs import validated_input
from oncall.web.metrics import measure, metrics_state
from oncall.web.middleware import api_errors, request_context
from oncall.web.routes import add_routes
from oncall.web.telephony import configure_fake_numbers, fake_twilio, telephony_ctx
from oncall.web.twilio.failsafe import duty_numbers_ctx
from oncall.web.ui.audit.chain import audit_jobs_ctx, verify_if_stale
from oncall.web.ui.common import session_notices
from oncall.web.ui.errors import html_errors
from oncall.web.ui.rota.jobs import RotaJobs, forget_finished_jobs, rota_jobs_ctx
from oncall.wiring import outcome_links, signing_key

log = get_logger(__name__)


async def _database(app: web.Application) -> AsyncIterator[None]:
    database = Database.connect(app[keys.SETTINGS].database_url)
    app[keys.DATABASE] = database
    yield
    await database.dispose()


def _passwords(hasher: Hasher | None) -> Callable[[web.Application], AsyncIterator[None]]:
    """cleanup_ctx: the bounded pool that checks sign-in passwords off the event loop."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings = app[keys.SETTINGS]
        checker = PasswordChecker(
            threads=settings.password_check_threads,
            queue=settings.password_check_queue,
            hasher=hasher,
        )
        # The stand-in hash for unknown names is made in the checks' threads, in the background:
        # start-up does not wait for an argon2 hash at low priority on a busy machine.
        warming = asyncio.create_task(checker.start(), name="password-checks-start")
        app[keys.PASSWORDS] = checker
        yield
        warming.cancel()
        with suppress(asyncio.CancelledError, Exception):  # a failed warm-up is redone when needed
            await warming
        checker.close()

    return ctx


async def _cpu_workers(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: worker processes (started when first needed) for pure-Python CPU work: the
    chain's walk, the events export's text."""
    workers = CpuWorkers(2)
    app[keys.CPU_WORKERS] = workers
    yield
    workers.close()


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    telephony: Telephony | None = None,
    hasher: Hasher | None = None,
) -> web.Application:
    """Build the app; resources open on start-up and close on clean-up (cleanup_ctx).

    In demo mode (ONCALL_TELEPHONY=fake) a fake Twilio is mounted at /fake and the service's own
    Twilio REST client talks to it over HTTP, exactly as it would talk to Twilio. `hasher`
    replaces argon2 for sign-in's password checks (tests).
    """
    # Outermost first: metrics time everything; input no handler should see is refused before
    # anyone reads the body (oncall/web/inputs.py); the UI's error pages see each handler's
    # refusals.
    app = web.Application(
        middlewares=[
            measure, request_context, api_errors, validated_input, authenticate,
            session_notices, html_errors,
        ]
    )  # fmt: skip
    app.on_response_prepare.append(security_headers)  # every response, sub-apps' too
    app[keys.SETTINGS] = settings
    app[keys.SIGNING_KEY] = signing_key(settings)
    app[keys.OUTCOME_LINKS] = outcome_links(app[keys.SIGNING_KEY], settings)
    app[keys.METRICS] = metrics_state(settings)
    app[keys.ROTA_JOBS] = RotaJobs()
    # In demo mode the simulator may set the clock or run it fast (POST /demo/clock).
    app[keys.CLOCK] = clock or (OffsetClock() if settings.telephony == "fake" else SystemClock())
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(_passwords(hasher))
    app.cleanup_ctx.append(_cpu_workers)
    app.cleanup_ctx.append(audit_jobs_ctx)
    app.cleanup_ctx.append(duty_numbers_ctx)
    app.cleanup_ctx.append(telephony_ctx(telephony))
    app.cleanup_ctx.append(
        background.background_ctx(background.PagesWork(forget_finished_jobs, verify_if_stale))
    )
    if settings.telephony == "fake":
        app[keys.FAKE_TWILIO] = fake_twilio(settings)
        app.cleanup_ctx.append(configure_fake_numbers)
    app.cleanup_ctx.append(rota_jobs_ctx)
    add_routes(app, settings)
    return app
