"""SQLite: work cancelled while it waits for the write lock leaves nothing holding the lock.

A webhook over its budget is cancelled; if it was waiting in BEGIN IMMEDIATE, that BEGIN goes on
in the driver's thread and takes the lock once it is free. The pooled connection then
could hold the write lock with nobody to end it, and every later transaction of any process
failed with "database is locked" (seen in the night simulator's SQLite runs). The first test
guards that plain case (it does not reproduce the race); the second reproduces, step by step, what
bench/sqlite_cancel found behind the lock that stayed held.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from sqlalchemy import text

from oncall.db.engine import Database, waits_limited


async def _write(database: Database, value: int) -> None:
    async with database.sessions() as session:
        await session.execute(text("INSERT INTO t(v) VALUES (:v)"), {"v": value})
        await session.commit()


async def test_a_cancelled_wait_for_the_write_lock_does_not_keep_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "cancel.db"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE t(v INTEGER)")
    database = Database.connect(f"sqlite+aiosqlite:///{path}")
    other = sqlite3.connect(path, timeout=3, isolation_level=None)
    try:
        await _write(database, 0)  # the pool's one connection is open and idle
        for attempt in range(5):
            other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
            with waits_limited(1.0):
                waiting = asyncio.ensure_future(_write(database, attempt + 1))
                await asyncio.sleep(0.2)  # the write now waits in BEGIN IMMEDIATE
                waiting.cancel()
                await asyncio.gather(waiting, return_exceptions=True)
            other.execute("COMMIT")  # the lock is free: the abandoned BEGIN may take it now
            await asyncio.sleep(0.3)
            # Another process can write (the abandoned BEGIN, if it ran, was ended) ...
            other.execute("BEGIN IMMEDIATE")
            other.execute("COMMIT")
            # ... and so can the service.
            await asyncio.wait_for(_write(database, 100 + attempt), 10)
    finally:
        other.close()
        await database.dispose()
    with sqlite3.connect(path) as check:
        assert check.execute("SELECT count(*) FROM t WHERE v >= 100").fetchone() == (5,)


async def test_a_connection_given_up_on_mid_transaction_releases_the_write_lock(
    tmp_path: Path,
) -> None:
    # What bench/sqlite_cancel found: a task cancelled between a statement and the fetch of its
    # rows leaves a cursor holding the statement, kept alive by the cancellation's traceback. The
    # connection given up on was closed, and sqlite3 keeps a connection closed under a live
    # statement as a "zombie" that keeps its open transaction, so SQLite's write lock stayed
    # held until the garbage collector freed the cursor.
    path = tmp_path / "zombie.db"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE t(v INTEGER)")
        setup.execute("INSERT INTO t(v) VALUES (1), (2)")
    database = Database.connect(f"sqlite+aiosqlite:///{path}")
    other = sqlite3.connect(path, timeout=5, isolation_level=None)
    try:
        async with database.engine.connect() as conn:
            await conn.begin()  # BEGIN IMMEDIATE: this connection holds the write lock
            await conn.execute(text("INSERT INTO t(v) VALUES (3)"))
            raw = await conn.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            pending = await driver.execute("SELECT v FROM t")  # rows never fetched
            await conn.invalidate()  # given up on, as when its task's rollback is cancelled
        # The close is queued on the driver's thread; this waits for it (5 s at most), and
        # failed "database is locked" while the zombie lived.
        other.execute("BEGIN IMMEDIATE")
        other.execute("COMMIT")
        await _write(database, 100)
        del pending
    finally:
        other.close()
        await database.dispose()
    with sqlite3.connect(path) as check:
        assert sorted(v for (v,) in check.execute("SELECT v FROM t")) == [1, 2, 100]
