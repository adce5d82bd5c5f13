"""Missing-episode tests: the default rules, a police contact taken by a worker, episodes written
through the domain on a known timeline (local Jersey times, chosen by hand)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import (
    Channel,
    Contact,
    ContactStatus,
    Event,
    Line,
    MissingEpisode,
    Person,
)
from oncall.domain.contacts import identify_caller, open_contact
from oncall.domain.missing import (
    Actor,
    MissingConfig,
    missing_config,
    open_episode,
    record_interview,
    record_return,
)
from oncall.settings import DEFAULT_CASE_REFERENCE_PATTERN
from tests.support import JERSEY

RULES: MissingConfig = missing_config(DEFAULT_CASE_REFERENCE_PATTERN, 72)
POLICE = "+441534700201"
WEB = Actor("coordinator", "web")


def local(year: int, month: int, day: int, hh: int, mm: int) -> datetime:
    return datetime(year, month, day, hh, mm, tzinfo=JERSEY)


def jan(day: int, hh: int, mm: int) -> datetime:
    """January 2027: Jersey is on GMT, so local time is UTC."""
    return local(2027, 1, day, hh, mm)


async def person(session: AsyncSession, code: str) -> Person:
    found = await session.scalar(select(Person).where(Person.code == code))
    assert found is not None, code
    return found


async def by_text(session: AsyncSession, code: str) -> Actor:
    worker = await person(session, code)
    return Actor(worker.code, "sms", worker.id)


async def police_contact(
    session: AsyncSession, at: datetime, *, worker: str | None = "sw002", answer_after: int = 30
) -> Contact:
    """A police call at `at` (demo data loaded), taken by `worker` after `answer_after` s."""
    line = await session.scalar(select(Line).where(Line.kind == "police"))
    contact = await open_contact(
        session, channel=Channel.VOICE, line=line, caller_number=POLICE,
        caller=await identify_caller(session, POLICE), provider_sid=None, at=at,
        zone_year=at.astimezone(JERSEY).year,
    )  # fmt: skip
    if worker is not None:
        contact.status = ContactStatus.ANSWERED
        contact.first_rung_at, contact.answered_at = at, at + timedelta(seconds=answer_after)
        contact.handled_by_id = (await person(session, worker)).id
    await session.flush()
    return contact


async def counts(session: AsyncSession) -> tuple[int, int]:
    """(episodes, events): what a refused change must leave as it was."""
    episodes = await session.scalar(select(func.count()).select_from(MissingEpisode))
    events = await session.scalar(select(func.count()).select_from(Event))
    return episodes or 0, events or 0


async def seed_episodes(session: AsyncSession, contact_ids: list[int]) -> list[int]:
    """Two episodes on the audit tests' night (tests/audit/night.py): one still missing from
    contact 1, one back with its interview offered from contact 3. Episode ids."""
    first = await session.get(Contact, contact_ids[0])
    third = await session.get(Contact, contact_ids[2])
    assert first is not None and third is not None
    worker = await by_text(session, "sw002")
    still = await open_episode(
        session, RULES, case_reference="JY-700001", risk="high", by=worker, at=jan(8, 18, 5),
        contact=first, missing_from="home",
    )  # fmt: skip
    back = await open_episode(
        session, RULES, case_reference="JY-700002", risk="low", by=worker, at=jan(8, 23, 5),
        contact=third,
    )  # fmt: skip
    await record_return(
        session, RULES, back.episode, returned_at=jan(9, 2, 0), by=worker, at=jan(9, 2, 0)
    )
    await record_interview(
        session, back.episode.id, step="offered", on=jan(9, 9, 30), by=WEB, at=jan(9, 9, 30)
    )
    return [still.episode.id, back.episode.id]
