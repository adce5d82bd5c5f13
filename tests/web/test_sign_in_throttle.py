"""The sign-in throttle: parallel guesses, several replicas, strangers' guesses (issue 14: H1, M3,
I3). Each test runs on SQLite and on PostgreSQL, against the real app."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select
from structlog.testing import capture_logs

from oncall.app import create_app
from oncall.clock import ManualClock
from oncall.db.engine import Database
from oncall.db.models import SignInThrottle
from oncall.domain.people import Limit, forget_old_attempts, take_attempt
from oncall.settings import Settings
from tests.support import JERSEY, load_demo_data

ClientFactory = Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]]
Client = TestClient[web.Request, web.Application]
NIGHT = datetime(2027, 1, 8, 23, 0, tzinfo=JERSEY)
RIGHT = "oncall-demo"


def _settings(database: Database) -> Settings:
    url = database.engine.url.render_as_string(hide_password=False)
    return Settings(database_url=url, secret_key="k" * 40)


async def _replica(aiohttp_client: ClientFactory, database: Database, clock: ManualClock) -> Client:
    """One replica of the service (its own app, engine and memory) on the shared database."""
    return await aiohttp_client(create_app(_settings(database), clock=clock))


async def _attempt(
    client: Client, password: str, address: str, *, username: str = "manager", device: str = ""
) -> int:
    """One sign-in through the proxy (loopback, trusted) from `address`, with no cookie but
    `device` (a device cookie's value)."""
    client.session.cookie_jar.clear()
    headers = {"X-Forwarded-For": f"198.51.100.9, {address}"}  # the client's claim, the proxy's
    if device:
        headers["Cookie"] = f"oncall_device={device}"
    async with client.post(
        "/login", data={"username": username, "password": password}, headers=headers,
        allow_redirects=False,
    ) as answer:  # fmt: skip
        await answer.read()
        return answer.status


async def test_parallel_guesses_on_two_replicas_are_counted_before_any_password_is_checked(
    aiohttp_client: ClientFactory, database: Database
) -> None:
    await load_demo_data(database)
    clock = ManualClock(NIGHT)
    replicas = [await _replica(aiohttp_client, database, clock) for _ in range(2)]
    # 40 wrong passwords at once for one user from one address, half to each replica: only the
    # documented 5 are ever checked (401), the rest are refused unchecked (429).
    guesses = [_attempt(replicas[n % 2], f"guess-{n}", "203.0.113.5") for n in range(40)]
    assert Counter(await asyncio.gather(*guesses)) == {401: 5, 429: 35}
    # So the right password, guessed next, is refused too instead of signing the attacker in.
    assert await _attempt(replicas[0], RIGHT, "203.0.113.5") == 429


async def test_a_stranger_s_guesses_do_not_lock_the_user_out(
    aiohttp_client: ClientFactory, database: Database
) -> None:
    await load_demo_data(database)
    client = await _replica(aiohttp_client, database, ManualClock(NIGHT))
    assert [await _attempt(client, "wrong", "203.0.113.5") for _ in range(5)] == [401] * 5
    assert await _attempt(client, RIGHT, "203.0.113.5") == 429  # that address is stopped…
    assert await _attempt(client, RIGHT, "192.0.2.7") == 303  # …the user, elsewhere, is not


async def test_a_browser_that_signed_in_before_keeps_its_own_count(
    aiohttp_client: ClientFactory, database: Database
) -> None:
    await load_demo_data(database)
    client = await _replica(aiohttp_client, database, ManualClock(NIGHT))
    office = "192.0.2.10"  # one address for the whole office (a NAT)
    client.session.cookie_jar.clear()
    async with client.post(
        "/login", data={"username": "manager", "password": RIGHT},
        headers={"X-Forwarded-For": office}, allow_redirects=False,
    ) as first:  # fmt: skip
        assert first.status == 303
        device = first.cookies["oncall_device"]
    assert device["path"] == "/login" and device["httponly"] and device["samesite"] == "Strict"
    # Someone else in the office guesses the manager's password until the address is stopped.
    assert [await _attempt(client, "wrong", office) for _ in range(5)] == [401] * 5
    assert await _attempt(client, RIGHT, office) == 429
    # The manager's own browser counts on its own: a mistyped password, then the right one.
    assert await _attempt(client, "typo", office, device=device.value) == 401
    assert await _attempt(client, RIGHT, office, device=device.value) == 303
    # The cookie is the manager's only: with it, another name counts as a stranger's attempt.
    assert await _attempt(client, RIGHT, office, username="worker", device=device.value) == 429


async def test_guesses_from_many_addresses_slow_the_account_down_but_never_wall_it(
    aiohttp_client: ClientFactory, database: Database
) -> None:
    await load_demo_data(database)
    clock = ManualClock(NIGHT)
    client = await _replica(aiohttp_client, database, clock)
    assert [await _attempt(client, "wrong", f"203.0.113.{n}") for n in range(10)] == [401] * 10
    client.session.cookie_jar.clear()
    async with client.post(
        "/login", data={"username": "manager", "password": RIGHT},
        headers={"X-Forwarded-For": "192.0.2.7"}, allow_redirects=False,
    ) as slowed:  # fmt: skip
        assert slowed.status == 429
        assert slowed.headers["Retry-After"] == "30" and "Wait 30 seconds" in await slowed.text()
    await clock.advance(30)
    assert await _attempt(client, RIGHT, "192.0.2.7") == 303  # 30 seconds, not 15 minutes


async def test_a_failed_sign_in_logs_the_client_s_address_not_the_proxy_s(
    aiohttp_client: ClientFactory, database: Database
) -> None:
    await load_demo_data(database)
    client = await _replica(aiohttp_client, database, ManualClock(NIGHT))
    with capture_logs() as logs:
        assert await _attempt(client, "wrong", "203.0.113.5") == 401
    failed = [entry for entry in logs if entry["event"] == "sign-in failed"]
    assert len(failed) == 1 and failed[0]["client"] == "203.0.113.5"
    assert "127.0.0.1" not in str(failed[0])  # the proxy's (here: the test client's) address


async def test_the_counts_start_again_after_the_window_and_old_ones_are_forgotten(
    database: Database,
) -> None:
    limits = [Limit("client:203.0.113.5", 2)]

    async def take(at: datetime) -> Limit | None:
        async with database.sessions() as session:
            spent = await take_attempt(session, limits, now=at)
            await (session.rollback() if spent else session.commit())
        return spent

    assert [await take(NIGHT), await take(NIGHT)] == [None, None]
    assert await take(NIGHT + timedelta(minutes=14)) == limits[0]
    assert await take(NIGHT + timedelta(minutes=15, seconds=1)) is None  # a new window
    # When a wall and a slow-down are both spent, the user is told the longer wait.
    both = [Limit("client:192.0.2.1", 1), Limit("account:x", 1, spacing=timedelta(seconds=30))]
    async with database.sessions() as session:
        assert await take_attempt(session, both, now=NIGHT) is None
        assert await take_attempt(session, both, now=NIGHT) == both[0]
        await session.rollback()
    # Guesses at made-up names leave a row each; once their window has passed they go.
    async with database.sessions() as session:
        for n in range(50):
            assert await take_attempt(session, [Limit(f"account:guess{n}", 5)], now=NIGHT) is None
        await session.commit()
    async with database.sessions() as session:
        forgotten = await forget_old_attempts(session, now=NIGHT + timedelta(hours=1))
        await session.commit()
        left = await session.scalar(select(func.count()).select_from(SignInThrottle))
    assert forgotten == 51 and left == 0
