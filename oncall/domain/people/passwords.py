"""Checking passwords off the event loop, a bounded number at a time.

An argon2 check costs about 100 ms of CPU and 64 MiB (3 passes, one lane: users.py) and releases
the GIL while it works. Run on the event loop, 150 sign-ins at once held a
voice webhook for 17 s (issue 13). So checks run in a few threads of their own, with a lower
scheduling priority (Linux `nice`, which argon2's own lane threads inherit) so that the kernel
prefers the loop's thread; at most `threads` run and `queue` more wait. Past that a sign-in is
refused at once (`PasswordChecksBusy`: the sign-in page answers 503 with Retry-After) instead of
queueing without bound, holding memory and delaying every sign-in behind it. A sign-in reserves
its place on arrival, before the throttle: a flood of sign-ins never reaches the database either
(its connections are the webhooks' too).

A sign-in admitted so still uses the database (the throttle's counters, the user's hash) over
the pool the webhooks use too. `database_turn` lets at most `DATABASE_TURNS` sign-ins hold a
connection at once, each transaction's waits limited to `DATABASE_WAIT_SECONDS`: when the
database is slow, or a table the throttle needs is held, the places admitted cannot take the
whole pool (20 connections on PostgreSQL, fewer than the places) and leave a call waiting for
one to its budget and the fail-safe ring.

`Hasher` is the boundary: argon2 in production, a small real stand-in in tests.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from typing import Protocol

from oncall import cpu
from oncall.db.engine import waits_limited
from oncall.domain.errors import Busy
from oncall.domain.people.users import hash_password, password_needs_rehash, verify_password

CHECK_SECONDS = 0.12  # about one argon2 check on one core, for the Retry-After estimate
DATABASE_TURNS = 2  # sign-ins holding a database connection at once (a turn is a few ms)
DATABASE_WAIT_SECONDS = 5.0  # the most any one wait of a sign-in's transaction may take
# The most a whole turn may take, the wait for a pooled connection included: longer than the
# database's own limits above, so that they end a wait on the database's side first (a turn
# ended here leaves its statement to be cancelled, and the next turn would start meanwhile).
TURN_SECONDS = 2 * DATABASE_WAIT_SECONDS
_NOT_A_PASSWORD = "not a real password"  # noqa: S105  (hashed to check unknown names against)


class Hasher(Protocol):
    """Makes and checks password hashes (blocking: called in the checker's threads)."""

    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...

    def needs_rehash(self, password_hash: str) -> bool: ...


class Argon2Hasher:
    """argon2id, one lane (users.py)."""

    def hash(self, password: str) -> str:
        return hash_password(password)

    def verify(self, password_hash: str, password: str) -> bool:
        return verify_password(password_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        return password_needs_rehash(password_hash)


class PasswordChecksBusy(Busy):
    """Every checking thread is busy and the queue is full; try again in `retry_after` s."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"password checks are busy: retry after {retry_after} s", retry_after)


class PasswordChecker:
    """A bounded pool for password hashing and checking. Call `close` when done."""

    def __init__(
        self,
        *,
        threads: int,
        queue: int,
        hasher: Hasher | None = None,
        lower_priority: int = cpu.LOWER_PRIORITY,
    ) -> None:
        if threads < 1 or queue < 0:
            raise ValueError("a password checker needs a thread at least, and a queue of 0 or more")
        self.threads, self.queue = threads, queue
        self.limit = threads + queue
        self._hasher = hasher or Argon2Hasher()
        self._executor = ThreadPoolExecutor(
            threads, "password-check", initializer=cpu.lower_priority, initargs=(lower_priority,)
        )
        self._taken = 0  # checks running or waiting (only touched on the event loop)
        self._dummy: str | None = None
        self._turns = asyncio.Semaphore(DATABASE_TURNS)

    @property
    def busy(self) -> bool:
        """Whether a check asked for now would be refused."""
        return self._taken >= self.limit

    def retry_after(self) -> int:
        """Seconds until the checks waiting now have most likely run (at least 1)."""
        return max(1, math.ceil(self.limit * CHECK_SECONDS / self.threads))

    @contextmanager
    def reserve(self) -> Iterator[None]:
        """A place in the checks, held until the block ends (a sign-in takes it on arrival,
        before the throttle and the database, and checks within it with `check`); raises
        PasswordChecksBusy at once when none is free."""
        if self.busy:
            raise PasswordChecksBusy(self.retry_after())
        self._taken += 1
        try:
            yield
        finally:
            self._taken -= 1

    @asynccontextmanager
    async def database_turn(self) -> AsyncIterator[None]:
        """A turn at the database for a sign-in holding a place: at most DATABASE_TURNS at
        once, and within one each wait limited to DATABASE_WAIT_SECONDS (the database gives
        up, and lets go, on its own side too), and the whole turn to TURN_SECONDS
        (TimeoutError): the wait for a pooled connection is not the database's to limit, and on
        SQLite (one connection) the periodic jobs queued for it with a write lock held
        elsewhere kept a sign-in 45 s."""
        async with self._turns:
            with waits_limited(DATABASE_WAIT_SECONDS):
                async with asyncio.timeout(TURN_SECONDS):
                    yield

    async def start(self) -> None:
        """Make the stand-in hash checked for unknown names now, in the threads, so that the
        first such sign-in costs the same as the others."""
        if self._dummy is None:
            loop = asyncio.get_running_loop()
            made = await loop.run_in_executor(self._executor, self._hasher.hash, _NOT_A_PASSWORD)
            self._dummy = self._dummy or made

    async def hash(self, password: str) -> str:
        with self.reserve():
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """`check` in a place of its own (PasswordChecksBusy if none is free)."""
        with self.reserve():
            return await self.check(password_hash, password)

    async def check(self, password_hash: str | None, password: str) -> bool:
        """Whether `password` matches, within a place already reserved; with no hash (no such
        user) a check of a made-up hash is spent all the same, in the same threads, so the
        answer's time does not reveal a name."""
        loop = asyncio.get_running_loop()
        if password_hash is None:
            if self._dummy is None:
                await self.start()
            await loop.run_in_executor(
                self._executor, self._hasher.verify, self._dummy or "", password
            )
            return False
        return await loop.run_in_executor(
            self._executor, self._hasher.verify, password_hash, password
        )

    async def renewed(self, password_hash: str, password: str) -> tuple[str, str] | None:
        """Within a place already reserved, after `check` said yes: (the hash, the password
        hashed anew) when the hash was made with other parameters than today's (an earlier
        release's four lanes), else None. Once a user: the next sign-in finds today's."""
        if not self._hasher.needs_rehash(password_hash):
            return None
        loop = asyncio.get_running_loop()
        made = await loop.run_in_executor(self._executor, self._hasher.hash, password)
        return password_hash, made

    def close(self) -> None:
        """Stop the threads; checks still waiting are cancelled."""
        self._executor.shutdown(wait=False, cancel_futures=True)
