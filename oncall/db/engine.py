"""The async engine and session factory, with SQLite set up for safe concurrent use."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from threading import Thread
from typing import Any

import aiosqlite
import asyncpg
from sqlalchemy import event, exc, text
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


def _rollback_and_close(raw: sqlite3.Connection) -> None:
    # Roll back first: a sqlite3 connection closed while a cursor still holds one of its
    # statements is not closed at once but kept as a "zombie" until that cursor is freed (by the
    # garbage collector, when a cancelled task's traceback holds it), and a zombie keeps its
    # open transaction, so SQLite's write lock stayed held and every writer of any process
    # failed "database is locked". A rollback ends the transaction whatever the cursors hold.
    with suppress(sqlite3.Error):  # closed already, or beyond saving: the close frees what it can
        raw.rollback()
    raw.close()


class _SQLiteDriverConnection(aiosqlite.Connection):
    """aiosqlite's connection, closed so that it never keeps SQLite's write lock, and ended
    without handing its thread an event loop's future when it is given up on or collected.

    aiosqlite's `stop()` (which SQLAlchemy's terminate and the connection's `__del__` call)
    gives its thread a future of whatever event loop `get_event_loop()` returns; a loop closed
    before the thread gets to it (a server's at shutdown, a test's) makes the thread fail with
    "Event loop is closed". Here the close (see `_rollback_and_close`) and the end of the thread
    are queued behind whatever the thread is running, with no future: nothing waits, so nothing
    can be cancelled half way.
    """

    async def close(self) -> None:
        if self._connection is None:
            return
        try:
            await self._execute(_rollback_and_close, self._connection)  # type: ignore[no-untyped-call]
        finally:
            self.end_without_waiting()

    def end_without_waiting(self) -> None:
        self._running = False
        raw, self._connection = self._connection, None
        if not self._thread.is_alive():  # never started, or ended: nothing else can use it
            if raw is not None:
                with suppress(sqlite3.Error):  # made in that thread: may refuse this one
                    _rollback_and_close(raw)
            return

        def close_and_stop() -> object:
            if raw is not None:
                _rollback_and_close(raw)  # a no-op if a close already ran
            return _STOP_RUNNING

        _forget_ended_threads()  # a server runs for months: keep only those still running
        _ENDING.add(self._thread)
        self._tx.put_nowait((None, close_and_stop))

    def __del__(self) -> None:
        if self._connection is not None:
            self.end_without_waiting()


# Threads of connections ended without waiting, until they have ended: `Database.dispose` waits
# for them, so that whatever they still run (a statement a cancelled task gave up on, waiting
# for the write lock) answers into an event loop that is still open.
_ENDING: set[Thread] = set()


def _forget_ended_threads() -> None:
    _ENDING.difference_update([t for t in list(_ENDING) if not t.is_alive()])


async def _ended_threads(limit: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while True:
        _forget_ended_threads()
        if not _ENDING or loop.time() >= deadline:
            return
        await asyncio.sleep(0.01)


# What ends an aiosqlite connection's thread: the value its queued call returns.
_STOP_RUNNING: object = getattr(aiosqlite.core, "_STOP_RUNNING_SENTINEL", None)


def _sqlite_terminate(dbapi_connection: Any) -> None:
    # SQLAlchemy's own terminate first awaits a graceful close (shielded) and, cancelled half
    # way, stops the thread under that close, which then never ends and hangs the event loop's
    # shutdown. Ending without waiting cannot be cancelled; the queued close rolls back.
    driver = dbapi_connection._connection
    if isinstance(driver, _SQLiteDriverConnection):
        driver.end_without_waiting()
    else:  # not set up by _sqlite_pragmas (cannot happen): aiosqlite's own way
        driver.stop()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    driver = dbapi_connection._connection
    if type(driver) is aiosqlite.Connection and _STOP_RUNNING is not None:
        driver.__class__ = _SQLiteDriverConnection
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


def _postgres_limits_sql(limit: float) -> str:
    ms = _milliseconds(limit)
    return (
        f"SELECT set_config('statement_timeout', '{ms}', true), "
        f"set_config('lock_timeout', '{ms}', true), "
        f"set_config('idle_in_transaction_session_timeout', '{ms + 1000}', true)"
    )


class _PostgresConnection(asyncpg.Connection):  # type: ignore[misc]
    """asyncpg's connection, sending the limits of `waits_limited` with the transaction's BEGIN.

    Inside `waits_limited` every transaction runs with the limits as SET LOCAL values (so they
    end with it and the pooled connection goes back with the server's defaults). Sent as a
    statement of their own they cost a round trip each time (one a webhook); here they go in
    the same simple query as the BEGIN that SQLAlchemy's asyncpg adapter sends through asyncpg's
    `Transaction.start` (`Connection.execute` with no arguments), run in order by the server.
    """

    async def execute(self, query: str, *args: Any, **kwargs: Any) -> str:
        limit = _WAIT_LIMIT.get()
        if limit is not None and not args and query.startswith("BEGIN"):
            query = f"{query.rstrip().rstrip(';')}; {_postgres_limits_sql(limit)};"
        result: str = await super().execute(query, *args, **kwargs)
        return result


# A pooled PostgreSQL connection idle longer than this is pinged before it is handed out; one
# used more recently is only checked for a close its driver has seen (no round trip). See
# `_postgres_checkout`.
PING_AFTER_IDLE_SECONDS = 1.0
_RETURNED_AT = "oncall_returned_at"


def _postgres_connected(_dbapi_connection: Any, record: Any) -> None:
    record.info.pop(_RETURNED_AT, None)  # a new connection: nothing to ping on its first use


def _postgres_checked_in(_dbapi_connection: Any, record: Any) -> None:
    record.info[_RETURNED_AT] = time.monotonic()


def _postgres_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """The pool's pessimistic check, cheaper than `pool_pre_ping` (which costs three round
    trips on every checkout with asyncpg: BEGIN, an empty query, ROLLBACK).

    A connection the server or a proxy closed (a restart, a failover's pg_terminate_backend, a
    cut) is known to the driver as soon as the event loop has read the close: refused here with
    no round trip. A connection idle in the pool for more than PING_AFTER_IDLE_SECONDS is also
    pinged, as before: a network that dropped it without a word is found only by asking. One
    used within the last second is handed out as it is (HikariCP's "alive bypass window"); if
    it fails anyway, the statement's error invalidates the pool as before. Either refusal here
    invalidates every pooled connection older than it, as a failed pre-ping did."""
    if dbapi_connection.driver_connection.is_closed():
        raise exc.InvalidatePoolError("the connection was closed by the server or the network")
    returned = record.info.get(_RETURNED_AT)
    if returned is None or time.monotonic() - returned <= PING_AFTER_IDLE_SECONDS:
        return
    try:
        dbapi_connection.ping()
    except Exception as error:  # any failure of the ping means "do not use this connection"
        raise exc.InvalidatePoolError(f"the pooled connection did not answer: {error}") from error


def _sqlite_begin_deferred(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


def make_engine(url: str, *, echo: bool = False, reads_only: bool = False) -> AsyncEngine:
    """An engine for `url`; for SQLite the file's folder is created and pragmas are set.

    `reads_only`: its transactions only read (see oncall/db/reading.py); on SQLite they begin
    DEFERRED, take no write lock, and in WAL mode neither block a writer nor wait for one."""
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
        begin = _sqlite_begin_deferred if reads_only else _sqlite_begin_immediate
        event.listen(engine.sync_engine, "begin", begin)
        # A connection given up on (its reset cancelled, or dropped unreturned and collected) is
        # ended without waiting (see _SQLiteDriverConnection). A terminate that awaited a close
        # left the connection open when it was cancelled: it held the write lock until the
        # garbage collector freed it.
        engine.dialect.do_terminate = _sqlite_terminate  # type: ignore[method-assign]
        return engine
    # hide_parameters: an error's message (and a debug log) never carries the values bound to a
    # statement (case notes, names, numbers); the statement itself is enough to find the fault.
    engine = create_async_engine(
        url, echo=echo, hide_parameters=True, pool_size=10, max_overflow=10, pool_use_lifo=True,
        connect_args={"timeout": CONNECT_SECONDS, "connection_class": _PostgresConnection},
    )  # fmt: skip
    pool = engine.sync_engine.pool
    event.listen(pool, "connect", _postgres_connected)
    event.listen(pool, "checkin", _postgres_checked_in)
    event.listen(pool, "checkout", _postgres_checkout)
    return engine


@dataclass(frozen=True, slots=True)
class Database:
    """One engine and one session factory per app; one session per unit of work."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    @classmethod
    def connect(cls, url: str, *, reads_only: bool = False) -> Database:
        engine = make_engine(url, reads_only=reads_only)
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
        if self.is_sqlite:
            await _ended_threads(SQLITE_BUSY_SECONDS + 1)


def describe_db_error(exc: BaseException) -> str:
    """A one-line reason for a database failure, without the URL or its password."""
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    first = reason[0] if reason else type(exc).__name__
    return f"{type(exc).__name__}: {first}"[:300]
