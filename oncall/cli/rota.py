"""`oncall rota generate|show|publish|repair|export`: the monthly rota from the command line."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from oncall.cli.base import (
    EXIT_FAILED,
    EXIT_OK,
    CommandFailed,
    add_command,
    add_group,
    open_database,
)
from oncall.clock import SystemClock
from oncall.db.models import UnavailabilityReason
from oncall.domain.rota import (
    Month,
    RotaConflict,
    RotaInvalid,
    SolveProgress,
    export_csv,
    export_ics,
    export_json,
    fairness_report,
    find_version,
    generate,
    heading,
    load_version,
    month_versions,
    move_lines,
    publish,
    repair,
    report_lines,
    rota_table,
    version_list,
)
from oncall.settings import Settings

T = TypeVar("T")


def register(sub: Any) -> None:
    rota = add_group(sub, "rota", "generate, review, publish, repair and export monthly rotas")
    gen = add_command(rota, "generate", _generate, "solve a month and store it as a draft")
    _month_arg(gen)
    _time_limit_arg(gen)
    show = add_command(rota, "show", _show, "print a version: shifts, loads, figures")
    _month_arg(show)
    show.add_argument("--version", type=int, help="version number (default: the newest)")
    pub = add_command(rota, "publish", _publish, "publish the newest draft (or --version)")
    _month_arg(pub)
    pub.add_argument("--version", type=int, help="version number (default: the newest draft)")
    _by_arg(pub)
    rep = add_command(rota, "repair", _repair, "re-solve the published rota after an absence")
    _month_arg(rep)
    rep.add_argument("--person", required=True, help="the person's code, e.g. sw004")
    rep.add_argument(
        "--unavailable", nargs=2, required=True, metavar=("FROM", "TO"),
        help="local date or date-time; a date as TO includes that whole day",
    )  # fmt: skip
    reasons = [r.value for r in UnavailabilityReason]
    rep.add_argument("--reason", choices=reasons, default=UnavailabilityReason.SICKNESS)
    rep.add_argument("--now", help="local date-time the repair is made at (default: now)")
    rep.add_argument("--publish", action="store_true", help="publish the repaired version at once")
    _time_limit_arg(rep)
    _by_arg(rep)
    exp = add_command(rota, "export", _export, "export a version as CSV, JSON or iCalendar")
    _month_arg(exp)
    exp.add_argument("--format", choices=("csv", "json", "ics"), required=True)
    exp.add_argument("--version", type=int, help="version number (default: the published one)")
    exp.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")


def _month_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("month", help="the month, YYYY-MM (e.g. 2027-01)")


def _time_limit_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--time-limit", type=float, default=60.0, metavar="S",
        help="seconds the solver may search (default 60); the best rota found is kept",
    )  # fmt: skip


def _by_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--by", default=_user(), help="who is acting (default: your login)")


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in some containers
        return "cli"


def _run(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one transaction: committed when it returns, rolled back when it fails."""

    async def run() -> T:
        async with open_database(settings) as db, db.sessions() as session:
            try:
                result = await work(session)
            except (RotaInvalid, RotaConflict) as exc:
                raise CommandFailed(str(exc)) from None
            await session.commit()
            return result

    return asyncio.run(run())


class ProgressLine:
    """Solver progress on stderr: a line per stage, and at most one a second within a stage."""

    def __init__(self) -> None:
        self._stage, self._shown = "", 0.0

    def __call__(self, p: SolveProgress) -> None:
        moment = time.monotonic()
        if p.stage == self._stage and moment - self._shown < 1.0:
            return
        self._stage, self._shown = p.stage, moment
        best = "-" if p.best is None else f"{p.best:.3f}"
        bound = "-" if p.bound is None else f"{p.bound:.3f}"
        print(
            f"  {p.stage:<18} {p.elapsed_s:6.1f} s   best {best:>10}   bound {bound:>10}",
            file=sys.stderr,
            flush=True,
        )


def _generate(args: argparse.Namespace, settings: Settings) -> int:
    month = _month(args.month)
    print(f"solving {month.key} (up to {args.time_limit:g} s)…", file=sys.stderr)

    async def work(session: AsyncSession) -> list[str]:
        version = await generate(
            session, month, zone=settings.zone, now=SystemClock().now(), by=_user(),
            progress=ProgressLine(), time_limit_s=args.time_limit,
        )  # fmt: skip
        loaded = await load_version(session, version.id)
        return [heading(loaded), *report_lines(fairness_report(version.problem, version.solution))]

    lines = _run(settings, work)
    print("\n".join(lines))
    return EXIT_FAILED if "solver infeasible" in lines[0] else EXIT_OK


def _show(args: argparse.Namespace, settings: Settings) -> int:
    month = _month(args.month)

    async def work(session: AsyncSession) -> list[str]:
        version = await find_version(session, month, args.version)
        loaded = await load_version(session, version.id)
        report = fairness_report(version.problem, version.solution)
        versions = version_list(await month_versions(session, month))
        return [
            heading(loaded),
            versions,
            *rota_table(loaded, settings.zone),
            *report_lines(report),
        ]

    print("\n".join(_run(settings, work)))
    return EXIT_OK


def _publish(args: argparse.Namespace, settings: Settings) -> int:
    month = _month(args.month)

    async def work(session: AsyncSession) -> str:
        version = await publish(session, month, args.version, now=SystemClock().now(), by=args.by)
        return f"{month.key} version {version.number} published; balances carried forward"

    print(_run(settings, work))
    return EXIT_OK


def _repair(args: argparse.Namespace, settings: Settings) -> int:
    month, zone = _month(args.month), settings.zone
    start = local_time(args.unavailable[0], zone, "--unavailable FROM")
    end = local_time(args.unavailable[1], zone, "--unavailable TO", whole_day=True)
    if end <= start:
        raise CommandFailed(f"--unavailable: TO ({args.unavailable[1]}) is not after FROM")
    now = local_time(args.now, zone, "--now") if args.now else SystemClock().now()
    print(f"re-solving {month.key} from {now.astimezone(zone):%a %d %b %H:%M}…", file=sys.stderr)

    async def work(session: AsyncSession) -> list[str]:
        result = await repair(
            session, month, person_code=args.person, start=start, end=end, reason=args.reason,
            now=now, by=args.by, zone=zone, time_limit_s=args.time_limit, progress=ProgressLine(),
        )  # fmt: skip
        lines = [heading(await load_version(session, result.version.id))]
        if result.version.solver_status == "infeasible":
            report = fairness_report(result.version.problem, result.version.solution)
            return [*lines, *report_lines(report)]
        lines += move_lines(result.moves, zone)
        lines += [
            f"{args.person} stays on {key}: it is under way; cover it with a duty override"
            for key in result.kept_on
        ]
        if args.publish:
            await publish(session, month, result.version.number, now=now, by=args.by)
            lines.append(f"version {result.version.number} published")
        return lines

    lines = _run(settings, work)
    print("\n".join(lines))
    return EXIT_FAILED if "solver infeasible" in lines[0] else EXIT_OK


def _export(args: argparse.Namespace, settings: Settings) -> int:
    month, zone = _month(args.month), settings.zone

    async def work(session: AsyncSession) -> str:
        if args.format == "csv":
            return await export_csv(session, month, args.version, zone=zone)
        if args.format == "ics":
            return await export_ics(session, month, args.version, zone=zone)
        document = await export_json(session, month, args.version, zone=zone)
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

    text = _run(settings, work)
    if args.output is None:
        sys.stdout.write(text)
    else:
        # newline="" keeps the CRLF line ends that CSV and iCalendar require.
        with args.output.open("w", encoding="utf-8", newline="") as out:
            out.write(text)
        print(f"wrote {args.output}", file=sys.stderr)
    return EXIT_OK


def _month(text: str) -> Month:
    try:
        return Month.parse(text)
    except RotaInvalid as exc:
        raise CommandFailed(str(exc)) from None


def local_time(text: str, zone: ZoneInfo, field: str, *, whole_day: bool = False) -> datetime:
    """An ISO date or date-time read as local time (an explicit offset is kept).

    A bare date means its local midnight; with `whole_day` (an end) the midnight after it.
    """
    try:
        if len(text.strip()) == 10:
            day = date.fromisoformat(text.strip()) + timedelta(days=1 if whole_day else 0)
            return datetime.combine(day, datetime.min.time(), tzinfo=zone)
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CommandFailed(
            f"{field}: expected a date (2027-01-10) or date-time (2027-01-10T17:00), got {text!r}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)
