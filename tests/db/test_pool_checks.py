"""The PostgreSQL pool's check on checkout (oncall/db/engine.py `_postgres_checkout`): a pooled
connection the server has closed is never handed out, with or without a round trip."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy import text

from oncall.db.engine import Database

pytestmark = pytest.mark.postgres


async def _terminate_others(url: str) -> int:
    conn = await asyncpg.connect("postgresql://" + url.split("://", 1)[1])
    try:
        killed: int = await conn.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return killed
    finally:
        await conn.close()


async def _backend(database: Database) -> int:
    async with database.engine.connect() as conn:
        pid: int = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        return pid


async def test_a_connection_the_server_closed_is_replaced_at_once(postgres_database: str) -> None:
    # Used a moment ago (no ping is due), then killed by the server as a failover does: the
    # driver has read the close by the next checkout, which takes a fresh connection instead of
    # failing the statement.
    database = Database.connect(postgres_database)
    try:
        first = await _backend(database)
        assert await _terminate_others(postgres_database) >= 1
        await asyncio.sleep(0.05)  # the event loop reads the server's goodbye
        second = await _backend(database)
        assert second != first
    finally:
        await database.dispose()
