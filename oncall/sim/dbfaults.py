"""The database going wrong under the service: refusing connections, or hanging for seconds.

PostgreSQL: every replica's engine reaches the server through a TCP proxy the simulator owns
(`oncall/sim/proxy.py`), a real boundary: `db-refuse` drops every open connection and refuses
new ones (what clients see while a server restarts or fails over), `db-hang` holds every byte
both ways (a server that stops answering, a network that stalls). The simulator's own reads
(its clock, its checks) go straight to the server.

SQLite has no connection to refuse: the service keeps its one connection to the file open, and
nothing outside the process can turn that away (a file made unreadable only stops new opens,
and not for root). Its real way of hanging is another connection holding the write lock (a
CLI command, a backup, a stuck migration): `db-hang` holds BEGIN IMMEDIATE from a connection of
its own. `db-refuse` is PostgreSQL's alone.

A fault lasts `seconds` of real time (the service's clock stands still while a webhook waits on
its database), then ends by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3

from sqlalchemy.engine import make_url

from oncall.sim.proxy import TcpProxy

DB_FAULTS = ("db-hang", "db-refuse")
# SQLite: no connection to refuse (above); and a replica killed inside the simulator's process
# can leave its SQLite connection open in a write transaction (see docs/simulator.md).
POSTGRES_ONLY = ("db-refuse", "replica-restart")
SQLITE_LOCK_WAIT_S = 30.0  # the lock holder waits this long for the service's transaction


class DatabaseLink:
    """The service's way to its database, and the faults struck on it."""

    def __init__(self, url: str) -> None:
        self.url = url  # what the service's engines connect to
        self.direct_url = url  # what the simulator reads the truth through
        self._proxy: TcpProxy | None = None
        self._faults: set[asyncio.Task[None]] = set()
        self.struck = 0

    @property
    def is_sqlite(self) -> bool:
        return make_url(self.direct_url).get_backend_name() == "sqlite"

    async def start(self) -> None:
        """PostgreSQL: put the proxy between the service and the server."""
        if self.is_sqlite:
            return
        parsed = make_url(self.direct_url)
        self._proxy = TcpProxy([(parsed.host or "127.0.0.1", parsed.port or 5432)])
        port = await self._proxy.start()
        self.url = parsed.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)

    def supports(self, kind: str) -> bool:
        return not (self.is_sqlite and kind in POSTGRES_ONLY)

    @property
    def round_trips(self) -> int | None:
        """The service's requests to PostgreSQL so far (each burst a client wrote before it
        waited: a query, a prepare, a BEGIN, a COMMIT, a pool's ping); None on SQLite."""
        return None if self._proxy is None else self._proxy.client_reads

    @property
    def active(self) -> bool:
        return bool(self._faults)

    def strike(self, kind: str, seconds: float) -> None:
        """Start `kind` now; it ends by itself after `seconds` of real time."""
        if kind not in DB_FAULTS or not self.supports(kind):
            raise ValueError(f"{kind}: not a database fault here")
        self.struck += 1
        task = asyncio.ensure_future(self._hold(kind, seconds))
        self._faults.add(task)
        task.add_done_callback(self._faults.discard)

    async def wait_over(self) -> None:
        """Until every fault struck has ended."""
        if self._faults:
            await asyncio.gather(*self._faults, return_exceptions=True)

    async def _hold(self, kind: str, seconds: float) -> None:
        if self.is_sqlite:
            await self._sqlite_write_lock(seconds)
            return
        proxy = self._proxy
        assert proxy is not None
        if kind == "db-refuse":
            await proxy.cut()
            try:
                await asyncio.sleep(seconds)
            finally:
                await proxy.restore()
        else:
            proxy.stall()
            try:
                await asyncio.sleep(seconds)
            finally:
                proxy.release()

    async def _sqlite_write_lock(self, seconds: float) -> None:
        path = make_url(self.direct_url).database or ""
        holder = await asyncio.to_thread(_take_write_lock, path)
        try:
            await asyncio.sleep(seconds)
        finally:
            await asyncio.to_thread(_let_go, holder)

    async def close(self) -> None:
        for task in list(self._faults):
            task.cancel()
        await self.wait_over()
        if self._proxy is not None:
            await self._proxy.close()


def _take_write_lock(path: str) -> sqlite3.Connection:
    holder = sqlite3.connect(
        path, isolation_level=None, timeout=SQLITE_LOCK_WAIT_S, check_same_thread=False
    )
    holder.execute("BEGIN IMMEDIATE")
    return holder


def _let_go(holder: sqlite3.Connection) -> None:
    with contextlib.suppress(sqlite3.Error):
        holder.execute("ROLLBACK")
    holder.close()
