"""Telephony wiring: the Twilio REST client, and in demo mode the fake Twilio mounted at /fake."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from aiohttp import web

from integrations.fake_twilio import FakeTwilio, create_fake_app
from integrations.fake_twilio.directory import Directory, DirectoryProvider
from integrations.fake_twilio.simulator import add_simulator
from integrations.telephony import Telephony
from integrations.twilio import TwilioTelephony
from oncall import keys
from oncall.domain.duty import on_duty_at
from oncall.domain.overview import service_overview, simulator_entries
from oncall.log import get_logger
from oncall.settings import Settings
from oncall.wiring import webhook_urls

log = get_logger(__name__)

FAKE_PREFIX = "/fake"


def fake_twilio(settings: Settings) -> FakeTwilio:
    """Demo mode's fake Twilio (app[keys.FAKE_TWILIO]); the service's REST client talks to it."""
    return FakeTwilio(account_sid=settings.account_sid, auth_token=settings.auth_tokens[0])


def fake_twilio_app(app: web.Application) -> web.Application:
    """The fake's REST API and the phone simulator, mounted at FAKE_PREFIX (oncall.web.routes)."""
    fake_app = create_fake_app(app[keys.FAKE_TWILIO])
    add_simulator(
        fake_app,
        directory=_directory(app),
        timeline_url=lambda sid: f"/demo/calls/{sid}",
        clock_url="/demo/clock",
    )
    return fake_app


def _directory(app: web.Application) -> DirectoryProvider:
    """The simulator's lines, callers and staff phones, read from the database each time."""

    async def provide() -> Directory:
        async with app[keys.DATABASE].sessions() as session:
            duty = await on_duty_at(session, app[keys.CLOCK].now())
            entries = await simulator_entries(session, [p.person_id for p in duty.everyone])
        return Directory(lines=entries.lines, callers=entries.callers, phones=entries.phones)

    return provide


async def configure_fake_numbers(app: web.Application) -> AsyncIterator[None]:
    """Point the fake's numbers at our webhooks, as an operator would in Twilio's console."""
    try:
        async with app[keys.DATABASE].sessions() as session:
            overview = await service_overview(session)
    except Exception:  # the app still starts (readyz says why); the fake just has no numbers
        log.exception("could not read the lines to configure the fake Twilio")
    else:
        urls = webhook_urls(app[keys.SETTINGS]).number_settings()
        for line in overview.lines:
            app[keys.FAKE_TWILIO].configure_number(line.number, **urls)
    yield


def telephony_ctx(
    given: Telephony | None,
) -> Callable[[web.Application], AsyncIterator[None]]:
    """cleanup_ctx for the REST client: the one given (tests), or the Twilio adapter."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings = app[keys.SETTINGS]
        client: Telephony = given or TwilioTelephony(
            account_sid=settings.account_sid,
            auth_token=settings.auth_tokens[0] if settings.auth_tokens else "",
            api_base=settings.rest_api_base,
        )
        app[keys.TELEPHONY] = client
        yield
        await client.close()

    return ctx
