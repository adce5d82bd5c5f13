"""Managing users from the command line: create, change a password or roles, disable, list; API
tokens.

Every change is an audit event; no event holds a password, a hash or a token. A password change,
a role change and disabling a user end every session of theirs at once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import ActorType, ApiToken, Person, Role, User, UserRole
from oncall.domain.chain import EventKind, append_event
from oncall.domain.errors import Conflict, Invalid, NotFound
from oncall.domain.people.sessions import end_user_sessions
from oncall.domain.people.users import hash_password, new_user

MIN_PASSWORD_LENGTH = 12
_USERNAME = re.compile(r"[a-z][a-z0-9._-]{1,59}")


class UserInvalid(Invalid):
    """The input is wrong; `field` names the argument or option (`USERNAME`, `--role`, ...)."""


class UserConflict(Conflict):
    """The input is well formed but clashes with what exists (a taken name, a linked person);
    `field` names the argument or option."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class UserNotFound(NotFound):
    """No user (active or not) has that name, or no token has that id."""


def check_username(username: str) -> None:
    if not _USERNAME.fullmatch(username):
        raise UserInvalid(
            "USERNAME", "2 to 60 characters: lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter",
        )  # fmt: skip


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserInvalid("password", f"at least {MIN_PASSWORD_LENGTH} characters")


def parse_roles(names: Sequence[str]) -> list[Role]:
    known = {r.value: r for r in Role}
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise UserInvalid(
            "--role", f"{', '.join(unknown) or 'none given'}: choose from {', '.join(known)}"
        )
    return sorted({known[n] for n in names}, key=list(Role).index)


async def _any_user(session: AsyncSession, username: str) -> User:
    user = await session.scalar(select(User).where(User.username == username))
    if user is None:
        raise UserNotFound(f"no user named {username!r}")
    return user


async def _event(
    session: AsyncSession, at: datetime, kind: EventKind, actor: str, **details: object
) -> None:
    """One audit event (kind third, as the event-kind scan in tests/audit expects)."""
    await append_event(
        session, kind=kind, at=at, actor_type=ActorType.SYSTEM, actor=actor[:80], details=details
    )


async def create_user(
    session: AsyncSession,
    *,
    username: str,
    roles: Sequence[str],
    password: str,
    now: datetime,
    actor: str,
    person_code: str | None = None,
    display_name: str | None = None,
) -> User:
    """A new active user; a worker or manager may be linked to their rota person by code."""
    check_username(username)
    role_list = parse_roles(roles)
    check_password(password)
    if await session.scalar(select(User.id).where(User.username == username)) is not None:
        raise UserConflict("USERNAME", f"a user named {username!r} already exists")
    person = None
    if person_code is not None:
        person = await session.scalar(select(Person).where(Person.code == person_code))
        if person is None:
            raise UserConflict("--person", f"no person with the code {person_code!r}")
        if await session.scalar(select(User.id).where(User.person_id == person.id)) is not None:
            raise UserConflict("--person", f"{person_code} already has a user")
    name = display_name or (person.name if person is not None else username)
    user = new_user(
        username=username, display_name=name[:120], password_hash=hash_password(password),
        roles=role_list, now=now,
        person_id=person.id if person is not None else None,
    )  # fmt: skip
    session.add(user)
    await session.flush()
    await _event(session, now, EventKind.USER_CREATED, actor, username=username,
                 roles=[r.value for r in role_list], person=person_code)  # fmt: skip
    return user


async def change_password(
    session: AsyncSession, *, username: str, password: str, now: datetime, actor: str
) -> User:
    """Set a new password and end every session of the user (whoever knew the old password is
    signed out). API tokens are kept: `revoke_user_tokens` ends those."""
    check_password(password)
    user = await _any_user(session, username)
    user.password_hash = hash_password(password)
    ended = await end_user_sessions(session, user.id)
    await session.flush()
    await _event(session, now, EventKind.USER_PASSWORD_CHANGED, actor, username=username,
                 sessions_ended=ended)  # fmt: skip
    return user


async def set_roles(
    session: AsyncSession, *, username: str, roles: Sequence[str], now: datetime, actor: str
) -> bool:
    """Give a user exactly `roles`; False if they already held them. Every session of the user
    ends, so no page opened under the old roles stays usable."""
    role_list = parse_roles(roles)
    user = await _any_user(session, username)
    before = sorted(user.role_names)
    if before == sorted(r.value for r in role_list):
        return False
    wanted = {r.value for r in role_list}
    user.roles = [r for r in user.roles if r.role in wanted] + [
        UserRole(role=role) for role in role_list if role.value not in before
    ]
    ended = await end_user_sessions(session, user.id)
    await session.flush()
    await _event(session, now, EventKind.USER_ROLES_CHANGED, actor, username=username,
                 roles=[r.value for r in role_list], before=before,
                 sessions_ended=ended)  # fmt: skip
    return True


async def set_user_active(
    session: AsyncSession, *, username: str, active: bool, now: datetime, actor: str
) -> bool:
    """Enable or disable a user; False if it already was. A disabled user cannot sign in, their
    sessions end (enabling them again brings none back), and their API tokens, outcome links and
    calendar feed stop working at the next request (each checks `active`)."""
    user = await _any_user(session, username)
    if user.active == active:
        return False
    user.active = active
    if not active:
        await end_user_sessions(session, user.id)
    await session.flush()
    kind = EventKind.USER_ENABLED if active else EventKind.USER_DISABLED
    await _event(session, now, kind, actor, username=username)
    return True


async def list_users(session: AsyncSession) -> list[User]:
    return list((await session.scalars(select(User).order_by(User.username))).all())


@dataclass(frozen=True, slots=True)
class TokenRow:
    """An API token as listed: never the token or its digest."""

    id: int
    username: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


async def list_tokens(session: AsyncSession, username: str | None = None) -> list[TokenRow]:
    query = select(ApiToken, User.username).join(User, User.id == ApiToken.user_id)
    if username is not None:
        query = query.where(User.username == username)
    rows = (await session.execute(query.order_by(ApiToken.id))).all()
    return [
        TokenRow(t.id, name, t.name, t.created_at, t.last_used_at, t.revoked_at) for t, name in rows
    ]


async def revoke_token(session: AsyncSession, *, token_id: int, now: datetime, actor: str) -> bool:
    """Revoke one token by id; False if it was already revoked."""
    row = await session.get(ApiToken, token_id)
    if row is None:
        raise UserNotFound(f"no API token with id {token_id}")
    if row.revoked_at is not None:
        return False
    row.revoked_at = now
    await session.flush()
    await _event(session, now, EventKind.TOKEN_REVOKED, actor, token=token_id, name=row.name)
    return True


async def revoke_user_tokens(
    session: AsyncSession, *, username: str, now: datetime, actor: str
) -> int:
    """Revoke every live token of a user; return how many."""
    user = await _any_user(session, username)
    result = await session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(ApiToken.id)
    )
    ids = list(result.scalars())
    if ids:
        await _event(session, now, EventKind.TOKEN_REVOKED, actor, tokens=ids, username=username)
    return len(ids)


async def record_token_created(
    session: AsyncSession, *, username: str, name: str, now: datetime, actor: str
) -> None:
    await _event(session, now, EventKind.TOKEN_CREATED, actor, username=username, name=name)
