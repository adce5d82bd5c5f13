"""A webhook's work that met a dead pooled connection runs once more, within its budget; work the
database refused is not repeated (oncall/web/twilio/budget.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError

from oncall.clock import ManualClock
from oncall.web.twilio.budget import WebhookBudget

NIGHT = datetime(2027, 1, 8, 23, 0, tzinfo=UTC)


class DriverError(Exception):
    """What a driver raises, with PostgreSQL's SQLSTATE as asyncpg's adapter carries it."""

    def __init__(self, sqlstate: str | None) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


def _error(sqlstate: str | None = None, *, invalidated: bool = False) -> DBAPIError:
    return DBAPIError("SELECT 1", None, DriverError(sqlstate), connection_invalidated=invalidated)


class Work:
    """Fails with each of `errors` in turn, then answers."""

    def __init__(self, *errors: Exception) -> None:
        self.errors, self.tries = list(errors), 0

    async def __call__(self) -> str:
        self.tries += 1
        if self.errors:
            raise self.errors.pop(0)
        return "answered"


@pytest.mark.parametrize(
    "lost",
    [
        _error(invalidated=True),  # the pool saw the connection closed under the statement
        _error("57P01"),  # admin shutdown: a failover's pg_terminate_backend
        _error("08006"),  # connection failure
    ],
    ids=["invalidated", "admin-shutdown", "connection-failure"],
)
async def test_work_that_met_a_dead_connection_runs_once_more(lost: DBAPIError) -> None:
    work = Work(lost)
    assert await WebhookBudget(5.0, ManualClock(NIGHT)).run(work) == "answered"
    assert work.tries == 2


async def test_a_second_dead_connection_is_the_failure_reply_s_to_answer() -> None:
    work = Work(_error("57P01"), _error("57P01"))
    with pytest.raises(DBAPIError):
        await WebhookBudget(5.0, ManualClock(NIGHT)).run(work)
    assert work.tries == 2


@pytest.mark.parametrize(
    "refused",
    [
        IntegrityError("INSERT", None, DriverError("23505")),  # the same step, committed elsewhere
        _error("57014"),  # a statement timeout: the database answered, and is slow
        _error("55P03"),  # a lock not available within the limit
        _error(None),  # SQLite's "database is locked" carries no SQLSTATE
    ],
    ids=["unique", "statement-timeout", "lock-timeout", "no-sqlstate"],
)
async def test_work_the_database_refused_is_not_repeated(refused: DBAPIError) -> None:
    work = Work(refused)
    with pytest.raises(DBAPIError):
        await WebhookBudget(5.0, ManualClock(NIGHT)).run(work)
    assert work.tries == 1
