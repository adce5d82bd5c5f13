"""`oncall setup lines`: the three standard lines, day desk, default templates and policies."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from oncall.cli.base import (
    EXIT_OK,
    EXIT_USAGE,
    CommandFailed,
    add_command,
    add_group,
    open_database,
)
from oncall.cli.users import cli_actor
from oncall.clock import SystemClock
from oncall.db.models import LineKind
from oncall.domain.setup import SetupConflict, configure_lines
from oncall.phones import InvalidPhoneNumber, normalise_phone
from oncall.settings import Settings


def _phone(raw: str) -> str:
    """An argparse type: the number in E.164, or an error argparse prints naming the option."""
    try:
        return normalise_phone(raw)
    except InvalidPhoneNumber as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(sub: Any) -> None:
    setup = add_group(sub, "setup", "production set-up (instead of the demo data)")
    lines = add_command(
        setup, "lines", _lines,
        "create the police, hospital and foster lines on their Twilio numbers, the default "
        "shift templates and escalation policies; run again to change a number",
    )  # fmt: skip
    for kind, who in (
        (LineKind.POLICE, "police HQ"),
        (LineKind.HOSPITAL, "the hospital"),
        (LineKind.FOSTER, "foster carers"),
    ):
        lines.add_argument(
            f"--{kind.value}", required=True, type=_phone, metavar="NUMBER",
            help=f"the Twilio number {who} ring, e.g. +44 1534 700101",
        )  # fmt: skip
    lines.add_argument(
        "--day-desk", type=_phone, metavar="NUMBER",
        help="where calls outside the out-of-hours window go (without it they ring on call)",
    )  # fmt: skip


def _lines(args: argparse.Namespace, settings: Settings) -> int:
    numbers = {kind: getattr(args, kind.value) for kind in LineKind}
    duplicated = {n for n in numbers.values() if list(numbers.values()).count(n) > 1}
    if duplicated:
        kinds = [f"--{k.value}" for k, n in numbers.items() if n in duplicated]
        print(f"oncall: {' and '.join(kinds)}: each line needs its own number", file=sys.stderr)
        return EXIT_USAGE

    async def configure() -> list[str]:
        async with open_database(settings) as db, db.sessions() as session:
            try:
                report = await configure_lines(
                    session, numbers=numbers, day_desk=args.day_desk,
                    now=SystemClock().now(), actor=cli_actor(),
                )  # fmt: skip
            except SetupConflict as exc:
                raise CommandFailed(f"{exc.field}: {exc}") from None
            await session.commit()
            return report.changes

    changes = asyncio.run(configure())
    for change in changes:
        print(change)
    if not changes:
        print("lines, templates and policies already set up as given: nothing changed")
    return EXIT_OK
