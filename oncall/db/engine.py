"""The async engine and session factory, with SQLite set up for safe concurrent use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


class DatabaseUnavailable(Exception):
    """The database could not be reached or used; the message says why, without secrets."""


SQLITE_BUSY_SECONDS = 10.0  # how long a transaction waits its turn for SQLite's write lock
CONNECT_SECONDS = 10.0  # how long opening a PostgreSQL connection may take

# The most any one wait inside a transaction may take (a lock, a statement, SQLite's write lock),
# for the work of the current task: set by `waits_limited` around a webhook, so the database gives
# up in time on its own side too, and releases what it holds, when the webhook's deadline passes.
_WAIT_LIMIT: ContextVar[float | None] = ContextVar("oncall_db_wait_limit", default=None)


@contextmanager
def waits_limited(seconds: float) -> Iterator[None]:
    """Within this block (this task), each transaction's waits are limited to `seconds`:
    PostgreSQL's statement_timeout, lock_timeout and idle_in_transaction_session_timeout (SET
    LOCAL, at BEGIN), SQLite's busy_timeout."""
    token = _WAIT_LIMIT.set(seconds)
    try:
        yield
    finally:
        _WAIT_LIMIT.reset(token)


def _milliseconds(seconds: float) -> int:
    return max(1, round(seconds * 1000))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # We issue BEGIN ourselves (below), so the driver must not open transactions on its own.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # The busy timeout first: switching to WAL needs a lock, and without a timeout set a server
    # holding the write lock makes it fail at once ("database is locked"), e.g. for a CLI command.
    cursor.execute(f"PRAGMA busy_timeout={_milliseconds(SQLITE_BUSY_SECONDS)}")
    # Foreign keys are off by default in SQLite; WAL lets readers proceed while one writer writes.
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    # Take the write lock at BEGIN: a transaction that read first and wrote later would otherwise
    # fail with "database is locked" when another writer committed in between (WAL snapshots).
    # SQLite is the single-process demo database, so serialising transactions costs little.
    # A webhook waits for the lock no longer than its limit; everything else the usual time.
    limit = _WAIT_LIMIT.get()
    busy = _milliseconds(SQLITE_BUSY_SECONDS if limit is None else limit)
    connection.exec_driver_sql(f"PRAGMA busy_timeout={busy}")
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _postgres_limits(connection: Any) -> None:
    # Only inside `waits_limited`: one round trip, in the transaction (is_local), so the limits
    # end with it and the pooled connection goes back with the server's defaults.
    limit = _WAIT_LIMIT.get()
    if limit is None:
        return
    ms = _milliseconds(limit)
    connection.exec_driver_sql(
        f"SELECT set_config('statement_timeout', '{ms}', true), "
        f"set_config('lock_timeout', '{ms}', true), "
        f"set_config('idle_in_transaction_session_timeout', '{ms + 1000}', true)"
    )


def make_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An engine for `url`; for SQLite the file's folder is created and pragmas are set."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # One connection: SQLite has one writer at a time anyway, and waiting for the pool wakes
        # the next transaction the moment the last one ends, where SQLite's own busy handler
        # polls with sleeps of up to 100 ms (long tails under a burst of webhooks).
        engine = create_async_engine(
            url, echo=echo, hide_parameters=True, pool_size=1, max_overflow=0, pool_timeout=60
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
        # A connection given up on is closed, not "terminated": with aiosqlite 0.22 a terminate
        # cancelled half way stops the connection's thread while a shielded graceful close still
        # waits on it, and that orphaned task never ends, so shutdown (aiohttp's, or any event
        # loop's) hangs for ever. A close runs the close and the stop through the same queue.
        dialect = engine.dialect
        dialect.has_terminate = False
        dialect.do_terminate = dialect.do_close  # type: ignore[method-assign]
        return engine
    # hide_parameters: an error's message (and a debug log) never carries the values bound to a
    # statement (case notes, names, numbers); the statement itself is enough to find the fault.
    engine = create_async_engine(
        url, echo=echo, hide_parameters=True, pool_pre_ping=True, pool_size=10, max_overflow=10,
        connect_args={"timeout": CONNECT_SECONDS},
    )  # fmt: skip
    event.listen(engine.sync_engine, "begin", _postgres_limits)
    return engine


@dataclass(frozen=True, slots=True)
class Database:
    """One engine and one session factory per app; one session per unit of work."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    @classmethod
    def connect(cls, url: str) -> Database:
        engine = make_engine(url)
        return cls(engine, async_sessionmaker(engine, expire_on_commit=False))

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    async def ping(self) -> None:
        """Run a trivial query; raise DatabaseUnavailable with a clear reason if it fails."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:  # any driver error means "not reachable" to the caller
            raise DatabaseUnavailable(describe_db_error(exc)) from exc

    async def dispose(self) -> None:
        await self.engine.dispose()


def describe_db_error(exc: BaseException) -> str:
    """A one-line reason for a database failure, without the URL or its password."""
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    first = reason[0] if reason else type(exc).__name__
    return f"{type(exc).__name__}: {first}"[:300]
