"""`oncall token create|list|revoke`: API tokens for automation."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from oncall.cli.base import EXIT_OK, CommandFailed, add_command, add_group, open_database
from oncall.cli.users import cli_actor
from oncall.clock import SystemClock
from oncall.domain.people import (
    UnknownUser,
    UserNotFound,
    create_api_token,
    list_tokens,
    record_token_created,
    revoke_token,
    revoke_user_tokens,
)
from oncall.settings import Settings


def register(sub: Any) -> None:
    token = add_group(sub, "token", "API tokens")
    create = add_command(token, "create", _create, "create an API token and print it once")
    create.add_argument("user", help="user name, e.g. admin")
    create.add_argument("--name", default="cli", help="a label for the token")
    listing = add_command(token, "list", _list, "list API tokens (never the tokens themselves)")
    listing.add_argument("--user", help="only this user's tokens")
    revoke = add_command(token, "revoke", _revoke, "revoke a token by id, or all of a user's")
    which = revoke.add_mutually_exclusive_group(required=True)
    which.add_argument("id", nargs="?", type=int, help="the token's id from `oncall token list`")
    which.add_argument("--user", help="revoke every live token of this user")


def _create(args: argparse.Namespace, settings: Settings) -> int:
    async def create() -> str:
        async with open_database(settings) as db, db.sessions() as session:
            now = SystemClock().now()
            try:
                token = await create_api_token(session, username=args.user, name=args.name, now=now)
            except UnknownUser:
                raise CommandFailed(f"no active user named {args.user!r}") from None
            await record_token_created(
                session, username=args.user, name=args.name, now=now, actor=cli_actor()
            )
            await session.commit()
            return token

    print(asyncio.run(create()))
    return EXIT_OK


def _list(args: argparse.Namespace, settings: Settings) -> int:
    async def show() -> None:
        async with open_database(settings) as db, db.sessions() as session:
            rows = await list_tokens(session, args.user)
        if not rows:
            print("no API tokens")
        for row in rows:
            state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "live"
            used = f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "never"
            print(
                f"{row.id:>5}  {row.username:<20} {row.name:<20} created "
                f"{row.created_at:%Y-%m-%d}  last used {used}  {state}"
            )

    asyncio.run(show())
    return EXIT_OK


def _revoke(args: argparse.Namespace, settings: Settings) -> int:
    async def revoke() -> str:
        async with open_database(settings) as db, db.sessions() as session:
            now, actor = SystemClock().now(), cli_actor()
            try:
                if args.user is not None:
                    count = await revoke_user_tokens(
                        session, username=args.user, now=now, actor=actor
                    )
                    message = f"{count} token(s) of {args.user} revoked"
                elif await revoke_token(session, token_id=args.id, now=now, actor=actor):
                    message = f"token {args.id} revoked"
                else:
                    message = f"token {args.id} was already revoked"
            except UserNotFound as exc:
                raise CommandFailed(str(exc)) from None
            await session.commit()
            return message

    print(asyncio.run(revoke()))
    return EXIT_OK
