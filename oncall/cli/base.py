"""What every command shares: the failure type, exit statuses, and a database for one command."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from oncall.db.engine import Database, DatabaseUnavailable
from oncall.settings import Settings, redact_url

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

Handler = Callable[[argparse.Namespace, Settings], int]


class CommandFailed(Exception):
    """A command could not do its job; the message is printed and the exit status is 1."""


@asynccontextmanager
async def open_database(settings: Settings, *, reads_only: bool = False) -> AsyncIterator[Database]:
    """A database for the length of one command; an unreachable one becomes CommandFailed.
    `reads_only`: its transactions only read (on SQLite they take no write lock, so a long walk
    or export never holds up the server's calls: oncall/db/reading.py)."""
    db = Database.connect(settings.database_url, reads_only=reads_only)
    try:
        await db.ping()
    except DatabaseUnavailable as exc:
        await db.dispose()
        raise CommandFailed(
            f"cannot reach the database {redact_url(settings.database_url)}: {exc}"
        ) from None
    try:
        yield db
    finally:
        await db.dispose()


def add_command(
    sub: Any, name: str, handler: Handler, help_text: str, **kwargs: Any
) -> argparse.ArgumentParser:
    """Add a sub-command whose `handler(args, settings)` returns the exit status."""
    parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text, **kwargs)
    parser.set_defaults(handler=handler)
    return parser


def add_group(sub: Any, name: str, help_text: str) -> Any:
    """Add a command group (`oncall db …`) and return its sub-command registry."""
    parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text)
    return parser.add_subparsers(dest=f"{name}_action", metavar="ACTION", required=True)
