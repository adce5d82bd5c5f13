"""Server-side sign-in sessions: started at sign-in, looked up on every request, and ended by
signing out, a password or role change, or disabling the user (every session of theirs at once).

The browser's cookie carries a random session id; only its SHA-256 is stored, so a copy of the
table cannot be turned back into a cookie.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import User, UserSession

SESSION_LIFETIME = timedelta(hours=12)


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


async def start_session(session: AsyncSession, user_id: int, *, now: datetime) -> str:
    """A new session of `user_id` for `SESSION_LIFETIME`; return its id (for the cookie only).

    The user's expired sessions are forgotten here, so their rows never pile up."""
    await session.execute(
        delete(UserSession).where(UserSession.user_id == user_id, UserSession.expires_at <= now)
    )
    session_id = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            id_hash=_digest(session_id),
            user_id=user_id,
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    await session.flush()
    return session_id


async def session_user(
    session: AsyncSession, user_id: int, session_id: str, *, now: datetime
) -> User | None:
    """The active user of a live session (the cookie's user id and session id), or None."""
    user: User | None = await session.scalar(
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            UserSession.id_hash == _digest(session_id),
            UserSession.user_id == user_id,
            UserSession.expires_at > now,
            User.active,
        )
    )
    return user


async def end_session(session: AsyncSession, session_id: str) -> None:
    """Sign one browser out: its cookie, and the CSRF token made from it, stop working."""
    await session.execute(delete(UserSession).where(UserSession.id_hash == _digest(session_id)))


async def end_user_sessions(session: AsyncSession, user_id: int) -> int:
    """End every session of a user at once; return how many there were."""
    result = await session.execute(delete(UserSession).where(UserSession.user_id == user_id))
    return int(getattr(result, "rowcount", 0) or 0)


async def forget_expired_sessions(session: AsyncSession, *, now: datetime) -> int:
    result = await session.execute(delete(UserSession).where(UserSession.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)


NOTICE_LENGTH = 300


async def set_notice(session: AsyncSession, session_id: str, notice: str) -> None:
    """Keep `notice` for the next page this session shows (a one-time message)."""
    await session.execute(
        update(UserSession)
        .where(UserSession.id_hash == _digest(session_id))
        .values(notice=notice[:NOTICE_LENGTH])
    )


async def peek_notice(session: AsyncSession, session_id: str) -> str | None:
    """The session's waiting notice, if any, left in place (see clear_notice)."""
    notice: str | None = await session.scalar(
        select(UserSession.notice).where(UserSession.id_hash == _digest(session_id))
    )
    return notice


async def clear_notice(session: AsyncSession, session_id: str, shown: str) -> None:
    """Forget the notice once a page has shown it (unless a newer one replaced it meanwhile)."""
    await session.execute(
        update(UserSession)
        .where(UserSession.id_hash == _digest(session_id), UserSession.notice == shown)
        .values(notice=None)
    )
