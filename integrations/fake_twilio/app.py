"""The fake Twilio's aiohttp application: REST API, plus the phone simulator in demo mode."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from integrations.fake_twilio.fake import FakeTwilio
from integrations.fake_twilio.rest_api import FAKE_KEY, add_rest_routes


def create_fake_app(fake: FakeTwilio, *, close_fake_on_cleanup: bool = True) -> web.Application:
    """An app serving Twilio's REST API for `fake` (mount it, or serve it on its own port).

    Add the phone simulator with `integrations.fake_twilio.simulator.add_simulator` (demo mode
    only: its endpoints need no Twilio credentials).
    """
    app = web.Application()
    app[FAKE_KEY] = fake
    add_rest_routes(app)
    if close_fake_on_cleanup:

        async def fake_lifetime(_app: web.Application) -> AsyncIterator[None]:
            yield
            await fake.close()

        app.cleanup_ctx.append(fake_lifetime)
    return app
