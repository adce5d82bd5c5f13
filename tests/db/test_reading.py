"""A worker's long read (the chain's walk, the events CSV) does not hold SQLite's write lock:
the service's writes go on beside it (a webhook's, within its budget)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from oncall.db.engine import Database, waits_limited
from oncall.db.models import SignInThrottle
from oncall.db.reading import connect_for_reading

NOW = datetime(2027, 1, 8, 23, 0, tzinfo=UTC)


async def _count(database: Database) -> int:
    async with database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(SignInThrottle)) or 0)


async def test_a_write_goes_on_while_a_long_read_is_open(db_url: str) -> None:
    reader, service = connect_for_reading(db_url), Database.connect(db_url)
    try:
        async with reader.sessions() as reading:
            seen = await reading.scalar(select(func.count()).select_from(SignInThrottle))
            # The read's transaction is open, as between two batches of a walk; a webhook's
            # write, with its budget's limit on every wait, is not refused for a lock.
            with waits_limited(0.5):
                async with service.sessions() as writing:
                    writing.add(SignInThrottle(key="k", window_start=NOW, attempts=1, last_at=NOW))
                    await writing.commit()
            if reader.is_sqlite:  # a snapshot of its own (PostgreSQL reads each commit)
                again = await reading.scalar(select(func.count()).select_from(SignInThrottle))
                assert again == seen
        assert await _count(service) == (seen or 0) + 1
    finally:
        await reader.dispose()
        await service.dispose()
