"""The sign-in throttle: before a password is checked, one attempt is taken under each of the
request's keys, atomically, in counters every replica shares (a table, not process memory).

Keys and limits (`limits_for`), in the OWASP manner ("device cookies"):
- a browser holding a device cookie for the account (it signed in as that user before) counts
  only against its own device: 5 attempts in 15 minutes, whatever strangers do;
- any other browser counts against its client address, 5 attempts in 15 minutes for all names
  together (a wall for that address only), and against the account: 10 attempts in 15 minutes,
  then one every 30 seconds (a slow-down, never a wall, so nobody can lock the user out).

An attempt that is refused takes nothing. A successful sign-in gives its slot back and clears
the account's and the device's counts; a failed one keeps its slot. So however many guesses
arrive at once, at most 5 are ever checked for a client in a window.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, delete, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import SignInThrottle

WINDOW = timedelta(minutes=15)
ATTEMPTS = 5  # per client address, or per device cookie, in a window
ACCOUNT_ATTEMPTS = 10  # per account from browsers without its device cookie, in a window…
ACCOUNT_SPACING = timedelta(seconds=30)  # …and after those, one attempt this often


@dataclass(frozen=True, slots=True)
class Limit:
    """`allowed` attempts under `key` per `window`; then none (a wall) or, with `spacing`, one
    attempt per `spacing` (a slow-down)."""

    key: str
    allowed: int
    window: timedelta = WINDOW
    spacing: timedelta | None = None
    cleared_by_success: bool = True  # else a success only gives its own slot back


def limits_for(username: str, client: str, device: str | None) -> list[Limit]:
    """The limits an attempt to sign in as `username` counts against.

    `device` is the id in a valid device cookie issued to this username, or None."""
    name = username.lower()
    if device is not None:
        return [Limit(f"device:{device}", ATTEMPTS)]
    return [
        Limit(f"client:{client}", ATTEMPTS, cleared_by_success=False),
        Limit(f"account:{name}", ACCOUNT_ATTEMPTS, spacing=ACCOUNT_SPACING),
    ]


def _insert(session: AsyncSession) -> postgresql.Insert | sqlite.Insert:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(SignInThrottle)
    return sqlite.insert(SignInThrottle)


def _allowed(limit: Limit, now: datetime) -> ColumnElement[bool]:
    """Whether the counter row under `limit.key` lets one more attempt through now."""
    row = SignInThrottle.__table__.c
    allowed = or_(_stale(limit, now), row.attempts < limit.allowed)
    if limit.spacing is not None:
        allowed = or_(allowed, row.last_at <= now - limit.spacing, row.last_at > now)
    return allowed


def _stale(limit: Limit, now: datetime) -> ColumnElement[bool]:
    # A window that has passed starts again; so does one "from the future" (a demo clock that
    # was moved back), which would otherwise hold until the clock caught up.
    row = SignInThrottle.__table__.c
    return or_(row.window_start <= now - limit.window, row.window_start > now)


async def take_attempt(
    session: AsyncSession, limits: Sequence[Limit], *, now: datetime
) -> Limit | None:
    """Take one attempt under every limit and return None, or return a limit that is spent (of
    those, the one with the longest wait, which is what the user is told): then the caller rolls
    back, so a refused attempt takes nothing.

    All the limits in one statement (a round trip of the event loop's, not one each): a
    multi-row upsert with RETURNING, each row's condition its own limit's. The row locks it
    takes make concurrent attempts, in any replica, count one after another; the keys go in one
    order, so two requests never wait for each other's rows in a circle."""
    ordered = sorted({limit.key: limit for limit in limits}.values(), key=lambda each: each.key)
    if not ordered:
        return None
    row = SignInThrottle.__table__.c

    def per_key(condition: Callable[[Limit], ColumnElement[Any]]) -> ColumnElement[Any]:
        if len(ordered) == 1:
            return condition(ordered[0])
        return case(*((row.key == limit.key, condition(limit)) for limit in ordered))

    stale = per_key(lambda limit: _stale(limit, now))
    insert = _insert(session).values(
        [{"key": limit.key, "window_start": now, "attempts": 1, "last_at": now}
         for limit in ordered]
    )  # fmt: skip
    statement = insert.on_conflict_do_update(
        index_elements=[row.key],
        set_={
            "attempts": case((stale, 1), else_=row.attempts + 1),
            "window_start": case((stale, insert.excluded.window_start), else_=row.window_start),
            "last_at": insert.excluded.last_at,
        },
        where=per_key(lambda limit: _allowed(limit, now)),
    ).returning(row.key)
    taken = set((await session.execute(statement)).scalars())
    spent = [limit for limit in ordered if limit.key not in taken]
    return max(spent, key=lambda limit: limit.spacing or limit.window) if spent else None


async def attempt_succeeded(session: AsyncSession, limits: Iterable[Limit]) -> None:
    """The password was right: the client's slot is given back (a success from an address
    does not wipe the guesses made from it at other names); the account's and the device's
    counts start again."""
    cleared = [limit.key for limit in limits if limit.cleared_by_success]
    refunded = [limit.key for limit in limits if not limit.cleared_by_success]
    if cleared:
        await session.execute(delete(SignInThrottle).where(SignInThrottle.key.in_(cleared)))
    if refunded:
        await session.execute(
            update(SignInThrottle)
            .where(SignInThrottle.key.in_(refunded), SignInThrottle.attempts > 0)
            .values(attempts=SignInThrottle.attempts - 1)
        )


async def forget_old_attempts(session: AsyncSession, *, now: datetime) -> int:
    """Drop counters whose window and spacing have passed (guesses at made-up names, mostly)."""
    result = await session.execute(
        delete(SignInThrottle).where(
            SignInThrottle.window_start <= now - WINDOW,
            SignInThrottle.last_at <= now - max(WINDOW, ACCOUNT_SPACING),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
