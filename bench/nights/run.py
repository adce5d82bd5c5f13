"""Simulated nights on PostgreSQL with faults on: how many fit in a time budget, and a profile.

1. `oncall simulate`'s engine (`oncall.sim.simulate`) runs nights until `--minutes` of wall time
   are spent, on a fresh PostgreSQL database (or SQLite with --sqlite), `--replicas` instances
   of the service (2 by default, as the issue's bench asks; 1 with --sqlite), faults at
   `--fault-rate`; the figures and invariants are those of `oncall simulate --json`.
2. A short run of `--profile-nights` on SQLite under cProfile: own time per package (the service's
   web layer, its domain, SQLAlchemy, the database driver, aiohttp, the fake Twilio, the twilio
   library, logging), per webhook the fake sent.

Run: .venv/bin/python -m bench.nights.run [--minutes 10] [--profile-nights 4] [--replicas 2]
Results: bench/results/nights.json and nights.md.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import logging
import os
import platform
import pstats
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.scratch import DEFAULT_ADMIN_URL, create_database, drop_database
from oncall.log import configure_logging
from oncall.sim import SimConfig, simulate
from oncall.sim.model import night_bounds
from oncall.sim.report import chart, summary
from oncall.sim.run import ZONE
from oncall.sim.world import prepare_database

RESULTS = Path(__file__).parents[1] / "results"
PG_ADMIN = os.environ.get("ONCALL_BENCH_POSTGRES", DEFAULT_ADMIN_URL)
TARGET_NIGHTS, TARGET_MINUTES = 10_000, 30

# Own time of each function, grouped by where it lives (first match wins).
GROUPS = [
    ("oncall/web/", "service: web layer (middlewares, webhooks, TwiML)"),
    ("oncall/domain/", "service: domain (call flow, escalation, outbox, chain)"),
    ("oncall/sim/", "simulator (driver, checks)"),
    ("oncall/", "service: other (app, clock, logging set-up)"),
    ("integrations/fake_twilio/", "fake Twilio (phones, TwiML interpreter)"),
    ("integrations/", "Twilio boundary (adapter, TwiML, words)"),
    ("sqlalchemy/", "SQLAlchemy (ORM, Core, pool)"),
    ("asyncpg/", "database driver"),
    ("aiosqlite/", "database driver"),
    ("sqlite3", "database driver"),
    ("aiohttp/", "aiohttp (server and client)"),
    ("multidict/", "aiohttp (server and client)"),
    ("yarl/", "aiohttp (server and client)"),
    ("twilio/", "twilio library (REST client, request validator)"),
    ("structlog/", "logging (structlog)"),
    ("logging/", "logging (structlog)"),
    ("asyncio/", "asyncio event loop"),
    ("selectors", "asyncio event loop"),
    ("jinja2/", "templates"),
]


IDLE = "waiting for I/O (idle: epoll; the database server, timeouts)"


def _group(filename: str, function: str) -> str:
    if "select.epoll" in function:
        return IDLE
    if "SimpleQueue" in function:  # aiosqlite hands each statement to its thread
        return "database driver"
    for fragment, name in GROUPS:
        if fragment in filename:
            return name
    return "other (standard library, built-ins)"


# Each run's PostgreSQL databases have names of their own (bench/scratch.py: the purpose, this
# process's id and a random suffix), dropped when the run ends however it ends. Fixed names
# (oncall_bench_nights, oncall_bench_profile) were dropped WITH (FORCE) before each run: a second
# nights bench on the machine (another session's) killed the first one's connections.
PURPOSE_RUN, PURPOSE_PROFILE = "nights", "nights_profile"


def _run(config: SimConfig, url: str, budget_s: float | None) -> Any:
    def progress(check: Any) -> None:
        print(f"night {check.night}: {'ok' if check.ok else check.failures[:2]}", flush=True)

    return asyncio.run(simulate(config, url, progress=progress, stop_after_s=budget_s))


def _profile(nights: int, seed: int, fault_rate: float, sqlite: bool) -> dict[str, Any]:
    config = SimConfig(seed=seed, nights=nights, fault_rate=fault_rate)
    with tempfile.TemporaryDirectory(prefix="bench-nights-") as folder:
        url, name = f"sqlite+aiosqlite:///{Path(folder) / 'profile.db'}", ""
        if not sqlite:
            url, name = asyncio.run(create_database(PURPOSE_PROFILE, PG_ADMIN))
        try:
            # The demo data (and its password hashing) before the profiler starts: nights only.
            loaded = night_bounds(config.first_night, ZONE)[0] - timedelta(days=1)
            asyncio.run(prepare_database(url, zone=ZONE, loaded_at=loaded))
            # Timed on this process's CPU, not on the wall clock (cProfile's default): on this
            # shared machine the wall clock charged whichever call was running with the time
            # the process was off the CPU, above all loopback sends that wake a PostgreSQL
            # backend (8 s of "socket.send" in 3 nights at load 4-5, 0.9 s of CPU).
            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
            result = _run(config, url, None)
            profiler.disable()
        finally:
            if name:
                asyncio.run(drop_database(name, PG_ADMIN))
    stats = pstats.Stats(profiler)
    own: dict[str, float] = defaultdict(float)
    top: list[tuple[float, str]] = []
    calls: dict[str, int] = {}
    for (filename, line, function), row in stats.stats.items():  # type: ignore[attr-defined]
        tottime = row[2]
        group = _group(filename, function)
        own[group] += tottime
        if group != IDLE:
            name = f"{filename.split('site-packages/')[-1]}:{line} {function}"
            top.append((tottime, name))
            calls[name] = row[1]
    idle = own.pop(IDLE, 0.0)
    total = sum(own.values())
    webhooks = max(1, result.webhooks)
    return {
        "database": "SQLite" if sqlite else "PostgreSQL",
        "nights": len(result.nights),
        "webhooks": result.webhooks,
        "idle_s": round(idle, 2),
        "profiled_s": round(total, 2),
        "ms_per_webhook": round(1000 * total / webhooks, 2),
        "groups": [
            {
                "group": g,
                "s": round(s, 2),
                "share_pct": round(100 * s / total, 1),
                "ms_per_webhook": round(1000 * s / webhooks, 2),
            }
            for g, s in sorted(own.items(), key=lambda item: -item[1])
        ],
        "top_functions": [
            {"own_s": round(t, 2), "calls": calls[name], "function": name}
            for t, name in sorted(top, reverse=True)[:15]
        ],
    }


def _markdown(doc: dict[str, Any], run_chart: list[str]) -> str:
    run, prof = doc["run"], doc["profile"]
    t = run["time_to_human_s"]
    lines = [
        "# Nights: the whole service, night after night, with faults",
        "",
        f"{doc['when']}, {doc['machine']}. Load average at start {doc['load_before']}, "
        f"at end {doc['load_after']} (other work shared the 2 cores).",
        "",
        f"Command: `{doc['command']}`",
        "",
        f"## Run: {run['nights']} nights on {run['database']} in {run['wall_s']} s",
        "",
        "| figure | value | target |",
        "|---|---|---|",
        f"| nights | {run['nights']} ({run['nights_per_minute']} a minute) | "
        f"{TARGET_NIGHTS} in {TARGET_MINUTES} min |",
        f"| contacts | {run['contacts']} | |",
        f"| reached | {run['reached']} ({run['reached_pct']}%) | 100% |",
        f"| time to a human p50 / p90 / p99 / max | {t['p50']} / {t['p90']} / {t['p99']} / "
        f"{t['max']} s | p99 < 180 s |",
        f"| duplicated messages | {run['duplicate_messages']} | 0 |",
        f"| lost steps | {run['lost_steps']} | 0 |",
        f"| late steps (> 60 s after due) | {run['late_steps']} | |",
        f"| hash chain | {'verifies' if run['chain_ok'] else 'BROKEN'} | verifies |",
        f"| KPIs equal ground truth | {'yes' if run['kpi_ok'] else 'NO'} | yes |",
        f"| faults struck | {run['faults']} | |",
        f"| webhooks the fake sent | {run['webhooks']} | |",
        f"| the service's database round trips (a webhook) | {run['db_round_trips']} "
        f"({run['db_round_trips_per_webhook']}) | |",
        f"| calls that arrived while another was going | {run['overlapping_calls']} | |",
        "",
        *run_chart,
        "",
        f"Extrapolation: at {run['nights_per_minute']} nights a minute, {TARGET_NIGHTS} nights "
        f"take about {doc['extrapolated_minutes']} minutes on this machine "
        f"(target {TARGET_MINUTES}). The run's own process used {doc['cpu_s']} s of CPU "
        f"({doc['cpu_s_per_night']} s a night): with a core to itself, {TARGET_NIGHTS} nights "
        f"would take about {doc['extrapolated_cpu_minutes']} minutes of this process's CPU "
        "(PostgreSQL's own time not counted).",
        "",
        "### Per fault kind",
        "",
        "| fault | nights struck | contacts | reached | p99 s | max s |",
        "|---|---|---|---|---|---|",
    ]
    for kind, group in run["per_fault"].items():
        gt = {k: v if v is None else round(v, 1) for k, v in group["time_to_human_s"].items()}
        lines.append(
            f"| {kind} | {group['nights_struck']} | {group['contacts']} | {group['reached']} | "
            f"{gt['p99']} | {gt['max']} |"
        )
    lines += [
        "",
        f"## Profile: {prof['nights']} nights on {prof['database']} under cProfile",
        "",
        f"{prof['webhooks']} webhooks, {prof['profiled_s']} s of this process's CPU besides "
        f"{prof['idle_s']} s in the event loop's epoll waits: {prof['ms_per_webhook']} ms per "
        "webhook, everything included (the fake's side, the simulator's checks and the "
        "escalation and outbox passes too). Timed on the process's CPU, not the wall clock "
        "(which charged the calls that happened to be running with the time the process was "
        "off the CPU on this shared machine). cProfile's own overhead inflates the many small "
        "calls.",
        "",
        "| where | own s | share | ms per webhook |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {g['group']} | {g['s']} | {g['share_pct']}% | {g['ms_per_webhook']} |"
        for g in prof["groups"]
    ]
    lines += [
        "", "Top functions by own time:", "", "| own s | calls | function |", "|---|---|---|",
    ]  # fmt: skip
    lines += [
        f"| {f['own_s']} | {f.get('calls', '')} | `{f['function']}` |"
        for f in prof["top_functions"]
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fault-rate", type=float, default=0.3)
    parser.add_argument("--sqlite", action="store_true", help="run on SQLite, not PostgreSQL")
    parser.add_argument("--profile-nights", type=int, default=4)
    parser.add_argument(
        "--replicas", type=int, default=2, help="instances of the service (PostgreSQL; default 2)"
    )
    args = parser.parse_args()
    if args.sqlite and args.replicas != 1:
        parser.error("--replicas: SQLite serves one process (give --replicas 1 with --sqlite)")
    configure_logging(level="error")
    logging.getLogger("sqlalchemy.pool").setLevel(logging.CRITICAL)
    load_before = os.getloadavg()[0]
    config = SimConfig(
        seed=args.seed, nights=2000, fault_rate=args.fault_rate, replicas=args.replicas
    )
    with tempfile.TemporaryDirectory(prefix="bench-nights-") as folder:
        url, name = f"sqlite+aiosqlite:///{Path(folder) / 'nights.db'}", ""
        if not args.sqlite:
            url, name = asyncio.run(create_database(PURPOSE_RUN, PG_ADMIN))
        try:
            cpu_before = time.process_time()
            result = _run(config, url, args.minutes * 60)
            cpu_s = time.process_time() - cpu_before
        finally:
            if name:
                asyncio.run(drop_database(name, PG_ADMIN))
    run = summary(result)
    run.pop("failures")
    run["failures"] = result.failures[:20]
    profile = _profile(args.profile_nights, args.seed, args.fault_rate, args.sqlite)
    per_minute = run["nights_per_minute"] or 0
    doc = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}",
        "command": "python -m bench.nights.run " + " ".join(sys.argv[1:]),
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
        "run": run,
        "extrapolated_minutes": round(TARGET_NIGHTS / per_minute) if per_minute else None,
        # This process's CPU time (the service, the fake and the simulator share it; the
        # database server's is not counted): what a night costs when the cores are not shared.
        "cpu_s": round(cpu_s, 1),
        "cpu_s_per_night": round(cpu_s / max(1, run["nights"]), 2),
        "extrapolated_cpu_minutes": round(TARGET_NIGHTS * cpu_s / max(1, run["nights"]) / 60),
        "profile": profile,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "nights.json").write_text(json.dumps(doc, indent=2, default=str) + "\n")
    (RESULTS / "nights.md").write_text(_markdown(doc, chart(result)))
    print((RESULTS / "nights.md").read_text())
    return 0 if not result.failures else 1


if __name__ == "__main__":
    sys.exit(main())
