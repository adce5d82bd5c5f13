"""Private calendar subscriptions: a revocable token per person (only its SHA-256 is stored) and
the iCalendar feed of their published shifts that Outlook and Google Calendar poll."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import CalendarToken, Person
from oncall.domain.people import person_in_good_standing
from oncall.domain.rota.ical import ShiftEvent, calendar_document, local_span, tier_words
from oncall.domain.rota.requests import upcoming_shifts

HISTORY = timedelta(days=62)  # past shifts kept in the feed, so a calendar keeps last month
REFRESH = timedelta(hours=6)  # how often a subscribed calendar should fetch the feed again


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def active_token(session: AsyncSession, person_id: int) -> CalendarToken | None:
    found: CalendarToken | None = await session.scalar(
        select(CalendarToken).where(
            CalendarToken.person_id == person_id, CalendarToken.revoked_at.is_(None)
        )
    )
    return found


async def revoke_tokens(session: AsyncSession, person_id: int, *, now: datetime) -> int:
    result = await session.execute(
        update(CalendarToken)
        .where(CalendarToken.person_id == person_id, CalendarToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def new_token(session: AsyncSession, person_id: int, *, now: datetime) -> str:
    """A fresh feed token (shown once); any earlier link of the person stops working."""
    await revoke_tokens(session, person_id, now=now)
    token = secrets.token_urlsafe(32)
    session.add(CalendarToken(person_id=person_id, token_hash=token_digest(token), created_at=now))
    await session.flush()
    return token


async def person_for_token(session: AsyncSession, token: str, *, now: datetime) -> Person | None:
    if not token or len(token) > 100:
        return None
    row = await session.scalar(
        select(CalendarToken).where(
            CalendarToken.token_hash == token_digest(token), CalendarToken.revoked_at.is_(None)
        )
    )
    if row is None:
        return None
    row.last_used_at = now
    # The feed dies with its owner: a deactivated person, or one whose user was disabled.
    return await person_in_good_standing(session, row.person_id)


async def feed(session: AsyncSession, person: Person, *, zone: ZoneInfo, now: datetime) -> str:
    """The person's published shifts from two months ago on, as an iCalendar document.

    Event UIDs are the rota export's (shift and person), so a re-published rota moves an event
    instead of duplicating it; no caller or child details are ever in the feed.
    """
    shifts = await upcoming_shifts(session, person.id, now - HISTORY)
    events = []
    for shift in shifts:
        with_whom = f" With {', '.join(shift.colleagues)}." if shift.colleagues else ""
        events.append(
            ShiftEvent(
                shift.key, person.code, shift.start, shift.end,
                summary=f"On call, {tier_words(shift.tier)}",
                description=f"Shift {shift.key}: {local_span(shift.start, shift.end, zone)}."
                + with_whom,
            )
        )  # fmt: skip
    return calendar_document(
        f"Out-of-hours on call: {person.name}", events, stamp=now, refresh=REFRESH
    )
