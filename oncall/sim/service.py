"""The service under simulation: N replicas of the app as `oncall serve` builds it, each on its
own port with its own engine, pool and runner, behind a load balancer, and the fake Twilio on a
port of its own (the replicas' REST client talks to it over HTTP, its webhooks go through the
balancer); one manual clock for all.

A replica is killed abruptly (`Service.kill`): its listening socket closed, its connections cut,
every task it started cancelled wherever it is (a pass half done, a webhook half answered), its
memory (fail-safe notes not yet written) lost; then a fresh replica starts on a new port.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gc
import socket
import warnings
import weakref
from collections.abc import AsyncIterator, Coroutine, Generator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy.exc import SAWarning

from integrations.fake_twilio import FakeTwilio, create_fake_app
from integrations.twilio import TwilioTelephony
from oncall import keys
from oncall.app import create_app
from oncall.clock import ManualClock
from oncall.db.engine import Database
from oncall.domain.periodic import Runner
from oncall.settings import Settings
from oncall.sim.dbfaults import DatabaseLink
from oncall.sim.proxy import TcpProxy
from oncall.sim.world import read_directory
from oncall.wiring import webhook_urls

FALLBACK_NUMBER = "+441534700199"
SECRET_KEY = "simulated-nights-" + "k" * 32  # the simulator's own: every replica signs with it
# How often a replica's runner asks whether its database answers again after an outage (the
# "recovery after an outage" job: OUTAGE_SECONDS in oncall/web/background.py).
OUTAGE_SECONDS = 2.0
WEBHOOK_BUDGET_S = 1.5  # the service's webhook budget in the simulator (real time; 5 s default)

# Which replica started the running task: every task a replica's app creates (its request
# handlers, its runner's loops, the work its webhook budget cancels) inherits it.
_REPLICA: contextvars.ContextVar[str | None] = contextvars.ContextVar("sim_replica", default=None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Replica:
    """One instance of the app on its port."""

    name: str
    app: web.Application
    site_runner: web.AppRunner
    port: int
    tasks: weakref.WeakSet[asyncio.Task[Any]] = field(default_factory=weakref.WeakSet)

    @property
    def runner(self) -> Runner:
        return self.app[keys.RUNNER]


@dataclass
class Service:
    """The replicas, the fake Twilio, the database link, and the handles the simulator drives."""

    fake: FakeTwilio
    clock: ManualClock
    direct: Database  # straight to the database, past the link's faults
    link: DatabaseLink
    settings: Settings
    balancer: TcpProxy
    rest_timeout_s: float
    replicas: list[Replica] = field(default_factory=list)
    restarts: int = 0
    _started: int = 0

    def runner(self, index: int = 0) -> Runner:
        return self.replicas[index % len(self.replicas)].runner

    @property
    def database(self) -> Database:
        """Where the simulator reads its truth: PostgreSQL straight, past the proxy; SQLite
        through the first replica's own engine (its one connection: a second writer would
        queue on SQLite's busy wait and make the service's webhooks wait with it)."""
        if self.link.is_sqlite and self.replicas:
            return self.replicas[0].app[keys.DATABASE]
        return self.direct

    def failsafes_pending(self) -> bool:
        """Whether a replica holds fail-safe answers its database has not taken yet."""
        return any(r.app[keys.WEBHOOK_BUDGET].pending() for r in self.replicas)

    def recovery_owed(self, now: datetime) -> list[tuple[int, datetime]]:
        """(replica, due) of each replica owing a provider recovery pass after a database
        outage it saw: due every `OUTAGE_SECONDS` until the database answers (its runner's
        "recovery after an outage" job), then once more `SETTLED` later."""
        owed = []
        for index, replica in enumerate(self.replicas):
            outage = replica.app[keys.WEBHOOK_BUDGET].outage
            if outage.failed_at is not None:
                owed.append((index, now + timedelta(seconds=OUTAGE_SECONDS)))
            elif outage.follow_up is not None:
                owed.append((index, outage.follow_up))
        return owed

    def start_pass(self, index: int, job: str, now: datetime) -> asyncio.Task[object]:
        """One pass of `job` on replica `index`, as a task of that replica (a kill cancels it)."""
        replica = self.replicas[index % len(self.replicas)]
        context = contextvars.copy_context()
        context.run(_REPLICA.set, replica.name)
        coro = replica.runner.run_once(job, now)
        return asyncio.get_running_loop().create_task(coro, context=context)

    async def start_replica(self) -> Replica:
        self._started += 1
        name = f"r{self._started}"
        token = _REPLICA.set(name)
        try:
            replica = await _start_app(name, self.settings, self.clock, self.rest_timeout_s)
        finally:
            _REPLICA.reset(token)
        _REGISTRY[name] = replica.tasks
        return replica

    def _route(self) -> None:
        self.balancer.backends = [("127.0.0.1", r.port) for r in self.replicas]

    async def kill(self, index: int) -> None:
        """Kill replica `index` abruptly and start a fresh one in its place."""
        old = self.replicas[index]
        for site in list(old.site_runner.sites):
            await site.stop()  # no longer listening, as a dead process
        if old.site_runner.server is not None:
            for handler in old.site_runner.server.connections:
                handler.force_close()  # its connections cut mid-request
        old.app[keys.WEBHOOK_BUDGET].failsafes.clear()  # its memory dies with it
        doomed = [t for t in list(old.tasks) if not t.done() and t is not asyncio.current_task()]
        for task in doomed:
            task.cancel()
        await asyncio.gather(*doomed, return_exceptions=True)
        self.replicas[index] = await self.start_replica()
        self._route()
        self.restarts += 1
        # What the operating system frees when a process dies: its sockets and its pool.
        await _release(old)
        # And the connections its cancelled tasks still held: a dead process's sockets close
        # with it; here the garbage collector ends them, now, rather than in the middle of
        # whatever runs next (SQLAlchemy warns about each, as expected for a killed replica).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SAWarning)
            gc.collect()

    async def close(self) -> None:
        for replica in self.replicas:
            await _release(replica)
        self.replicas.clear()


_REGISTRY: dict[str, weakref.WeakSet[asyncio.Task[Any]]] = {}


def _task_factory(
    loop: asyncio.AbstractEventLoop,
    coro: Generator[Any, None, Any] | Coroutine[Any, Any, Any],
    **kwargs: Any,
) -> asyncio.Task[Any]:
    task: asyncio.Task[Any] = asyncio.Task(coro, loop=loop, **kwargs)
    context = kwargs.get("context") or contextvars.copy_context()
    name = context.get(_REPLICA)
    if name is not None and name in _REGISTRY:
        _REGISTRY[name].add(task)
    return task


async def _start_app(
    name: str, settings: Settings, clock: ManualClock, rest_timeout_s: float
) -> Replica:
    telephony = TwilioTelephony(
        account_sid=settings.account_sid,
        auth_token=settings.auth_tokens[0],
        api_base=settings.rest_api_base,
        timeout=rest_timeout_s,
    )
    app = create_app(settings, clock=clock, telephony=telephony)
    site_runner = web.AppRunner(app, access_log=None)
    replica = Replica(name, app, site_runner, 0)
    _REGISTRY[name] = replica.tasks
    await site_runner.setup()
    port = free_port()
    await web.TCPSite(site_runner, "127.0.0.1", port).start()
    replica.port = port
    return replica


async def _release(replica: Replica) -> None:
    with contextlib.suppress(Exception):
        await asyncio.wait_for(replica.site_runner.cleanup(), timeout=30)
    _REGISTRY.pop(replica.name, None)


@contextlib.asynccontextmanager
async def running_service(
    url: str, clock: ManualClock, *, rest_timeout_s: float, replicas: int = 1
) -> AsyncIterator[Service]:
    """`replicas` instances of `create_app` as `oncall serve` builds it, with its escalation
    loops off (the simulator runs their passes itself at each instant it moves the clock to),
    the fake Twilio beside them; PostgreSQL reached through the simulator's proxy."""
    loop = asyncio.get_running_loop()
    previous_factory = loop.get_task_factory()
    loop.set_task_factory(_task_factory)
    fake = FakeTwilio()
    fake_runner = web.AppRunner(create_fake_app(fake), access_log=None)
    await fake_runner.setup()
    fake_port = free_port()
    await web.TCPSite(fake_runner, "127.0.0.1", fake_port).start()
    link = DatabaseLink(url)
    await link.start()
    balancer = TcpProxy([])
    public = f"http://127.0.0.1:{await balancer.start()}"
    settings = Settings(
        database_url=link.url,
        public_url=public,
        telephony="twilio",
        twilio_account_sid=fake.account_sid,
        twilio_auth_token=fake.auth_token,
        twilio_api_base=f"http://127.0.0.1:{fake_port}",
        fallback_number=FALLBACK_NUMBER,
        secret_key=SECRET_KEY,  # one key for every replica: each signs outcome links
        escalation_workers=False,
        chain_verify_minutes=0,
        webhook_budget_seconds=WEBHOOK_BUDGET_S,
    )
    fake.webhooks.new_connection_each = replicas > 1  # so the balancer spreads them
    database = Database.connect(url)
    service = Service(fake, clock, database, link, settings, balancer, rest_timeout_s)
    try:
        for _ in range(replicas):
            service.replicas.append(await service.start_replica())
        service._route()
        await _configure_numbers(service)
        yield service
    finally:
        fake.faults.clear()
        await link.close()  # any fault still held ends: the replicas can shut down
        await service.close()
        await balancer.close()
        await fake.settle(limit_s=30)
        await fake.close()
        await fake_runner.cleanup()
        await database.dispose()
        loop.set_task_factory(previous_factory)


async def _configure_numbers(service: Service) -> None:
    """Point the fake's numbers at the balancer, as an operator would in Twilio's console."""
    urls = webhook_urls(service.settings).number_settings()
    for number in (await read_directory(service.database)).lines.values():
        service.fake.configure_number(number, **urls)
