"""What the service asks its database in simulated nights: statements and round trips per webhook.

A few nights of `oncall simulate` on a PostgreSQL database of the run's own (dropped after),
counting every statement SQLAlchemy sends (by its text, and by the service's function that sent
it), the pool's checkouts (each one a ping where the engine pings), BEGINs and COMMITs, and the
round trips the database link saw. Figures only, no timing: what to fold or cut.

Run: .venv/bin/python -m bench.nights.statements [--nights 3] [--fault-rate 0] [--replicas 2]
Prints a markdown summary (copy what matters into bench/results/nights.md).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections import Counter
from typing import Any

import asyncpg
import greenlet  # type: ignore[import-untyped]
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

from bench.scratch import DEFAULT_ADMIN_URL, create_database, drop_database
from oncall.log import configure_logging
from oncall.sim import SimConfig, simulate
from oncall.sim.report import summary

ADMIN = os.environ.get("ONCALL_BENCH_POSTGRES", DEFAULT_ADMIN_URL)
OURS = ("/oncall/", "/integrations/")
SKIP = ("/oncall/db/",)


def _caller() -> str:
    """The service's (or simulator's) innermost function on the stack, across the greenlet
    SQLAlchemy runs its synchronous part in."""
    frame: Any = sys._getframe(2)
    current: Any = greenlet.getcurrent()
    while True:
        while frame is not None:
            name = frame.f_code.co_filename
            if any(o in name for o in OURS) and not any(s in name for s in SKIP):
                short = name.split("/oncall/", 1)[-1] if "/oncall/" in name else name
                return f"{short}:{frame.f_code.co_name}"
            frame = frame.f_back
        current = current.parent if current is not None else None
        if current is None:
            return "?"
        frame = current.gr_frame


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nights", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    configure_logging(level="error")
    logging.getLogger("sqlalchemy.pool").setLevel(logging.CRITICAL)

    statements: Counter[str] = Counter()
    full: set[str] = set()
    callers: Counter[str] = Counter()
    pool: Counter[str] = Counter()
    counting = [False]

    @event.listens_for(Engine, "before_cursor_execute")
    def _statement(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: Any) -> None:
        if counting[0]:
            statements[" ".join(sql.split())[:110]] += 1
            full.add(sql)
            callers[_caller()] += 1

    @event.listens_for(Pool, "checkout")
    def _checkout(*_args: Any) -> None:
        if counting[0]:
            pool["checkouts"] += 1

    begins: Counter[str] = Counter()
    prepared: Counter[str] = Counter()

    @event.listens_for(Pool, "connect")
    def _connect(*_args: Any) -> None:
        if counting[0]:
            pool["new connections"] += 1

    @event.listens_for(Engine, "begin")
    def _begin(_conn: Any) -> None:
        if counting[0]:
            pool["transactions"] += 1
            begins[_caller()] += 1

    # The driver's own requests: a prepare is a round trip of its own (SQLAlchemy keeps 100
    # prepared statements a connection), a simple query one too (BEGIN, COMMIT, ROLLBACK).
    prepare, simple = asyncpg.Connection.prepare, asyncpg.Connection.execute

    async def counted_prepare(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        if counting[0]:
            pool["driver prepares"] += 1
            prepared[" ".join(query.split())[:110]] += 1
        return await prepare(self, query, *args, **kwargs)

    async def counted_execute(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        if counting[0]:
            pool[f"driver simple query {query.split()[0]}"] += 1
        return await simple(self, query, *args, **kwargs)

    asyncpg.Connection.prepare = counted_prepare
    asyncpg.Connection.execute = counted_execute

    config = SimConfig(
        seed=args.seed, nights=args.nights, fault_rate=args.fault_rate, replicas=args.replicas
    )

    async def run() -> Any:
        url, name = await create_database("nights_statements", ADMIN)
        try:
            counting[0] = True
            return await simulate(config, url)
        finally:
            counting[0] = False
            await drop_database(name, ADMIN)

    result = asyncio.run(run())
    figures = summary(result)
    hooks = max(1, result.webhooks)
    total = sum(statements.values())
    print(f"# {len(result.nights)} nights, {result.webhooks} webhooks, load {os.getloadavg()}")
    print(f"statements (all engines, the simulator's own reads too): {total}, "
          f"{total / hooks:.1f} a webhook")  # fmt: skip
    for key, value in pool.items():
        print(f"{key}: {value}, {value / hooks:.2f} a webhook")
    print(f"round trips through the link (the service's): {result.db_round_trips}, "
          f"{figures['db_round_trips_per_webhook']} a webhook")  # fmt: skip
    print(f"failures: {len(result.failures)}; distinct statements: {len(full)}")
    print("\n## Statements by caller\n")
    for name, count in callers.most_common(args.top):
        print(f"{count:7d} {count / hooks:6.2f}  {name}")
    print("\n## Transactions by caller\n")
    for name, count in begins.most_common(args.top):
        print(f"{count:7d} {count / hooks:6.2f}  {name}")
    print("\n## Prepared by text\n")
    for sql, count in prepared.most_common(args.top):
        print(f"{count:7d} {count / hooks:6.2f}  {sql}")
    print("\n## Statements by text\n")
    for sql, count in statements.most_common(args.top):
        print(f"{count:7d} {count / hooks:6.2f}  {sql}")
    return 0 if not result.failures else 1


if __name__ == "__main__":
    sys.exit(main())
