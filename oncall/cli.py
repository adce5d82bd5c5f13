"""The `oncall` command: serve, db upgrade|current, demo load, token create, settings."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine, Sequence
from datetime import date
from typing import Any

from oncall.clock import SystemClock
from oncall.db.engine import Database, DatabaseUnavailable
from oncall.db.migrate import current_revision, head_revision, upgrade
from oncall.domain.demo import DEMO_PASSWORD, DemoDataInvalid, database_is_empty, load_demo
from oncall.domain.users import UnknownUser, create_api_token
from oncall.log import configure_logging
from oncall.settings import Settings, SettingsError, load_settings, redact_url

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class CommandFailed(Exception):
    """A command could not do its job; the message is printed and the exit status is 1."""


Command = Callable[[argparse.Namespace, Settings], int]
_COMMANDS: dict[str, Command] = {}


def _command(name: str) -> Callable[[Command], Command]:
    def register(fn: Command) -> Command:
        _COMMANDS[name] = fn
        return fn

    return register


def _run(coro: Coroutine[Any, Any, int]) -> int:
    return asyncio.run(coro)


@_command("serve")
def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from aiohttp import web

    from oncall.app import create_app

    host = args.host or settings.host
    port = args.port or settings.port

    async def check() -> None:
        db = Database.connect(settings.database_url)
        try:
            await db.ping()
            if await current_revision(db) != head_revision():
                raise CommandFailed(
                    "the database schema is not up to date: run `oncall db upgrade` first"
                )
        finally:
            await db.dispose()

    try:
        asyncio.run(check())
    except DatabaseUnavailable as exc:
        raise CommandFailed(
            f"cannot reach the database {redact_url(settings.database_url)}: {exc}"
        ) from None
    url = f"http://{host}:{port}/"
    print(f"oncall is serving on {url}  (press Ctrl+C to stop)", flush=True)
    if settings.telephony == "fake":
        print(
            f"Demo mode: fake Twilio and phone simulator at {url}fake/ . Sign in as admin, "
            f"coordinator, manager or worker with password {DEMO_PASSWORD!r}.",
            flush=True,
        )
    web.run_app(create_app(settings), host=host, port=port, print=None, access_log=None)
    return EXIT_OK


@_command("db upgrade")
def _db_upgrade(_args: argparse.Namespace, settings: Settings) -> int:
    try:
        upgrade(settings.database_url)
    except DatabaseUnavailable as exc:
        raise CommandFailed(
            f"cannot upgrade the database {redact_url(settings.database_url)}: {exc}"
        ) from None
    print(f"database is at revision {head_revision()} (newest)")
    return EXIT_OK


@_command("db current")
def _db_current(_args: argparse.Namespace, settings: Settings) -> int:
    async def show() -> int:
        db = Database.connect(settings.database_url)
        try:
            current = await current_revision(db)
        finally:
            await db.dispose()
        head = head_revision()
        state = "up to date" if current == head else f"behind: newest is {head}"
        print(f"{current or '(empty database)'} ({state})")
        return EXIT_OK if current == head else EXIT_FAILED

    try:
        return _run(show())
    except DatabaseUnavailable as exc:
        raise CommandFailed(f"cannot read the database: {exc}") from None


@_command("demo load")
def _demo_load(args: argparse.Namespace, settings: Settings) -> int:
    anchor = None
    if args.anchor:
        try:
            anchor = date.fromisoformat(args.anchor + "-01")
        except ValueError:
            raise CommandFailed(f"--anchor: expected YYYY-MM, got {args.anchor!r}") from None

    async def load() -> int:
        db = Database.connect(settings.database_url)
        try:
            async with db.sessions() as session:
                if not await database_is_empty(session):
                    if args.if_empty:
                        print("demo data: the database already has data; left as it is")
                        return EXIT_OK
                    raise CommandFailed("the database already has data; demo data not loaded")
                summary = await load_demo(
                    session, now=SystemClock().now(), zone=settings.zone, anchor=anchor
                )
                await session.commit()
        finally:
            await db.dispose()
        print(
            f"demo data loaded: {summary.people} people, {summary.lines} lines, "
            f"{summary.known_callers} known callers, {summary.households} foster households, "
            f"{summary.leave_periods} leave periods, {summary.users} users "
            f"(password {DEMO_PASSWORD!r})"
        )
        return EXIT_OK

    try:
        return _run(load())
    except DatabaseUnavailable as exc:
        raise CommandFailed(f"cannot reach the database: {exc}") from None
    except DemoDataInvalid as exc:
        raise CommandFailed(f"demo data is invalid: {exc}") from None


@_command("token create")
def _token_create(args: argparse.Namespace, settings: Settings) -> int:
    async def create() -> int:
        db = Database.connect(settings.database_url)
        try:
            async with db.sessions() as session:
                token = await create_api_token(
                    session, username=args.user, name=args.name, now=SystemClock().now()
                )
                await session.commit()
        finally:
            await db.dispose()
        print(token)
        return EXIT_OK

    try:
        return _run(create())
    except UnknownUser:
        raise CommandFailed(f"no active user named {args.user!r}") from None


@_command("settings")
def _settings(_args: argparse.Namespace, settings: Settings) -> int:
    for name, value in settings.describe().items():
        print(f"{name} = {value}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oncall",
        description="Out-of-hours on-call rota and escalation service. "
        "Settings come from the environment (ONCALL_*, TWILIO_*): see README.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    serve = sub.add_parser("serve", help="serve the web app, webhooks and API")
    serve.add_argument("--host", help="address to listen on (default ONCALL_HOST)")
    serve.add_argument("--port", type=int, help="port to listen on (default ONCALL_PORT)")

    db = sub.add_parser("db", help="database schema").add_subparsers(
        dest="db_command", metavar="ACTION", required=True
    )
    db.add_parser("upgrade", help="create or upgrade the schema to the newest revision")
    db.add_parser("current", help="show the schema revision (exit 1 when behind)")

    demo = sub.add_parser("demo", help="synthetic demo data").add_subparsers(
        dest="demo_command", metavar="ACTION", required=True
    )
    load = demo.add_parser("load", help="load the demo data set into an empty database")
    load.add_argument("--if-empty", action="store_true", help="do nothing if data exists")
    load.add_argument("--anchor", help="first month of the demo leave, YYYY-MM (default now)")

    token = sub.add_parser("token", help="API tokens").add_subparsers(
        dest="token_command", metavar="ACTION", required=True
    )
    create = token.add_parser("create", help="create an API token for a user and print it once")
    create.add_argument("user", help="user name, e.g. admin")
    create.add_argument("--name", default="cli", help="a label for the token")

    sub.add_parser("settings", help="show the settings in force (secrets hidden)")
    return parser


def _command_name(args: argparse.Namespace) -> str:
    nested = getattr(args, f"{args.command}_command", None)
    return f"{args.command} {nested}" if nested else str(args.command)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print("oncall: invalid settings:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_USAGE
    configure_logging(log_format=settings.log_format, level=settings.log_level)
    try:
        return _COMMANDS[_command_name(args)](args, settings)
    except CommandFailed as exc:
        print(f"oncall: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return EXIT_FAILED
