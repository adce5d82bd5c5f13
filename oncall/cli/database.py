"""`oncall db upgrade|current`: the schema."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from oncall.cli.base import (
    EXIT_FAILED,
    EXIT_OK,
    CommandFailed,
    add_command,
    add_group,
    open_database,
)
from oncall.db.engine import DatabaseUnavailable
from oncall.db.migrate import current_revision, head_revision, upgrade
from oncall.settings import Settings, redact_url


def register(sub: Any) -> None:
    db = add_group(sub, "db", "database schema")
    add_command(db, "upgrade", _upgrade, "create or upgrade the schema to the newest revision")
    add_command(db, "current", _current, "show the schema revision (exit 1 when behind)")


def _upgrade(_args: argparse.Namespace, settings: Settings) -> int:
    try:
        upgrade(settings.database_url)
    except DatabaseUnavailable as exc:
        raise CommandFailed(
            f"cannot upgrade the database {redact_url(settings.database_url)}: {exc}"
        ) from None
    print(f"database is at revision {head_revision()} (newest)")
    return EXIT_OK


def _current(_args: argparse.Namespace, settings: Settings) -> int:
    async def show() -> int:
        async with open_database(settings) as db:
            current = await current_revision(db)
        head = head_revision()
        state = "up to date" if current == head else f"behind: newest is {head}"
        print(f"{current or '(empty database)'} ({state})")
        return EXIT_OK if current == head else EXIT_FAILED

    return asyncio.run(show())
