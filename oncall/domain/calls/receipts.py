"""Webhook receipts: a step Twilio retries is answered with the reply it already got."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import WebhookReceipt


@dataclass(frozen=True, slots=True)
class StoredReply:
    body: str
    content_type: str


_KEY_LENGTH = 200  # the column's width


def receipt_key(key: str) -> str:
    """The key as stored: a key too long for the column keeps its start and ends with its
    digest, so two long keys never collide and the lookup finds what was stored."""
    if len(key) <= _KEY_LENGTH:
        return key
    return f"{key[: _KEY_LENGTH - 65]}#{hashlib.sha256(key.encode()).hexdigest()}"


async def stored_reply(session: AsyncSession, key: str) -> StoredReply | None:
    stored = receipt_key(key)
    row = await session.scalar(select(WebhookReceipt).where(WebhookReceipt.key == stored))
    return StoredReply(row.response_body, row.content_type) if row else None


def remember_reply(
    session: AsyncSession, key: str, body: str, content_type: str, at: datetime
) -> None:
    """Record the reply in the step's own transaction: the step and its receipt commit together."""
    session.add(
        WebhookReceipt(
            key=receipt_key(key), response_body=body, content_type=content_type, created_at=at
        )
    )


async def forget_old_replies(session: AsyncSession, *, now: datetime, keep: timedelta) -> int:
    """Drop receipts older than `keep` (Twilio stops retrying within minutes)."""
    result = await session.execute(
        delete(WebhookReceipt).where(WebhookReceipt.created_at < now - keep)
    )
    return int(getattr(result, "rowcount", 0) or 0)
