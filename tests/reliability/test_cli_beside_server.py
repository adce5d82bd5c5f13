"""SQLite: a command run beside a working server waits its turn for the write lock (up to
SQLITE_BUSY_SECONDS, oncall/db/engine.py) instead of failing with "database is locked"."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
import time
from pathlib import Path

from oncall.db.engine import SQLITE_BUSY_SECONDS

HELD_S = 3.0  # well inside the limit, long enough that the command meets the lock


async def test_a_command_waits_for_the_server_s_write_transaction(sqlite_url: str) -> None:
    assert HELD_S < SQLITE_BUSY_SECONDS
    path = sqlite_url.split(":///", 1)[1]
    server = sqlite3.connect(path, isolation_level=None)  # the working server's connection
    server.execute("BEGIN IMMEDIATE")  # its write transaction, open
    server.execute("UPDATE users SET username = username")
    env = {**os.environ, "ONCALL_DATABASE_URL": sqlite_url, "ONCALL_LOG_LEVEL": "error"}
    started = time.monotonic()
    command = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "oncall", "user", "list",
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        cwd=Path(__file__).parents[2],
    )  # fmt: skip
    await asyncio.sleep(HELD_S)
    waiting = command.returncode is None
    assert waiting  # still waiting its turn
    server.execute("COMMIT")
    server.close()
    _out, err = await asyncio.wait_for(command.communicate(), 60)
    assert command.returncode == 0, err.decode()
    assert b"database is locked" not in err
    assert time.monotonic() - started >= HELD_S  # it did wait for the lock


async def test_the_chain_is_verified_while_the_server_holds_the_write_lock(
    sqlite_url: str,
) -> None:
    """`oncall audit verify` only reads: it takes no write lock, so it neither waits for the
    server's write transaction nor (for a long walk) holds up every call's first write."""
    path = sqlite_url.split(":///", 1)[1]
    server = sqlite3.connect(path, isolation_level=None)
    server.execute("BEGIN IMMEDIATE")  # held until the command has finished
    server.execute("UPDATE users SET username = username")
    env = {**os.environ, "ONCALL_DATABASE_URL": sqlite_url, "ONCALL_LOG_LEVEL": "error"}
    try:
        command = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "oncall", "audit", "verify",
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            cwd=Path(__file__).parents[2],
        )  # fmt: skip
        out, err = await asyncio.wait_for(command.communicate(), 60)
    finally:
        server.execute("ROLLBACK")
        server.close()
    assert command.returncode == 0, err.decode()
    assert b"chain verified" in out
