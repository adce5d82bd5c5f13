"""The service under simulation: the app as `oncall serve` builds it, on a local port, with the
fake Twilio inside and a manual clock."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web

from integrations.fake_twilio import FakeTwilio
from integrations.twilio import TwilioTelephony
from oncall import keys
from oncall.app import create_app
from oncall.clock import ManualClock
from oncall.db.engine import Database
from oncall.domain.periodic import Runner
from oncall.settings import Settings

FALLBACK_NUMBER = "+441534700199"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Running:
    """The app on its port, and the handles the simulator drives it by."""

    app: web.Application
    fake: FakeTwilio
    clock: ManualClock
    database: Database
    runner: Runner
    settings: Settings


@asynccontextmanager
async def running_service(
    url: str, clock: ManualClock, *, rest_timeout_s: float
) -> AsyncIterator[Running]:
    """`create_app` as `oncall serve` builds it, in demo telephony, with its escalation loops
    off: the simulator runs their passes itself at each instant it moves the clock to."""
    port = free_port()
    settings = Settings(
        database_url=url,
        public_url=f"http://127.0.0.1:{port}",
        telephony="fake",
        fallback_number=FALLBACK_NUMBER,
        escalation_workers=False,
        chain_verify_minutes=0,
    )
    telephony = TwilioTelephony(
        account_sid=settings.account_sid,
        auth_token=settings.auth_tokens[0],
        api_base=settings.rest_api_base,
        timeout=rest_timeout_s,
    )
    app = create_app(settings, clock=clock, telephony=telephony)
    site_runner = web.AppRunner(app, access_log=None)
    await site_runner.setup()
    await web.TCPSite(site_runner, "127.0.0.1", port).start()
    try:
        yield Running(
            app, app[keys.FAKE_TWILIO], clock, app[keys.DATABASE], app[keys.RUNNER], settings
        )
    finally:
        app[keys.FAKE_TWILIO].faults.clear()
        await site_runner.cleanup()
