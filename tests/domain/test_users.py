"""Users: argon2 passwords and API tokens stored only as digests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from oncall.db.engine import Database
from oncall.db.models import ApiToken, Role
from oncall.domain.people import (
    UnknownUser,
    create_api_token,
    hash_password,
    new_user,
    user_for_token,
    verify_password,
)

NOW = datetime(2027, 1, 8, 23, 0, tzinfo=UTC)


async def test_tokens_are_stored_as_digests_and_can_be_revoked(database: Database) -> None:
    async with database.sessions() as session:
        session.add(
            new_user(
                username="ana",
                display_name="Ana",
                password_hash=hash_password("pw"),
                roles=[Role.ADMIN],
                now=NOW,
            )
        )
        await session.flush()
        token = await create_api_token(session, username="ana", name="ci", now=NOW)
        await session.commit()
    async with database.sessions() as session:
        stored = (await session.scalars(select(ApiToken))).one()
        assert token not in stored.token_hash
        user = await user_for_token(session, token, now=NOW)
        assert user is not None and user.username == "ana" and user.role_names == {"admin"}
        assert await user_for_token(session, token + "x", now=NOW) is None
        stored.revoked_at = NOW
        await session.flush()
        assert await user_for_token(session, token, now=NOW) is None
        with pytest.raises(UnknownUser):
            await create_api_token(session, username="bob", name="x", now=NOW)


def test_passwords_are_hashed_with_argon2() -> None:
    user = new_user(
        username="u", display_name="U", password_hash=hash_password("s3cret"), roles=[], now=NOW
    )
    assert user.password_hash.startswith("$argon2")
    assert verify_password(user.password_hash, "s3cret")
    assert not verify_password(user.password_hash, "S3cret")
    assert not verify_password("not a hash", "s3cret")
