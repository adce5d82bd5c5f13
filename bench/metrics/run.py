"""/metrics at scale on PostgreSQL: the database read behind a scrape, and a storm of scrapes.

The audit bench's year of data (100,000 contacts, their alerts and 1,000,000 chained events) is
loaded into a database of its own beside ONCALL_BENCH_POSTGRES_URL's (dropped at the end). Then:

* the figures' database read alone (`read_figures`), warm, 20 times (target: under 1 s, well
  inside Prometheus's default 10 s scrape timeout);
* GET /metrics over HTTP when the cache is cold (a read) and warm (no read);
* 200 concurrent scrapes of one replica: how many SQL statements they cost (one read's worth,
  thanks to the single-flight cache) and how long the storm took.

Run: .venv/bin/python -m bench.metrics.run [--contacts 100000] [--events-per-contact 10]
Results: bench/results/metrics.json and metrics.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from sqlalchemy import event

from bench.audit.run import PG_ADMIN, _summary, _zone, populate
from bench.scratch import create_database, drop_database
from oncall import keys
from oncall.app import create_app
from oncall.clock import ManualClock
from oncall.db.engine import Database
from oncall.db.migrate import upgrade
from oncall.domain.metrics import read_figures
from oncall.log import configure_logging
from oncall.settings import Settings
from oncall.web.metrics import CACHE_SECONDS

RESULTS = Path(__file__).resolve().parents[1] / "results"
NOW = datetime(2026, 12, 31, 23, 0, tzinfo=UTC)
TARGETS = {"read_ms": 1000.0}
STORM = 200


async def measure_read(url: str) -> dict[str, Any]:
    db = Database.connect(url)
    samples = []
    try:
        for i in range(22):
            async with db.sessions() as session:
                started = time.perf_counter()
                figures = await read_figures(session, now=NOW, zone=_zone())
                if i >= 2:  # the first two warm the pool and the statement caches
                    samples.append(time.perf_counter() - started)
    finally:
        await db.dispose()
    return {
        **_summary(samples),
        "calls": sum(figures.calls.values()),
        "alerts": figures.alerts_raised,
        "escalation_steps": figures.escalation_steps,
    }


async def measure_http(url: str) -> dict[str, Any]:
    clock = ManualClock(NOW)
    settings = Settings(database_url=url, telephony="fake", escalation_workers=False)
    app = create_app(settings, clock=clock)
    server = TestServer(app)
    await server.start_server()
    statements = 0

    def count(*_args: object) -> None:
        nonlocal statements
        statements += 1

    result: dict[str, Any] = {}
    try:
        event.listen(app[keys.DATABASE].engine.sync_engine, "before_cursor_execute", count)
        metrics_url = str(server.make_url("/metrics"))
        async with ClientSession() as client:

            async def scrape() -> float:
                started = time.perf_counter()
                async with client.get(metrics_url) as answer:
                    await answer.read()
                    assert answer.status == 200
                return time.perf_counter() - started

            cold, warm = [], []
            for _ in range(12):
                await clock.advance(CACHE_SECONDS)
                cold.append(await scrape())
                warm.append(await scrape())
            result["cold scrape (database read)"] = _summary(cold[2:])
            result["warm scrape (cached)"] = _summary(warm[2:])
            await clock.set(clock.now() + timedelta(seconds=CACHE_SECONDS))
            statements = 0
            started = time.perf_counter()
            storm = await asyncio.gather(*(scrape() for _ in range(STORM)))
            result["storm"] = {
                "scrapes": STORM,
                "seconds": round(time.perf_counter() - started, 2),
                "sql_statements": statements,
                "slowest_ms": round(max(storm) * 1000, 1),
            }
    finally:
        await server.close()
    return result


def write_results(results: dict[str, Any]) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "metrics.json").write_text(json.dumps(results, indent=2) + "\n")
    data, read, http = results["data"], results["read"], results["http"]
    storm = http["storm"]
    lines = [
        "# Metrics bench (PostgreSQL)",
        "",
        f"Run {results['run_at']} on {results['machine']}: {data['contacts']:,} contacts, "
        f"{data['events']:,} events, {data['alerts']:,} alerts. `python -m bench.metrics.run`.",
        "",
        f"The machine was shared: load average {results['load_average_1m_before']} before the "
        f"run, {results['load_average_1m_after']} after (2 cores).",
        "",
        "| measurement | median | p95 | target | met |",
        "|---|---|---|---|---|",
        f"| figures' database read alone | {read['median_ms']} ms | {read['p95_ms']} ms "
        f"| {TARGETS['read_ms']:.0f} ms | {'yes' if results['targets_met']['read'] else 'NO'} |",
    ]
    for label in ("cold scrape (database read)", "warm scrape (cached)"):
        lines.append(f"| GET /metrics, {label} | {http[label]['median_ms']} ms "
                     f"| {http[label]['p95_ms']} ms | | |")  # fmt: skip
    lines += [
        "",
        f"- {storm['scrapes']} concurrent scrapes of one replica with a cold cache: "
        f"{storm['sql_statements']} SQL statements in all (one read), {storm['seconds']} s, "
        f"slowest {storm['slowest_ms']} ms.",
        f"- The read saw {read['calls']:,} calls, {read['alerts']:,} alerts and "
        f"{read['escalation_steps']:,} escalation steps.",
        "",
        "Each scrape re-reads the database at most once every "
        f"{CACHE_SECONDS:.0f} s of the service's clock per replica (docs/metrics.md).",
    ]
    (RESULTS / "metrics.md").write_text("\n".join(lines) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--events-per-contact", type=int, default=10)
    parser.add_argument("--no-write", action="store_true", help="print, do not write results")
    args = parser.parse_args()
    configure_logging(level="error")
    load_before = round(os.getloadavg()[0], 2)  # the machine is shared: say how busy it was
    url, name = asyncio.run(create_database("metrics", PG_ADMIN))
    try:
        upgrade(url)
        data = asyncio.run(populate(url, args.contacts, args.events_per_contact))
        print(f"loaded: {data}", flush=True)
        read = asyncio.run(measure_read(url))
        print("read", read, flush=True)
        http = asyncio.run(measure_http(url))
        print(json.dumps(http, indent=1), flush=True)
    finally:
        asyncio.run(drop_database(name, PG_ADMIN))
    results: dict[str, Any] = {
        "run_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        "load_average_1m_before": load_before,
        "load_average_1m_after": round(os.getloadavg()[0], 2),
        "data": data,
        "read": read,
        "http": http,
        "targets": TARGETS,
        "targets_met": {"read": read["median_ms"] < TARGETS["read_ms"]},
    }
    if not args.no_write:
        write_results(results)
    return 0 if all(results["targets_met"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
