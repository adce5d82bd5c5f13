"""The `oncall` command: one module per command group, each with a `register(subparsers)`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from oncall.cli import (
    audit,
    database,
    demo,
    escalation,
    rota,
    server,
    setup,
    show_settings,
    simulate,
    tokens,
    twilio,
    users,
)
from oncall.cli.base import EXIT_FAILED, EXIT_USAGE, CommandFailed, Handler
from oncall.log import configure_logging
from oncall.settings import SettingsError, load_settings

# Each module adds its commands; a later feature adds its module here.
COMMAND_MODULES = (
    server, database, setup, users, demo, tokens, show_settings, audit, rota, twilio, escalation,
    simulate,
)  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oncall",
        description="Out-of-hours on-call rota and escalation service. "
        "Settings come from the environment (ONCALL_*, TWILIO_*): see README.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


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
    handler: Handler = args.handler
    try:
        return handler(args, settings)
    except CommandFailed as exc:
        print(f"oncall: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return EXIT_FAILED
