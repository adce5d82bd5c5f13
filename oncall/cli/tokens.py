"""`oncall token create`: API tokens for automation."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from oncall.cli.base import EXIT_OK, CommandFailed, add_command, add_group, open_database
from oncall.clock import SystemClock
from oncall.domain.users import UnknownUser, create_api_token
from oncall.settings import Settings


def register(sub: Any) -> None:
    token = add_group(sub, "token", "API tokens")
    create = add_command(token, "create", _create, "create an API token and print it once")
    create.add_argument("user", help="user name, e.g. admin")
    create.add_argument("--name", default="cli", help="a label for the token")


def _create(args: argparse.Namespace, settings: Settings) -> int:
    async def create() -> str:
        async with open_database(settings) as db, db.sessions() as session:
            try:
                token = await create_api_token(
                    session, username=args.user, name=args.name, now=SystemClock().now()
                )
            except UnknownUser:
                raise CommandFailed(f"no active user named {args.user!r}") from None
            await session.commit()
            return token

    print(asyncio.run(create()))
    return EXIT_OK
