"""One lock order on PostgreSQL: a DONE text and a voicemail callback for one contact at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from sqlalchemy import select

from oncall.db.engine import Database
from oncall.db.models import Alert, AlertKind, CallerType, Channel, Contact, Line, Person, Tier
from oncall.domain.calls import message_recorded
from oncall.domain.chain import verify_chain
from oncall.domain.contacts import CallerIdentity, open_contact
from oncall.domain.escalation import Command, carry_out, raise_alert
from tests.support import JERSEY, ShiftSpec, load_demo_data, publish_rota

NOW = datetime(2027, 1, 9, 2, 14, tzinfo=UTC)
POLICE = CallerIdentity(CallerType.POLICE, "Police HQ control room", "police")


async def _waiting_for_a_lock(url: str) -> None:
    """Return once some session of this database waits for a row lock."""
    conn = await asyncpg.connect("postgresql://" + url.split("://", 1)[1])
    try:
        for _ in range(3000):
            if await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ):
                return
            await asyncio.sleep(0.01)
        raise AssertionError("nobody waited for a lock")
    finally:
        await conn.close()


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)  # row locks are PostgreSQL's
async def test_done_while_a_voicemail_is_being_recorded_waits_instead_of_deadlocking(
    db_url: str,
) -> None:
    """The voicemail callback holds the contact and changes its alert (missed call → voicemail)
    when it commits; a DONE that locked the alert first and then waited for the contact was a
    deadlock. Contact before alert, everywhere: the DONE waits, then both commit."""
    database = Database.connect(db_url)
    try:
        await load_demo_data(database)
        async with database.sessions() as session:
            # sw002 is the duty worker tonight, so their DONE is theirs to send.
            start = datetime(2027, 1, 8, 17, 0, tzinfo=JERSEY)
            await publish_rota(
                session, "2027-01", [ShiftSpec(start, start + timedelta(hours=16), Tier.WORKER,
                                               ["sw002"])],
            )  # fmt: skip
            line = await session.scalar(select(Line).where(Line.kind == "police"))
            contact = await open_contact(
                session, channel=Channel.VOICE, line=line, caller_number="+441534700201",
                caller=POLICE, provider_sid="CAlockorder", at=NOW, zone_year=2027,
            )  # fmt: skip
            alert = await raise_alert(session, contact, kind=AlertKind.MISSED_CALL, at=NOW)
            await session.commit()
            person = await session.scalar(select(Person).where(Person.code == "sw002"))
        assert person is not None

        async with database.sessions() as voicemail, database.sessions() as done:
            await message_recorded(
                voicemail, contact_id=contact.id, recording_url="https://example.org/r/1",
                seconds=20, at=NOW,
            )  # fmt: skip
            command = Command("DONE", contact.short_ref, "advice given to the officer")

            async def text_done() -> str:
                reply = await carry_out(done, person, command, now=NOW, zone=JERSEY)
                await done.commit()
                return reply

            replying = asyncio.create_task(text_done())
            await asyncio.wait_for(_waiting_for_a_lock(db_url), 30)  # the DONE waits for a lock
            await voicemail.commit()  # a deadlock would fail this commit or the DONE's
            reply = await asyncio.wait_for(replying, 30)

        assert contact.short_ref in reply
        async with database.sessions() as session:
            stored = await session.get(Contact, contact.id)
            closed = await session.get(Alert, alert.id)
            assert stored is not None and stored.recording_url == "https://example.org/r/1"
            assert stored.outcome == "advice_given"
            assert closed is not None and closed.status == "resolved"
            assert closed.kind == "voicemail"
            assert (await verify_chain(session)).ok
    finally:
        await database.dispose()
