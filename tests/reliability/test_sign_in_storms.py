"""Sign-in storms against the admission control and the throttle (issue 13, "Isolation"), probed
as an attacker would: parallel wrong passwords racing the places in the password checks and the
throttle's counters; guesses from many addresses at one account; a slow database while
sign-ins hold their places. The real app on SQLite and PostgreSQL, argon2 underneath a
counting `Hasher`."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable

import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestClient
from sqlalchemy import select, text

from oncall import keys
from oncall.app import create_app
from oncall.clock import ManualClock
from oncall.db.engine import Database
from oncall.db.models import SignInThrottle
from oncall.domain.people.passwords import DATABASE_TURNS
from tests.e2e.conftest import FRIDAY_NIGHT, ServerFactory, Service
from tests.e2e.test_calls import POLICE_CONTROL_ROOM
from tests.reliability.test_webhook_budget import start_budgeted
from tests.support import load_demo_data, lock_waiters
from tests.web.test_password_checks import GateHasher, _settings

ClientFactory = Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]]
Client = TestClient[web.Request, web.Application]
RIGHT = "oncall-demo"
WAIT = 60.0  # generous: the machine running the tests may be busy
TAKE_ATTEMPT = "INSERT INTO sign_in_throttle"  # a sign-in's statement on the throttle's table


class CountingHasher(GateHasher):
    """argon2, counting the checks; each waits for the test's gate, so that the others arrive
    while a check is surely under way and every place is taken."""

    def __init__(self) -> None:
        super().__init__()
        self.checked: list[str] = []

    def verify(self, password_hash: str, password: str) -> bool:
        self.checked.append(password)
        return super().verify(password_hash, password)


async def _guess(client: Client, username: str, password: str, address: str) -> int:
    client.session.cookie_jar.clear()
    async with client.post(
        "/login", data={"username": username, "password": password},
        headers={"X-Forwarded-For": address}, allow_redirects=False,
    ) as answer:  # fmt: skip
        await answer.read()
        if answer.status == 503:
            assert int(answer.headers["Retry-After"]) >= 1
        return answer.status


async def _attempts(database: Database, key: str) -> int:
    async with database.sessions() as session:
        found = await session.scalar(
            select(SignInThrottle.attempts).where(SignInThrottle.key == key)
        )
    return int(found or 0)


async def test_parallel_wrong_passwords_racing_the_places_and_the_throttle_check_five(
    aiohttp_client: ClientFactory, database: Database
) -> None:
    """Wave after wave of wrong passwords for one user from one address, while a check is held:
    whichever answer each gets (checked and wrong, too many, busy), at most the client's 5 are
    ever checked, the refused ones take nothing, and the right password then is refused too."""
    await load_demo_data(database)
    hasher = CountingHasher()
    settings = _settings(database, password_check_threads=1, password_check_queue=3)
    client = await aiohttp_client(create_app(settings, clock=ManualClock(FRIDAY_NIGHT),
                                             hasher=hasher))  # fmt: skip
    statuses: Counter[int] = Counter()
    first = asyncio.create_task(_guess(client, "manager", "guess-0", "203.0.113.5"))
    assert await asyncio.to_thread(hasher.entered.wait, WAIT)  # a check is under way
    wave = [asyncio.create_task(_guess(client, "manager", f"guess-{n}", "203.0.113.5"))
            for n in range(1, 60)]  # fmt: skip
    # Past the places (1 checking, 3 waiting) the rest are answered at once, the check held.
    for _ in range(int(WAIT * 20)):
        if sum(task.done() for task in wave) >= len(wave) - 3:
            break
        await asyncio.sleep(0.05)
    assert sum(task.done() for task in wave) == len(wave) - 3
    hasher.gate.set()
    statuses.update(await asyncio.gather(*wave))
    statuses[await first] += 1
    for round_ in range(3):  # and again, once the places are free
        again = [_guess(client, "manager", f"again-{round_}-{n}", "203.0.113.5") for n in range(30)]
        statuses.update(await asyncio.gather(*again))
    assert set(statuses) <= {401, 429, 503}, statuses
    assert statuses[503] > 0  # the places were full: some were refused before the throttle
    assert len(hasher.checked) == statuses[401] == 5, (hasher.checked, statuses)
    assert await _attempts(database, "client:203.0.113.5") == 5
    assert await _guess(client, "manager", RIGHT, "203.0.113.5") == 429
    assert len(hasher.checked) == 5


async def test_parallel_guesses_from_many_addresses_check_the_account_s_ten(
    aiohttp_client: ClientFactory, database: Database
) -> None:
    """A botnet: 80 addresses guess one user's password at once. The account's count (10, then
    one every 30 s of the service's clock, which stands still here) bounds the checks."""
    await load_demo_data(database)
    hasher = CountingHasher()
    hasher.gate.set()
    settings = _settings(database, password_check_threads=2, password_check_queue=20)
    client = await aiohttp_client(create_app(settings, clock=ManualClock(FRIDAY_NIGHT),
                                             hasher=hasher))  # fmt: skip
    statuses: Counter[int] = Counter()
    for wave in range(4):
        guesses = [_guess(client, "manager", f"g{wave}-{n}", f"198.51.100.{wave * 20 + n + 1}")
                   for n in range(20)]  # fmt: skip
        statuses.update(await asyncio.gather(*guesses))
    assert set(statuses) <= {401, 429, 503}, statuses
    assert len(hasher.checked) == statuses[401] == 10, (len(hasher.checked), statuses)
    assert await _attempts(database, "account:manager") == len(hasher.checked)


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)  # the pool is PostgreSQL's
async def test_sign_ins_stuck_on_a_slow_database_leave_connections_for_the_calls(
    aiohttp_server: ServerFactory, database: Database
) -> None:
    """The throttle's table is held (a slow or stuck database) while 30 sign-ins arrive: each
    holds its place and waits; only DATABASE_TURNS of them hold a connection meanwhile, so a
    call that arrives gets the ring-round, not the fail-safe a pool emptied by sign-ins would
    give it once its budget ran out. When the table is let go the sign-ins are answered."""
    service: Service = await start_budgeted(aiohttp_server, database)
    async with database.engine.connect() as holder:
        await holder.begin()
        await holder.execute(text("LOCK TABLE sign_in_throttle IN ACCESS EXCLUSIVE MODE"))
        async with ClientSession() as http:

            async def sign_in(n: int) -> int:
                async with http.post(
                    service.url("/login"),
                    data={"username": f"nobody{n}", "password": "guess"},
                    headers={"X-Forwarded-For": f"192.0.2.{n + 1}"}, allow_redirects=False,
                ) as answer:  # fmt: skip
                    await answer.read()
                    return answer.status

            signing_in = [asyncio.create_task(sign_in(n)) for n in range(30)]
            for _ in range(int(WAIT * 10)):  # until the turns wait on the lock
                if await lock_waiters(database, TAKE_ATTEMPT) >= DATABASE_TURNS:
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(0.5)  # every other sign-in has had its chance at the pool
            # (the service's hourly prune of the throttle's rows may wait on the lock too)
            assert await lock_waiters(database, TAKE_ATTEMPT) == DATABASE_TURNS
            params = {"CallSid": "CA" + "9" * 32, "From": POLICE_CONTROL_ROOM,
                      "To": service.lines["police"], "CallStatus": "ringing"}  # fmt: skip
            headers = {"X-Twilio-Signature": service.signature("/twilio/voice/incoming", params)}
            async with http.post(
                service.url("/twilio/voice/incoming"), data=params, headers=headers
            ) as answer:
                assert answer.status == 200
                body = await answer.text()
            assert "/twilio/voice/failsafe" not in body, body  # the ring-round:
            assert "<Number url=" in body or "/twilio/voice/whisper" in body, body
            await holder.rollback()
            statuses = Counter(await asyncio.gather(*signing_in))
    # Answered once the table was let go (401: no such user), or, for a turn that waited on
    # the lock past DATABASE_WAIT_SECONDS on a slow machine, "busy, try again": never a 500.
    assert set(statuses) <= {401, 503} and statuses[401] > 0, statuses
    assert service.app[keys.PASSWORDS].busy is False


async def test_a_sign_in_that_waits_too_long_for_the_database_is_busy_not_an_error(
    aiohttp_client: ClientFactory, database: Database
) -> None:
    """Another transaction holds what the throttle needs (PostgreSQL: its table; SQLite: the
    write lock) for longer than a sign-in's waits may take: the sign-in is "busy, try again"
    (503 with Retry-After), its connection given back, and the next one after is checked."""
    await load_demo_data(database)
    hasher = CountingHasher()
    hasher.gate.set()
    client = await aiohttp_client(create_app(_settings(database), clock=ManualClock(FRIDAY_NIGHT),
                                             hasher=hasher))  # fmt: skip
    async with database.engine.connect() as holder:
        await holder.begin()  # SQLite: BEGIN IMMEDIATE, the write lock (oncall/db/engine.py)
        if not database.is_sqlite:
            await holder.execute(text("LOCK TABLE sign_in_throttle IN ACCESS EXCLUSIVE MODE"))
        assert await _guess(client, "manager", "guess", "203.0.113.9") == 503
        await holder.rollback()
    assert hasher.checked == []
    assert await _guess(client, "manager", RIGHT, "203.0.113.9") == 303


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # a pool of one connection
async def test_a_sign_in_that_cannot_get_a_connection_is_busy_not_an_error(
    aiohttp_client: ClientFactory, database: Database
) -> None:
    """The server's only SQLite connection is taken (the periodic jobs queue for it while
    another process holds the write lock): the sign-in's turn ends with "busy, try again"
    (503) instead of waiting out the pool's own minute and then failing with a 500."""
    await load_demo_data(database)
    hasher = CountingHasher()
    hasher.gate.set()
    client = await aiohttp_client(create_app(_settings(database), clock=ManualClock(FRIDAY_NIGHT),
                                             hasher=hasher))  # fmt: skip
    async with client.app[keys.DATABASE].engine.connect():
        assert await _guess(client, "manager", RIGHT, "203.0.113.9") == 503
    assert hasher.checked == []
    assert await _guess(client, "manager", RIGHT, "203.0.113.9") == 303
