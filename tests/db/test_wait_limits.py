"""PostgreSQL: the limits of `waits_limited` hold in each of its transactions, and end with it."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from oncall.db.engine import Database, waits_limited

pytestmark = pytest.mark.postgres

SETTINGS = text(
    "SELECT current_setting('statement_timeout'), current_setting('lock_timeout'), "
    "current_setting('idle_in_transaction_session_timeout')"
)


async def test_each_limited_transaction_has_the_limits_and_the_next_one_not(
    postgres_database: str,
) -> None:
    database = Database.connect(postgres_database)
    try:
        async with database.sessions() as session:
            defaults = tuple((await session.execute(SETTINGS)).one())
        assert defaults[0] != "500ms"
        with waits_limited(0.5):
            for _ in range(2):  # the pooled connection again: set again, in its new transaction
                async with database.sessions() as session:
                    assert tuple((await session.execute(SETTINGS)).one()) == (
                        "500ms", "500ms", "1500ms",
                    )  # fmt: skip
                    await session.commit()
            async with database.sessions() as session:
                with pytest.raises(DBAPIError, match="statement timeout"):
                    await session.execute(text("SELECT pg_sleep(5)"))
        async with database.sessions() as session:  # the same connection, back to the defaults
            assert tuple((await session.execute(SETTINGS)).one()) == defaults
    finally:
        await database.dispose()
