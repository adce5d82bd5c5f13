"""Whether a person still stands behind what was handed to them (an outcome link, a calendar
feed): an active person whose sign-in user, if they have one, is not disabled."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import Person, User


async def person_in_good_standing(session: AsyncSession, person_id: int) -> Person | None:
    """The person, or None once they are deactivated or their user is disabled."""
    person = await session.get(Person, person_id)
    if person is None or not person.active:
        return None
    disabled = await session.scalar(
        select(User.id).where(User.person_id == person_id, User.active.is_(False))
    )
    return person if disabled is None else None
