"""`oncall serve`: check the database, then serve the app."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from oncall.cli.base import EXIT_OK, CommandFailed, add_command, open_database
from oncall.db.migrate import current_revision, head_revision
from oncall.domain.errors import DomainError
from oncall.domain.setup import DEMO_PASSWORD
from oncall.settings import Settings


def register(sub: Any) -> None:
    serve = add_command(sub, "serve", _serve, "serve the web app, webhooks and API")
    serve.add_argument("--host", help="address to listen on (default ONCALL_HOST)")
    serve.add_argument("--port", type=int, help="port to listen on (default ONCALL_PORT)")


async def _check_schema(settings: Settings) -> None:
    async with open_database(settings) as db:
        if await current_revision(db) != head_revision():
            raise CommandFailed(
                "the database schema is not up to date: run `oncall db upgrade` first"
            )


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from aiohttp import web

    from oncall.app import create_app

    host = args.host or settings.host
    port = args.port or settings.port
    asyncio.run(_check_schema(settings))
    url = f"http://{host}:{port}/"
    print(f"oncall is serving on {url}  (press Ctrl+C to stop)", flush=True)
    if settings.telephony == "fake":
        print(
            f"Demo mode: calls and texts go to the fake Twilio. Sign in as admin, coordinator, "
            f"manager or worker with the password {DEMO_PASSWORD!r}.",
            flush=True,
        )
    try:
        web.run_app(create_app(settings), host=host, port=port, print=None, access_log=None)
    except DomainError as exc:  # a start-up step refused (e.g. the fail-safe journal)
        raise CommandFailed(f"cannot start: {exc}") from None
    return EXIT_OK
