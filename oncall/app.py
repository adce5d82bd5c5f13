"""The application factory: settings, clock and resources in, a ready web.Application out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from integrations.telephony import Telephony
from oncall import keys
from oncall.clock import Clock, OffsetClock, SystemClock
from oncall.db.engine import Database
from oncall.log import get_logger
from oncall.settings import Settings
from oncall.web import background, demo, health
from oncall.web.api import contacts, events, missing_episodes, on_duty, openapi
from oncall.web.auth import LoginThrottle, authenticate
from oncall.web.ids import ids_in_range
from oncall.web.metrics import setup_metrics
from oncall.web.middleware import api_errors, request_context
from oncall.web.telephony import mount_fake_twilio, telephony_ctx
from oncall.web.twilio import twilio_app
from oncall.web.twilio.failsafe import duty_numbers_ctx
from oncall.web.ui import (
    audit,
    audit_chain,
    audit_handover,
    audit_reports,
    demo_timeline,
    login,
    outcome,
    pages,
)
from oncall.web.ui.routes import add_ui_routes
from oncall.wiring import signing_key

log = get_logger(__name__)

STATIC_DIR = Path(__file__).parent / "web" / "ui" / "static"


async def _database(app: web.Application) -> AsyncIterator[None]:
    database = Database.connect(app[keys.SETTINGS].database_url)
    app[keys.DATABASE] = database
    yield
    await database.dispose()


def create_app(
    settings: Settings, *, clock: Clock | None = None, telephony: Telephony | None = None
) -> web.Application:
    """Build the app; resources open on start-up and close on clean-up (cleanup_ctx).

    In demo mode (ONCALL_TELEPHONY=fake) a fake Twilio is mounted at /fake and the service's own
    Twilio REST client talks to it over HTTP, exactly as it would talk to Twilio.
    """
    app = web.Application(middlewares=[request_context, api_errors, authenticate])
    app[keys.SETTINGS] = settings
    app[keys.SIGNING_KEY] = signing_key(settings)
    app[keys.LOGIN_THROTTLE] = LoginThrottle()
    # In demo mode the simulator may set the clock or run it fast (POST /demo/clock).
    app[keys.CLOCK] = clock or (OffsetClock() if settings.telephony == "fake" else SystemClock())
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(audit_chain.audit_jobs_ctx)
    app.cleanup_ctx.append(duty_numbers_ctx)
    app.cleanup_ctx.append(telephony_ctx(telephony))
    app.cleanup_ctx.append(background.background_ctx)
    if settings.telephony == "fake":
        mount_fake_twilio(app, settings)
        app.add_routes(demo_timeline.routes)
        app.add_routes(demo.routes)
    app.add_routes(health.routes)
    setup_metrics(app)
    app.add_routes(pages.routes)
    app.add_routes(login.routes)
    app.add_routes(on_duty.routes)
    app.add_routes(contacts.routes)
    app.add_routes(events.routes)
    app.add_routes(missing_episodes.routes)
    app.add_routes(openapi.routes)
    app.add_routes(audit_handover.routes)
    add_ui_routes(app)
    app.middlewares.append(ids_in_range)  # innermost: the UI's error pages show its 404
    app.add_routes(audit_reports.routes)
    app.add_routes(audit.routes)
    app.add_routes(outcome.routes)
    app.router.add_static("/static/", STATIC_DIR, name="static")
    app.add_subapp("/twilio", twilio_app())
    return app
