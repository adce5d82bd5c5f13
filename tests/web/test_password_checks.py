"""Sign-in's password checks run off the event loop, a bounded number at a time (issue 13,
"Isolation"); past the cap a sign-in is a quick 503 with Retry-After. Against the real app on
SQLite and PostgreSQL, with small real hashers at the `Hasher` boundary (argon2 underneath)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from datetime import datetime

import argon2
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select, update

from oncall.app import create_app
from oncall.clock import ManualClock
from oncall.db.engine import Database
from oncall.db.models import SignInThrottle, User, UserSession
from oncall.domain.people import (
    Argon2Hasher,
    PasswordChecker,
    PasswordChecksBusy,
)
from oncall.settings import Settings, SettingsError, load_settings
from tests.support import JERSEY, load_demo_data

ClientFactory = Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]]
Client = TestClient[web.Request, web.Application]
NIGHT = datetime(2027, 1, 8, 23, 0, tzinfo=JERSEY)
RIGHT = "oncall-demo"
WAIT = 60.0  # generous: the machine running the tests may be busy


class ThreadRecordingHasher(Argon2Hasher):
    """argon2, noting the thread of every check."""

    def __init__(self) -> None:
        self.checks: list[tuple[int, str]] = []  # (thread ident, password)

    def verify(self, password_hash: str, password: str) -> bool:
        self.checks.append((threading.get_ident(), password))
        return super().verify(password_hash, password)


class GateHasher(Argon2Hasher):
    """argon2 whose checks wait until the test opens the gate (so one is surely in progress)."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.gate = threading.Event()

    def verify(self, password_hash: str, password: str) -> bool:
        self.entered.set()
        self.gate.wait(WAIT)
        return super().verify(password_hash, password)


def _settings(database: Database, **extra: int) -> Settings:
    url = database.engine.url.render_as_string(hide_password=False)
    return Settings(database_url=url, secret_key="k" * 40, **extra)  # type: ignore[arg-type]


async def _sign_in(
    client: Client, username: str, password: str, address: str
) -> tuple[int, str | None]:
    client.session.cookie_jar.clear()
    async with client.post(
        "/login", data={"username": username, "password": password},
        headers={"X-Forwarded-For": address}, allow_redirects=False,
    ) as answer:  # fmt: skip
        await answer.read()
        return answer.status, answer.headers.get("Retry-After")


async def test_passwords_are_checked_off_the_event_loop_thread_unknown_names_too(
    aiohttp_client: ClientFactory, database: Database
) -> None:
    await load_demo_data(database)
    hasher = ThreadRecordingHasher()
    app = create_app(_settings(database), clock=ManualClock(NIGHT), hasher=hasher)
    client = await aiohttp_client(app)
    loop_thread = threading.get_ident()  # the test's loop serves the app too
    assert (await _sign_in(client, "manager", RIGHT, "192.0.2.1"))[0] == 303
    assert (await _sign_in(client, "manager", "wrong", "192.0.2.2"))[0] == 401
    assert (await _sign_in(client, "nobody-of-that-name", "guess", "192.0.2.3"))[0] == 401
    # Three checks, the unknown name's included (its cost is spent all the same), none on the
    # loop's thread.
    assert [password for _, password in hasher.checks] == [RIGHT, "wrong", "guess"]
    assert all(thread != loop_thread for thread, _ in hasher.checks)


async def test_past_the_cap_a_sign_in_is_a_503_with_retry_after_and_takes_no_attempt(
    aiohttp_client: ClientFactory, database: Database
) -> None:
    await load_demo_data(database)
    hasher = GateHasher()
    settings = _settings(database, password_check_threads=1, password_check_queue=0)
    client = await aiohttp_client(create_app(settings, clock=ManualClock(NIGHT), hasher=hasher))
    first = asyncio.create_task(_sign_in(client, "manager", RIGHT, "192.0.2.1"))
    try:
        assert await asyncio.to_thread(hasher.entered.wait, WAIT)  # its check is under way
        status, retry_after = await _sign_in(client, "worker", RIGHT, "192.0.2.2")
        assert status == 503
        assert retry_after is not None and int(retry_after) >= 1
    finally:
        hasher.gate.set()
    assert (await first)[0] == 303
    # The refused sign-in counted against nothing: it was never checked.
    async with database.sessions() as session:
        keys = set(await session.scalars(select(SignInThrottle.key)))
    assert not {"client:192.0.2.2", "account:worker"} & keys
    # With the check done, the next sign-in is checked again.
    assert (await _sign_in(client, "worker", RIGHT, "192.0.2.2"))[0] == 303


def _busy(checker: PasswordChecker) -> bool:
    return checker.busy  # (read through a call: the type checker would keep an earlier answer)


async def test_the_checker_refuses_past_threads_and_queue_and_frees_its_places() -> None:
    hasher = GateHasher()
    checker = PasswordChecker(threads=1, queue=1, hasher=hasher, lower_priority=0)
    stored = Argon2Hasher().hash("s3cret")
    try:
        running = asyncio.create_task(checker.verify(stored, "s3cret"))
        waiting = asyncio.create_task(checker.verify(stored, "wrong"))
        await asyncio.to_thread(hasher.entered.wait, WAIT)
        assert _busy(checker)
        with pytest.raises(PasswordChecksBusy) as refused:
            await checker.verify(stored, "s3cret")
        assert refused.value.retry_after >= 1
        hasher.gate.set()
        assert await running is True and await waiting is False
        assert not _busy(checker) and await checker.verify(None, "anything") is False
    finally:
        hasher.gate.set()
        checker.close()


def test_the_password_check_settings_are_validated() -> None:
    settings = load_settings(
        {"ONCALL_PASSWORD_CHECK_THREADS": "3", "ONCALL_PASSWORD_CHECK_QUEUE": "0"}
    )
    assert (settings.password_check_threads, settings.password_check_queue) == (3, 0)
    for name, bad in [
        ("ONCALL_PASSWORD_CHECK_THREADS", "0"),
        ("ONCALL_PASSWORD_CHECK_THREADS", "17"),
        ("ONCALL_PASSWORD_CHECK_THREADS", "two"),
        ("ONCALL_PASSWORD_CHECK_QUEUE", "-1"),
        ("ONCALL_PASSWORD_CHECK_QUEUE", "1001"),
    ]:
        with pytest.raises(SettingsError, match=name) as error:
            load_settings({name: bad})
        assert len(error.value.problems) == 1


async def _hash_of(database: Database, username: str) -> str:
    async with database.sessions() as session:
        stored = await session.scalar(select(User.password_hash).where(User.username == username))
    assert stored is not None
    return stored


async def test_a_hash_of_an_earlier_release_is_made_again_in_one_lane_at_the_next_sign_in(
    aiohttp_client: ClientFactory, database: Database
) -> None:
    """An earlier release hashed with four lanes: four threads a check, both cores of a small
    server (issue 13). A right password made with other parameters is hashed again, once; a
    wrong one changes nothing; the user's other sessions go on."""
    await load_demo_data(database)
    client = await aiohttp_client(create_app(_settings(database), clock=ManualClock(NIGHT)))
    assert (await _sign_in(client, "manager", RIGHT, "192.0.2.1"))[0] == 303  # a session
    assert argon2.extract_parameters(await _hash_of(database, "manager")).parallelism == 1
    four_lanes = argon2.PasswordHasher(parallelism=4).hash(RIGHT)
    async with database.sessions() as session:
        await session.execute(
            update(User).where(User.username == "manager").values(password_hash=four_lanes)
        )
        await session.commit()
    assert (await _sign_in(client, "manager", "not the password", "192.0.2.2"))[0] == 401
    assert await _hash_of(database, "manager") == four_lanes
    assert (await _sign_in(client, "manager", RIGHT, "192.0.2.3"))[0] == 303
    renewed = await _hash_of(database, "manager")
    assert argon2.extract_parameters(renewed).parallelism == 1
    assert argon2.PasswordHasher().verify(renewed, RIGHT)
    assert (await _sign_in(client, "manager", RIGHT, "192.0.2.4"))[0] == 303
    assert await _hash_of(database, "manager") == renewed  # today's parameters: kept as it is
    async with database.sessions() as session:
        sessions = await session.scalar(
            select(func.count())
            .select_from(UserSession)
            .join(User)
            .where(User.username == "manager")
        )
    assert sessions == 3  # a hash made again is not a new password: none was ended
