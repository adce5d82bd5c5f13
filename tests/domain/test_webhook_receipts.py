"""Webhook receipts: a retried step finds the reply it got, however long its key."""

from __future__ import annotations

from datetime import UTC, datetime

from oncall.db.engine import Database
from oncall.domain.calls import receipt_key, remember_reply, stored_reply

AT = datetime(2027, 1, 8, 23, 0, tzinfo=UTC)


async def test_a_key_longer_than_the_column_is_found_again_and_kept_apart(
    database: Database,
) -> None:
    long_key = "voice:status:" + "x" * 60_000 + ":completed"
    other = "voice:status:" + "x" * 60_000 + ":busy"  # the same first 200 characters
    async with database.sessions() as session:
        remember_reply(session, long_key, "<Response/>", "application/xml", AT)
        await session.commit()
    async with database.sessions() as session:
        found = await stored_reply(session, long_key)
        assert found is not None and found.body == "<Response/>"
        assert await stored_reply(session, other) is None
        remember_reply(session, other, "<Response><Hangup/></Response>", "application/xml", AT)
        await session.commit()  # no clash with the first key's receipt
    assert len(receipt_key(long_key)) == 200 and receipt_key("short") == "short"
