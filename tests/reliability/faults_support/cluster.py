"""A cluster for fault tests: the fake Twilio on its own port, a balancer, replica processes.

Each replica is `python -m tests.reliability.faults_support.replica`: the real app with its
scheduler and outbox sender loops, on a demo clock that `Cluster.set_clock` moves.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer
from sqlalchemy import select
from sqlalchemy.engine import make_url

from integrations.fake_twilio import FakeTwilio, create_fake_app
from oncall.db.engine import Database
from oncall.db.models import Line, Person
from tests.e2e.conftest import FALLBACK, free_port
from tests.reliability.faults_support.proxy import TcpProxy

ROOT = Path(__file__).parents[3]


@dataclass
class Replica:
    """One service process: its port and log file."""

    name: str
    port: int
    process: asyncio.subprocess.Process
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 30) -> str:
        # Tracebacks are long: the first 300 characters of each line say what happened.
        return "\n".join(
            x[:300] for x in self.log.read_text(errors="replace").splitlines()[-lines:]
        )


async def start_replica(
    name: str, env: dict[str, str], log_dir: Path, *, start: datetime, args: tuple[str, ...]
) -> Replica:
    """Start a replica process; return once it answers /healthz (or fail with its log)."""
    port = free_port()
    log = log_dir / f"replica-{name}.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.reliability.faults_support.replica",
            "--start", start.isoformat(), *args,
            env={**os.environ, **env, "ONCALL_PORT": str(port)}, cwd=ROOT,
            stdout=asyncio.subprocess.DEVNULL, stderr=out,
        )  # fmt: skip
    replica = Replica(name, port, process, log)
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            if process.returncode is not None:
                break
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"{replica.url}/healthz") as response:
                    if response.status == 200:
                        return replica
            await asyncio.sleep(0.1)
    await stop_replica(replica, kill=True)
    raise AssertionError(f"replica {name} did not start:\n{replica.log_tail()}")


async def stop_replica(replica: Replica, *, kill: bool = False) -> None:
    """SIGKILL (`kill`) or SIGTERM, then wait for the process to end."""
    if replica.process.returncode is None:
        replica.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
    try:
        async with asyncio.timeout(15):
            await replica.process.wait()
    except TimeoutError:
        replica.process.kill()
        await replica.process.wait()


async def wait_until(check: Callable[[], Awaitable[bool]], what: str, *, limit_s: float) -> None:
    """Poll `check` every 0.1 s until it is true; fail naming `what` after `limit_s`."""
    deadline = time.monotonic() + limit_s
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {limit_s} s waiting for {what}")
        await asyncio.sleep(0.1)


@dataclass
class Cluster:
    """A fake Twilio on its own port, a load balancer, replicas behind it, and the database."""

    fake: FakeTwilio
    database: Database  # the test's own direct connection, for seeding and checking
    balancer: TcpProxy
    replicas: dict[str, Replica]
    http: aiohttp.ClientSession
    lines: dict[str, str]  # line kind -> number
    phones: dict[str, str]  # person code -> phone
    db_proxy: TcpProxy | None = None
    killed: set[str] = field(default_factory=set)

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.balancer.port}"

    def alive(self) -> list[Replica]:
        return [r for name, r in self.replicas.items() if name not in self.killed]

    async def set_clock(self, at: datetime | None, *names: str, speed: float | None = None) -> None:
        """Move the demo clock of the named replicas (default: every live one) to `at` (None:
        where it is), running at `speed` times real time if given."""
        body: dict[str, object] = {"at": at.isoformat()} if at else {}
        if speed is not None:
            body["speed"] = speed
        for replica in [self.replicas[n] for n in names] if names else self.alive():
            async with self.http.post(f"{replica.url}/demo/clock", json=body) as response:
                assert response.status == 200, await response.text()

    async def kill(self, name: str) -> None:
        """kill -9: no clean-up, no goodbye to the database or to Twilio."""
        self.killed.add(name)
        await stop_replica(self.replicas[name], kill=True)

    async def readyz(self, name: str) -> int:
        async with self.http.get(f"{self.replicas[name].url}/readyz") as response:
            return response.status

    def logs(self) -> str:
        """What a failed test shows: the replicas' last log lines and the fake's errors."""
        errors = "\n".join(f"{e.leg} {e.detail}"[:300] for e in self.fake.errors[:20])
        replicas = "\n".join(f"--- {r.name}\n{r.log_tail()}" for r in self.replicas.values())
        return f"{replicas}\n--- fake Twilio errors\n{errors}"


def replica_env(database_url: str, public_url: str, fake_url: str) -> dict[str, str]:
    return {
        "ONCALL_DATABASE_URL": database_url,
        "ONCALL_TELEPHONY": "fake",  # demo mode: the clock can be set; REST goes to fake_url
        "ONCALL_TWILIO_API_BASE": fake_url,
        "ONCALL_PUBLIC_URL": public_url,
        "ONCALL_HOST": "127.0.0.1",
        "ONCALL_FALLBACK_NUMBER": FALLBACK,
        "ONCALL_ESCALATION_POLL_SECONDS": "0.2",
        "ONCALL_SHIFT_CONFIRM_LEAD_MINUTES": "0",  # no shift texts: only alerts are counted
        "ONCALL_LOG_FORMAT": "json",
        "ONCALL_LOG_LEVEL": "warning",
    }


@contextlib.asynccontextmanager
async def start_cluster(
    database_url: str,
    log_dir: Path,
    *,
    start: datetime,
    replicas: int = 2,
    through_db_proxy: bool = False,
    rest_timeout: float = 10.0,
    extra_env: dict[str, str] | None = None,
    sms_per_minute: int | None = None,
) -> AsyncIterator[Cluster]:
    """The fake Twilio, a balancer and `replicas` processes on `database_url` (already seeded)."""
    database = Database.connect(database_url)
    fake = FakeTwilio()
    fake_server = TestServer(create_fake_app(fake), host="127.0.0.1")
    balancer = TcpProxy([], measure_http=True)
    db_proxy: TcpProxy | None = None
    http = aiohttp.ClientSession()
    started: dict[str, Replica] = {}
    try:
        await fake_server.start_server()
        await balancer.start()
        public_url = f"http://127.0.0.1:{balancer.port}"
        async with database.sessions() as session:
            lines: dict[str, str] = {
                line.kind: line.twilio_number for line in await session.scalars(select(Line))
            }
            phones = {p.code: p.phone for p in await session.scalars(select(Person))}
        for number in lines.values():  # as an operator would in Twilio's console
            fake.configure_number(
                number, voice_url=f"{public_url}/twilio/voice/incoming",
                sms_url=f"{public_url}/twilio/sms/incoming",
                voice_status_callback=f"{public_url}/twilio/voice/status",
            )  # fmt: skip
        url = make_url(database_url)
        if through_db_proxy:
            db_proxy = TcpProxy([(url.host or "127.0.0.1", url.port or 5432)])
            await db_proxy.start()
            url = url.set(host="127.0.0.1", port=db_proxy.port)
        env = replica_env(
            url.render_as_string(hide_password=False), public_url, str(fake_server.make_url(""))
        ) | (extra_env or {})
        args: tuple[str, ...] = ("--rest-timeout", str(rest_timeout))
        if sms_per_minute is not None:
            args += ("--sms-per-minute", str(sms_per_minute))
        names = [chr(ord("a") + i) for i in range(replicas)]
        results = await asyncio.gather(
            *(start_replica(n, env, log_dir, start=start, args=args) for n in names),
            return_exceptions=True,
        )
        started.update({r.name: r for r in results if isinstance(r, Replica)})
        for result in results:
            if isinstance(result, BaseException):
                raise result
        balancer.backends = [("127.0.0.1", r.port) for r in started.values()]
        yield Cluster(fake, database, balancer, started, http, lines, phones, db_proxy)
    finally:
        await asyncio.gather(*(stop_replica(r) for r in started.values()))
        await http.close()
        await balancer.close()
        if db_proxy is not None:
            await db_proxy.close()
        await fake_server.close()
        await database.dispose()
