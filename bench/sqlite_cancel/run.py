"""SQLite under cancelled work: does anything keep the write lock once the work is gone?

Each round starts 20 writes on the service's engine (a one-connection pool, as the service runs
SQLite), cancels about half of them at random moments (as the webhook budget cancels work that
runs over), sometimes while another process holds the write lock, then asks two things: can
another process take the write lock (`BEGIN IMMEDIATE`, 5 s), and can the service write (15 s)?
A "stuck" round is one where either failed: a cancelled task's connection kept the lock with
nobody to end it (the night simulator's SQLite runs then failed "database is locked" for good,
about one run in three or four). History: 7 stuck rounds of 600 on the engine before the fix of
the "zombie" connection (see bench/results/sqlite-cancel.md and docs/simulator.md), 0 after.

Target: no stuck round. Figures: rounds, stuck rounds, seeds with any.

Run: .venv/bin/python -m bench.sqlite_cancel.run [--seeds 10] [--rounds 60]
Results: bench/results/sqlite-cancel.json and sqlite-cancel.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from oncall.db.engine import Database, waits_limited

RESULTS = Path(__file__).parents[1] / "results"


async def _write(database: Database, value: int, rng: random.Random) -> None:
    with waits_limited(0.3):
        async with database.sessions() as session:
            await session.execute(text("INSERT INTO t(v) VALUES (:v)"), {"v": value})
            await asyncio.sleep(rng.random() * 0.01)
            await session.execute(text("SELECT count(*) FROM t"))
            await session.commit()


async def one_seed(seed: int, rounds: int, folder: Path) -> dict[str, int]:
    path = folder / f"seed{seed}.db"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE t(v INTEGER)")
    rng = random.Random(seed)
    database = Database.connect(f"sqlite+aiosqlite:///{path}")
    other = sqlite3.connect(path, timeout=5, isolation_level=None)
    stuck = other_refused = service_failed = 0
    try:
        for number in range(rounds):
            hold = rng.random() < 0.3
            if hold:
                try:
                    other.execute("BEGIN IMMEDIATE")
                except sqlite3.OperationalError:  # still held since the last round
                    hold = False
            tasks = [asyncio.ensure_future(_write(database, i, rng)) for i in range(20)]
            await asyncio.sleep(rng.random() * 0.05)
            for task in tasks:
                if rng.random() < 0.5:
                    task.cancel()
            await asyncio.sleep(rng.random() * 0.05)
            if hold:
                other.execute("COMMIT")
            await asyncio.gather(*tasks, return_exceptions=True)
            del tasks
            failed = False
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("COMMIT")
            except sqlite3.OperationalError:
                other_refused += 1
                failed = True
            try:
                await asyncio.wait_for(_write(database, -number, rng), 15)
            except Exception:
                service_failed += 1
                failed = True
            stuck += failed
    finally:
        other.close()
        await database.dispose()
    return {"rounds": rounds, "stuck": stuck, "other_refused": other_refused,
            "service_failed": service_failed}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    per_seed = {}
    with tempfile.TemporaryDirectory() as folder:
        for seed in range(1, args.seeds + 1):
            per_seed[seed] = asyncio.run(one_seed(seed, args.rounds, Path(folder)))
            print(f"seed {seed}: {per_seed[seed]}", flush=True)
    total = {k: sum(s[k] for s in per_seed.values()) for k in ("rounds", "stuck", "other_refused",
                                                               "service_failed")}  # fmt: skip
    seeds_stuck = sum(1 for s in per_seed.values() if s["stuck"])
    figures = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "machine":
               f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
               "load_at_start": round(load, 2), "seeds": args.seeds, **total,
               "seeds_with_a_stuck_round": seeds_stuck, "per_seed": per_seed}  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sqlite-cancel.json").write_text(json.dumps(figures, indent=2) + "\n")
    lines = [
        "# SQLite under cancelled work",
        "",
        f"{figures['at']}, {figures['machine']}, load {figures['load_at_start']} at start.",
        f"Command: `python -m bench.sqlite_cancel.run --seeds {args.seeds} --rounds {args.rounds}`",
        "",
        "| figure | value | target |",
        "|---|---|---|",
        f"| rounds | {total['rounds']} | |",
        f"| stuck rounds (another process or the service could not write after) | "
        f"{total['stuck']} | 0 |",
        f"| of which another process refused the lock | {total['other_refused']} | |",
        f"| of which the service's next write failed | {total['service_failed']} | |",
        f"| seeds with a stuck round | {seeds_stuck} of {args.seeds} | 0 |",
        "",
    ]
    (RESULTS / "sqlite-cancel.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
