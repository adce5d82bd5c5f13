"""`oncall audit …`: verify the hash chain, redact old details, export CSV, prepare the handover."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from oncall.cli.base import (
    EXIT_FAILED,
    EXIT_OK,
    CommandFailed,
    add_command,
    add_group,
    open_database,
)
from oncall.db.engine import Database
from oncall.domain.audit import (
    ContactFilter,
    FilterError,
    contacts_csv,
    events_csv,
    gather_handover,
    handover_csv,
    handover_text,
    latest_handover_day,
    log_read,
    morning_jobs,
    parse_filter,
    record_verification,
    redact_before,
)
from oncall.domain.chain import ChainReport, verify_chain
from oncall.settings import Settings
from oncall.wiring import morning_config, offline_outcome_links

CLI_ACTOR = "cli"


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {raw!r}") from None


def _days(raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of days, 1 or more: {raw!r}")
    return int(raw)


def register(sub: Any) -> None:
    audit = add_group(sub, "audit", "the response log")
    verify = add_command(
        audit, "verify", _verify, "verify the hash chain; exit 1 at the first broken link"
    )
    verify.add_argument(
        "--record", action="store_true",
        help="append the result to the log (shown as the chain's state on the audit pages)",
    )  # fmt: skip
    redact = add_command(
        audit, "redact", _redact,
        "blank event details and contacts' notes, numbers and recordings older than DAYS",
    )  # fmt: skip
    redact.add_argument("--older-than", type=_days, metavar="DAYS", dest="days",
                        help="default: ONCALL_RETENTION_DAYS")  # fmt: skip
    export = add_command(audit, "export", _export, "export contacts or events as CSV")
    export.add_argument("what", choices=("contacts", "events"), nargs="?", default="contacts")
    export.add_argument("--from", type=_day, dest="first", required=True, metavar="YYYY-MM-DD")
    export.add_argument("--to", type=_day, dest="last", required=True, metavar="YYYY-MM-DD",
                        help="the last local day included")  # fmt: skip
    export.add_argument("--format", choices=("csv",), default="csv")
    export.add_argument("--filter", action="append", default=[], metavar="NAME=VALUE",
                        help="contacts only: line=police, open=1 … (repeatable)")  # fmt: skip
    export.add_argument("--output", type=Path, help="file to write (default: standard output)")
    handover = add_command(audit, "handover", _handover, "print the morning handover")
    handover.add_argument("--date", type=_day, help="the morning (default: the latest one due)")
    handover.add_argument("--csv", action="store_true", help="print CSV instead of text")
    handover.add_argument(
        "--prepare", action="store_true",
        help="also do the morning's jobs if not yet done: reminders, the log entry, the e-mail",
    )  # fmt: skip


def _verify(args: argparse.Namespace, settings: Settings) -> int:
    async def verify() -> ChainReport:
        # The walk only reads: on SQLite it then holds no write lock for its whole length
        # (every call's first write would wait for it), and only the record takes one.
        async with open_database(settings, reads_only=True) as db, db.sessions() as session:
            report = await verify_chain(session)
        if args.record:
            async with open_database(settings) as db, db.sessions() as session:
                await record_verification(session, report, at=datetime.now(UTC), actor=CLI_ACTOR)
                await session.commit()
        return report

    report = asyncio.run(verify())
    if report.broken is None:
        print(f"chain verified: {report.checked} events, all links hold")
        return EXIT_OK
    broken = report.broken
    when = broken.occurred_at.isoformat() if broken.occurred_at else "unknown time"
    print(
        f"chain BROKEN at event {broken.seq} ({when}): {broken.problem}. "
        f"{report.checked} events before it verified.",
        file=sys.stderr,
    )
    return EXIT_FAILED


def _redact(args: argparse.Namespace, settings: Settings) -> int:
    days = args.days or settings.retention_days
    if not days:
        raise CommandFailed("give --older-than DAYS or set ONCALL_RETENTION_DAYS")
    now = datetime.now(UTC)

    async def redact() -> tuple[int, int]:
        async with open_database(settings) as db, db.sessions() as session:
            result = await redact_before(
                session, before=now - timedelta(days=days), at=now, actor=CLI_ACTOR
            )
            await session.commit()
            return result.events, result.contacts

    events, contacts = asyncio.run(redact())
    print(f"redacted the details of {events} events and {contacts} contacts older than {days} days")
    return EXIT_OK


def _export(args: argparse.Namespace, settings: Settings) -> int:
    zone = settings.zone
    start = datetime.combine(args.first, time(0), zone)
    end = datetime.combine(args.last + timedelta(days=1), time(0), zone)
    try:
        query = dict(item.split("=", 1) for item in args.filter)
        f = parse_filter({**query, "from": str(args.first), "to": str(args.last)})
    except (ValueError, FilterError) as exc:
        raise CommandFailed(f"--filter: {exc}") from None
    out = args.output.open("w", encoding="utf-8", newline="") if args.output else sys.stdout

    async def export(f: ContactFilter) -> int:
        rows = 0
        # Read without the write lock (SQLite): the rows stream for as long as the output takes.
        async with open_database(settings, reads_only=True) as db, db.sessions() as session:
            chunks = (
                contacts_csv(session, f, zone=zone)
                if args.what == "contacts"
                else events_csv(session, start=start, end=end, zone=zone)
            )
            async for chunk in chunks:
                out.write(chunk)
                rows += chunk.count("\r\n")
        async with open_database(settings) as db, db.sessions() as session:
            await log_read(
                session, username=CLI_ACTOR, what=f"{args.what} export (CSV, command line)",
                at=datetime.now(UTC), query={**query, "from": str(args.first),
                                                      "to": str(args.last)},
                rows=rows - 1,
            )  # fmt: skip
            await session.commit()
        return rows - 1

    try:
        rows = asyncio.run(export(f))
    finally:
        if args.output:
            out.close()
    if args.output:
        print(f"wrote {rows} {args.what} to {args.output}", file=sys.stderr)
    return EXIT_OK


def _handover(args: argparse.Namespace, settings: Settings) -> int:
    zone, boundary = settings.zone, settings.handover_at
    day = args.date or latest_handover_day(datetime.now(UTC), zone, boundary)

    async def gather() -> str:
        async with open_database(settings) as db:
            if args.prepare:
                morning = morning_config(settings, offline_outcome_links(settings))
                done = await morning_jobs(db.sessions, morning, day=day, at=datetime.now(UTC))
                print("prepared now" if done else "already prepared", file=sys.stderr)
            return await read(db)

    async def read(db: Database) -> str:
        async with db.sessions() as session:
            handover = await gather_handover(session, day=day, zone=zone, boundary=boundary)
            await log_read(
                session, username=CLI_ACTOR, what="handover (command line)",
                at=datetime.now(UTC), query={"date": str(day)},
            )  # fmt: skip
            await session.commit()
            return handover_csv(handover, zone) if args.csv else handover_text(handover, zone)

    sys.stdout.write(asyncio.run(gather()))
    return EXIT_OK
