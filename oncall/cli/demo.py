"""`oncall demo load`: the synthetic demo data set."""

from __future__ import annotations

import argparse
import asyncio
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from oncall.cli.base import EXIT_OK, CommandFailed, add_command, add_group, open_database
from oncall.clock import SystemClock
from oncall.domain.missing import load_demo_episodes
from oncall.domain.rota import RotaConflict, RotaInvalid, generate, publish
from oncall.domain.setup import DEMO_PASSWORD, DemoDataInvalid, database_is_empty, load_demo
from oncall.settings import Settings
from oncall.sim.history import lay_down_history
from oncall.wiring import missing_rules

HISTORY_WEEKS = 12


def register(sub: Any) -> None:
    demo = add_group(sub, "demo", "synthetic demo data")
    load = add_command(demo, "load", _load, "load the demo data set into an empty database")
    load.add_argument("--if-empty", action="store_true", help="do nothing if data exists")
    load.add_argument("--anchor", help="first month of the demo leave, YYYY-MM (default now)")
    load.add_argument(
        "--no-rota",
        action="store_true",
        help="do not generate and publish the rota for the anchor month (faster)",
    )
    load.add_argument(
        "--rota-time-limit", type=float, default=30.0, help="seconds the solver may take"
    )
    load.add_argument(
        "--history-weeks", type=int,
        help="weeks of past nights before today to lay down (calls, alerts, outcomes; 0: none; "
        f"default {HISTORY_WEEKS}, or none with --anchor)",
    )  # fmt: skip


def _load(args: argparse.Namespace, settings: Settings) -> int:
    anchor = None
    if args.anchor:
        try:
            anchor = date.fromisoformat(args.anchor + "-01")
        except ValueError:
            raise CommandFailed(f"--anchor: expected YYYY-MM, got {args.anchor!r}") from None

    async def load() -> int:
        async with open_database(settings) as db, db.sessions() as session:
            if not await database_is_empty(session):
                if args.if_empty:
                    print("demo data: the database already has data; left as it is")
                    return EXIT_OK
                raise CommandFailed("the database already has data; demo data not loaded")
            try:
                summary = await load_demo(
                    session, now=SystemClock().now(), zone=settings.zone, anchor=anchor
                )
            except DemoDataInvalid as exc:
                raise CommandFailed(f"demo data is invalid: {exc}") from None
            episodes = await load_demo_episodes(
                session, missing_rules(settings), now=SystemClock().now(), zone=settings.zone,
                boundary=settings.handover_at,
            )  # fmt: skip
            await session.commit()
            if not args.no_rota:
                month = (anchor or SystemClock().now().astimezone(settings.zone).date()).replace(
                    day=1
                )
                await _publish_rota(session, month, settings, args.rota_time_limit)
            # The past is the weeks before today: a demo anchored in another month has none
            # unless asked (its rota and leave are about that month, not about today).
            weeks = args.history_weeks
            if weeks is None:
                weeks = 0 if anchor is not None else HISTORY_WEEKS
            if weeks > 0:
                print(f"laying down {weeks} weeks of past nights…", flush=True)
                history = await lay_down_history(
                    db, now=SystemClock().now(), zone=settings.zone, weeks=weeks
                )
                print(
                    f"history: {history.nights} nights, {history.calls} calls "
                    f"({history.answered} answered, {history.missed} missed, "
                    f"{history.late_acks} acknowledged late)"
                )
        print(
            f"demo data loaded: {summary.people} people, {summary.lines} lines, "
            f"{summary.known_callers} known callers, {summary.households} foster households, "
            f"{summary.leave_periods} leave periods, {summary.users} users "
            f"(password {DEMO_PASSWORD!r}), {episodes} missing episodes"
        )
        if not episodes:
            print("no demo missing episodes: ONCALL_CASE_REFERENCE_PATTERN refuses their form")
        return EXIT_OK

    return asyncio.run(load())


async def _publish_rota(
    session: AsyncSession, first: date, settings: Settings, time_limit_s: float
) -> None:
    """Generate and publish the month's rota, so the demo has people on duty from the start."""
    key = first.strftime("%Y-%m")
    now = SystemClock().now()
    print(f"generating the {key} rota (up to {time_limit_s:g} s)…", flush=True)
    try:
        version = await generate(
            session, key, zone=settings.zone, now=now, by="demo", time_limit_s=time_limit_s
        )
        await publish(session, key, version.number, now=now, by="demo")
    except (RotaConflict, RotaInvalid) as exc:
        await session.rollback()
        print(f"the {key} rota was not published: {exc}")
        return
    await session.commit()
    print(f"rota {key} version {version.number} published ({version.solver_status})")
