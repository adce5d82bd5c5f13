"""The fake Twilio's aiohttp application: REST API, plus the phone simulator in demo mode."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from integrations.fake_twilio.directory import DirectoryProvider, TimelineUrl
from integrations.fake_twilio.fake import FakeTwilio
from integrations.fake_twilio.rest_api import FAKE_KEY, add_rest_routes
from integrations.fake_twilio.simulator import add_simulator


def create_fake_app(
    fake: FakeTwilio,
    *,
    directory: DirectoryProvider | None = None,
    timeline_url: TimelineUrl | None = None,
    close_fake_on_cleanup: bool = True,
) -> web.Application:
    """An app serving Twilio's REST API for `fake`; mount it or serve it on its own port.

    With a `directory`, the phone simulator page is served at the app's root and its control
    endpoints under `sim/`. Pass one only in demo mode: those endpoints need no credentials.
    """
    app = web.Application()
    app[FAKE_KEY] = fake
    add_rest_routes(app)
    if directory is not None:
        add_simulator(app, directory=directory, timeline_url=timeline_url)
    # Release hanging-request faults first: a graceful shutdown (web.run_app) waits for
    # in-flight handlers, and would otherwise wait out every armed hang.
    app.on_shutdown.append(_release_hanging)
    if close_fake_on_cleanup:

        async def fake_lifetime(_app: web.Application) -> AsyncIterator[None]:
            yield
            await fake.close()

        app.cleanup_ctx.append(fake_lifetime)
    return app


async def _release_hanging(app: web.Application) -> None:
    app[FAKE_KEY].faults.release_hanging()
