"""A TCP proxy in the caller's event loop: a load balancer for replicas, a database link that a
fault cuts or stalls (the simulator's database faults, tests/reliability's)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

Action = Callable[[], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Timing:
    """One HTTP request through the proxy: time from its first byte to its answer's first."""

    method: str
    path: str
    status: int
    seconds: float


@dataclass(slots=True)
class _Exchange:
    """The request in flight on one HTTP/1.1 connection (requests are never pipelined)."""

    started: float | None = None
    method: str = ""
    path: str = ""

    def request_data(self, data: bytes) -> None:
        if self.started is None:
            words = data.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
            if len(words) == 3 and words[2].startswith("HTTP/"):
                self.started, self.method, self.path = time.perf_counter(), words[0], words[1]

    def answer_data(self, data: bytes, timings: list[Timing]) -> None:
        if self.started is not None:
            status = int(data[9:12]) if data.startswith(b"HTTP/") and data[9:12].isdigit() else 0
            path = self.path.split("?", 1)[0]
            timings.append(Timing(self.method, path, status, time.perf_counter() - self.started))
            self.started = None


class TcpProxy:
    """Forwards each connection to the next backend that accepts it (round robin, like nginx).

    `cut()` drops every connection and refuses new ones — what clients see while a database
    server restarts — and `restore()` listens again on the same port. `stall()` holds every
    byte both ways (open connections and new ones) until `release()` — a server or a network
    that hangs. `backends` may be replaced at any time (a replica restarted on another port).
    `tap(pattern, action)` runs `action` once, before forwarding the first client data
    containing `pattern`. With `measure_http`, each HTTP request's time to the first byte of its
    answer is recorded.
    """

    def __init__(self, backends: list[tuple[str, int]], *, measure_http: bool = False) -> None:
        self.backends = list(backends)
        self.port = 0
        self.timings: list[Timing] = []
        self.refused = 0
        # Reads of client data: each a burst the client wrote before waiting for an answer, so
        # for a database link about one round trip (a query, a prepare, a BEGIN or COMMIT).
        self.client_reads = 0
        self._measure = measure_http
        self._taps: list[tuple[bytes, Action]] = []
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._next = 0
        self._flowing = asyncio.Event()
        self._flowing.set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def cut(self) -> None:
        """Stop listening and drop every open connection, both ways, at once."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()

    async def restore(self) -> None:
        await self.start()

    def stall(self) -> None:
        """Hold all traffic, both ways, until `release()`."""
        self._flowing.clear()

    def release(self) -> None:
        self._flowing.set()

    @property
    def stalled(self) -> bool:
        return not self._flowing.is_set()

    def tap(self, pattern: bytes, action: Action) -> None:
        self._taps.append((pattern, action))

    async def close(self) -> None:
        await self.cut()

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        """Each backend once, starting with the next in turn (this connection's own rotation:
        concurrent connections must not skip a live backend by moving a shared index)."""
        first, self._next = self._next, self._next + 1
        for i in range(len(self.backends)):
            host, port = self.backends[(first + i) % len(self.backends)]
            with contextlib.suppress(OSError):
                return await asyncio.open_connection(host, port)
        return None

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        await self._flowing.wait()
        upstream = await self._connect()
        if upstream is None:  # every backend is down: as a proxy with no live upstream
            self.refused += 1
            writer.transport.abort()
            self._writers.discard(writer)
            return
        up_reader, up_writer = upstream
        self._writers.add(up_writer)
        exchange = _Exchange() if self._measure else None
        await asyncio.gather(
            self._pipe(reader, up_writer, exchange, from_client=True),
            self._pipe(up_reader, writer, exchange, from_client=False),
        )
        self._writers -= {writer, up_writer}

    async def _pipe(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        exchange: _Exchange | None,
        *,
        from_client: bool,
    ) -> None:
        try:
            while data := await reader.read(65536):
                if from_client:
                    self.client_reads += 1
                    for tap in [t for t in self._taps if t[0] in data]:
                        self._taps.remove(tap)
                        await tap[1]()
                if exchange is not None and from_client:
                    exchange.request_data(data)
                elif exchange is not None:
                    exchange.answer_data(data, self.timings)
                await self._flowing.wait()
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass  # either side went away: the other is closed below
        finally:
            writer.close()
