"""Users: password hashing (argon2), roles, and API tokens stored only as their SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import ApiToken, Role, User, UserRole
from oncall.domain.errors import NotFound

# argon2id with argon2-cffi's default memory (64 MiB) and passes (3), in one lane: four lanes
# ran four threads at once, so one sign-in's check took both cores of a small server from the
# webhooks beside it for its whole length (issue 13); one lane costs an attacker the same memory
# and passes, and stays above OWASP's minimum (19 MiB, 2 passes, 1 lane). Hashes made with other
# parameters (earlier releases: 4 lanes) are made again at the user's next sign-in.
_hasher = PasswordHasher(parallelism=1)

TOKEN_PREFIX = "oc_"  # noqa: S105  (a prefix that makes leaked tokens easy to spot, not a secret)


class UnknownUser(NotFound):
    """No active user has that name."""


def hash_password(password: str) -> str:
    return str(_hasher.hash(password))


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return bool(_hasher.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    """Whether a hash that was just verified was made with other parameters than today's."""
    try:
        return bool(_hasher.check_needs_rehash(password_hash))
    except InvalidHashError:
        return False  # nothing to make again from: verify_password refused it


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_user(
    *,
    username: str,
    display_name: str,
    password_hash: str,
    roles: Iterable[Role],
    now: datetime,
    person_id: int | None = None,
) -> User:
    """A user ready to add to a session; `password_hash` from `hash_password`."""
    user = User(
        username=username,
        display_name=display_name,
        password_hash=password_hash,
        person_id=person_id,
        active=True,
        created_at=now,
    )
    user.roles = [UserRole(role=role.value) for role in roles]
    return user


async def user_by_name(session: AsyncSession, username: str) -> User:
    user = await session.scalar(select(User).where(User.username == username, User.active))
    if user is None:
        raise UnknownUser(username)
    return user


async def create_api_token(
    session: AsyncSession, *, username: str, name: str, now: datetime
) -> str:
    """Create a token for `username` and return it; only its digest is stored."""
    user = await user_by_name(session, username)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(user_id=user.id, name=name, token_hash=token_digest(token), created_at=now)
    )
    await session.flush()
    return token


async def user_for_token(session: AsyncSession, token: str, *, now: datetime) -> User | None:
    """The active user a bearer token belongs to (and note its use), or None."""
    row = await session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == token_digest(token), ApiToken.revoked_at.is_(None)
        )
    )
    if row is None:
        return None
    user = await session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    row.last_used_at = now
    return user


async def user_by_id(session: AsyncSession, user_id: int) -> User | None:
    """The active user with this id, or None."""
    user = await session.get(User, user_id)
    return user if user is not None and user.active else None


@dataclass(frozen=True, slots=True)
class StoredPassword:
    user_id: int
    password_hash: str


async def stored_password(session: AsyncSession, username: str) -> StoredPassword | None:
    """The password hash of the active user `username`, or None. Checking it is the caller's
    (`PasswordChecker.verify`, off the event loop and with no connection held meanwhile)."""
    row = (
        await session.execute(
            select(User.id, User.password_hash).where(User.username == username, User.active)
        )
    ).first()
    return None if row is None else StoredPassword(row.id, row.password_hash)


async def note_sign_in(
    session: AsyncSession,
    user_id: int,
    *,
    now: datetime,
    renewed: tuple[str, str] | None = None,
) -> User | None:
    """The active user whose password was just checked, with the time noted (None if they were
    disabled meanwhile). `renewed` is (the hash checked, the same password hashed with today's
    parameters): stored unless the password was changed meanwhile. A hash made again is not a
    new password: the user's other sessions go on."""
    user = await user_by_id(session, user_id)
    if user is not None:
        user.last_login_at = now
        if renewed is not None and user.password_hash == renewed[0]:
            user.password_hash = renewed[1]
    return user
