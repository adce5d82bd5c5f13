"""`oncall simulate`: nights of calls and texts through the real service, with faults, checked."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

from oncall.cli.base import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CommandFailed, add_command
from oncall.db.engine import Database
from oncall.domain.setup import database_is_empty
from oncall.log import configure_logging
from oncall.settings import Settings, database_url, redact_url
from oncall.sim import SimResult, simulate
from oncall.sim.checks import NightCheck
from oncall.sim.model import config_from_json
from oncall.sim.report import markdown, summary


def register(sub: Any) -> None:
    parser = add_command(
        sub, "simulate", _simulate,
        "run simulated nights through the service with faults and check the invariants",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--nights", type=int, default=20, help="nights to run (default 20)")
    parser.add_argument(
        "--fault-rate", type=float, default=0.3,
        help="chance per night of each fault kind striking (0-1, default 0.3)",
    )  # fmt: skip
    parser.add_argument(
        "--database", default="sqlite",
        help="an empty database URL, or 'sqlite' for a new file in a temporary folder (default)",
    )  # fmt: skip
    parser.add_argument(
        "--replicas", type=int, default=1,
        help="instances of the service sharing the database (more than 1: PostgreSQL only)",
    )  # fmt: skip
    parser.add_argument(
        "--config", metavar="FILE",
        help="JSON: traffic rates, phone and reply odds, fault kinds (docs/simulator.md)",
    )  # fmt: skip
    parser.add_argument("--json", metavar="FILE", help="write the figures as JSON")
    parser.add_argument("--report", metavar="FILE", help="write the markdown report here")


def _progress(check: NightCheck) -> None:
    mark = "ok" if check.ok else f"FAILED ({len(check.failures)})"
    print(f"night {check.night}: {mark}", file=sys.stderr, flush=True)


def _simulate(args: argparse.Namespace, settings: Settings) -> int:
    if args.nights < 1 or not 0 <= args.fault_rate <= 1:
        print("oncall: --nights must be at least 1 and --fault-rate in 0-1", file=sys.stderr)
        return EXIT_USAGE
    if (
        args.replicas < 1
        or (args.replicas > 1 and args.database == "sqlite")
        or (args.replicas > 1 and args.database.startswith("sqlite"))
    ):
        print(
            "oncall: --replicas: at least 1, and more than 1 needs a PostgreSQL --database "
            "(SQLite serves one process)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    # A night writes thousands of log lines; the report says what happened.
    configure_logging(log_format=settings.log_format, level="error")
    # The sender-crash fault cancels a pass mid-transaction, as a dying process would; the pool
    # then logs the abandoned connection's rollback at error level, once per crash.
    pool = logging.getLogger("sqlalchemy.pool")
    pool_level = pool.level
    pool.setLevel(logging.CRITICAL)
    try:
        raw = json.loads(Path(args.config).read_text()) if args.config else {}
        config = config_from_json(
            raw, seed=args.seed, nights=args.nights, fault_rate=args.fault_rate,
            replicas=args.replicas,
        )  # fmt: skip
    except (OSError, ValueError) as exc:
        print(f"oncall: --config: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        given = None if args.database == "sqlite" else database_url(args.database)
    except ValueError as exc:
        print(f"oncall: --database: {exc}", file=sys.stderr)
        return EXIT_USAGE

    async def run() -> SimResult:
        with tempfile.TemporaryDirectory(prefix="oncall-sim-") as folder:
            url = given or f"sqlite+aiosqlite:///{Path(folder) / 'sim.db'}"
            if given is not None:
                await _refuse_data(url)
            result = await simulate(config, url, progress=_progress)
        return result

    try:
        result = asyncio.run(run())
    finally:  # the process's logging as it was (the command may run inside another program)
        pool.setLevel(pool_level)
        configure_logging(log_format=settings.log_format, level=settings.log_level)
    figures = summary(result)
    report = markdown(result)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, default=str) + "\n")
    if args.report:
        Path(args.report).write_text(report)
    print(report)
    if figures["failures"]:
        for failure in figures["failures"][:20]:
            print(f"invariant failed: {failure}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


async def _refuse_data(url: str) -> None:
    """The simulator writes weeks of contacts: never into a database that holds anything."""
    database = Database.connect(url)
    try:
        async with database.sessions() as session:
            empty = await database_is_empty(session)
    except Exception:
        empty = True
    finally:
        await database.dispose()
    if not empty:
        raise CommandFailed(f"{redact_url(url)} already holds data: give an empty database")
