"""The monthly report's extra figures: outcomes by category and day-team follow-ups."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import Contact


async def outcome_counts(
    session: AsyncSession, *, start: datetime, end: datetime
) -> dict[str, int]:
    """How many contacts received in [start, end) ended in each outcome ("none" for open ones)."""
    rows = await session.execute(
        select(Contact.outcome, func.count())
        .where(Contact.received_at >= start, Contact.received_at < end)
        .group_by(Contact.outcome)
    )
    return dict(sorted((outcome or "none", count) for outcome, count in rows.all()))
