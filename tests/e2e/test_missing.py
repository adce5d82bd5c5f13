"""A child missing from care, end to end through the fake Twilio (issue 17's "done when"): the
police call at 23:10, the worker texts MISSING, the senior manager is texted, FOUND at 02:40, the
morning pack lists the return with its interview due three days later, the day team marks it
offered, and the dashboard's figures equal the ones worked out by hand. Bad input changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from oncall import keys
from oncall.clock import ManualClock
from oncall.db.engine import Database
from oncall.db.models import (
    Alert,
    Event,
    MissingEpisode,
    OutboundMessage,
    Person,
    ReferenceCounter,
)
from oncall.domain.chain import verify_chain
from oncall.domain.missing import Actor, dashboard, gather_pack, record_interview
from tests.e2e.conftest import ServerFactory, Service
from tests.e2e.test_calls import POLICE_CONTROL_ROOM
from tests.e2e.test_escalation_support import escalation_service, texts_to, tick
from tests.support import JERSEY

CALLED = datetime(2027, 1, 8, 23, 10, tzinfo=JERSEY)  # Friday; Jersey is on GMT in January
CASE = "JY-204871"


@pytest.fixture
async def service(aiohttp_server: ServerFactory, database: Database) -> Service:
    async with database.sessions() as session:  # so tonight's first contact is 0042
        session.add(ReferenceCounter(year=2027, last=41))
        await session.commit()
    return await escalation_service(aiohttp_server, database, ManualClock(CALLED))


async def _text(service: Service, code: str, body: str) -> str:
    (reply,) = await service.fake.send_inbound_sms(
        from_=service.phones[code], to=service.lines["police"], body=body
    )
    return reply.body


async def _at(service: Service, when: datetime) -> None:
    await service.clock.advance((when - service.clock.now()).total_seconds())


async def _state(service: Service) -> tuple[object, ...]:
    """The episodes as stored, and how many events, alerts and texts: what bad input must leave
    alone (the background chain verification's own `audit.verified` events aside)."""
    async with service.database.sessions() as session:
        episodes = (await session.execute(select(MissingEpisode.__table__))).all()
        events = await session.scalar(
            select(func.count()).select_from(Event).where(Event.kind != "audit.verified")
        )
        alerts = await session.scalar(select(func.count()).select_from(Alert))
        texts = await session.scalar(select(func.count()).select_from(OutboundMessage))
    return episodes, events, alerts, texts


async def test_a_night_of_a_child_missing_from_care(service: Service) -> None:
    trace = await service.fake.place_inbound_call(
        from_=POLICE_CONTROL_ROOM, to=service.lines["police"]
    )  # nobody on duty answers in time: a missed call, and an alert texts the duty worker
    await service.fake.settle()
    assert trace.errors == []
    await tick(service)
    assert texts_to(service, "sw002")[0].startswith("OOH-0042 Police HQ call missed 23:10.")

    await _at(service, CALLED + timedelta(minutes=4))
    assert (await _text(service, "sw002", "ACK 0042")).startswith("0042 acknowledged by you")
    await _at(service, CALLED + timedelta(minutes=10))
    async with service.database.sessions() as session:
        manager = await session.scalar(select(Person).where(Person.code == "sm002"))
        worker = await session.scalar(select(Person).where(Person.code == "sw002"))
    assert manager is not None and worker is not None
    reply = await _text(service, "sw002", f"MISSING 0042 {CASE} high")
    assert reply == (
        f"0042: missing episode recorded, HIGH risk, reported 23:10. {manager.name} (senior "
        "manager) alerted. Reply FOUND 0042 when back."
    )
    await tick(service)  # the senior manager on call is texted at once
    (to_manager,) = texts_to(service, "sm002")
    assert to_manager.startswith(
        f"OOH-0042 Police HQ missing child, HIGH RISK, worker {worker.name} 23:10."
    )
    assert to_manager.endswith("Reply ACK 0042")
    assert (await _text(service, "sm002", "ACK 0042")).startswith("0042 acknowledged by you")

    await _at(service, datetime(2027, 1, 9, 2, 40, tzinfo=JERSEY))
    found = await _text(service, "sw002", "FOUND 0042")
    assert found == (
        "0042: return recorded at 02:40. Return home interview due by Tue 12 Jan 02:40; the day "
        "team is told. Thank you."
    )

    before = await _state(service)
    bad = {
        f"MISSING 0043 {CASE} high": (
            "MISSING: no contact 0043. Check the reference; nothing recorded."
        ),
        "MISSING 0042 12-AB high": (
            "MISSING 0042: case reference not in the expected form; check it and send again. "
            "Nothing recorded."
        ),
        "FOUND 0042": "FOUND 0042: the return was already recorded at 02:40. Nothing changed.",
    }
    for body, said in bad.items():
        assert await _text(service, "sw002", body) == said
    assert await _state(service) == before  # bad input changed nothing
    every_text = [m.body for m in service.fake.outbound_messages()]
    assert not any(CASE in body for body in every_text)  # no case reference in any text

    morning = datetime(2027, 1, 9, 9, 0, tzinfo=JERSEY)
    await _at(service, morning)
    # The runner's own loop may have made it as the clock reached 09:00; made once either way.
    await service.app[keys.RUNNER].run_once("missing meeting pack", morning)
    async with service.database.sessions() as session:
        pack = await gather_pack(
            session, day=date(2027, 1, 9), zone=JERSEY, boundary=morning.time()
        )
        assert [i.episode.case_reference for i in pack.returned] == [CASE]
        assert pack.still_missing == [] and pack.interviews_overdue == []
        (item,) = pack.returned
        due = item.episode.interview_due_at
        assert due is not None and due.astimezone(JERSEY) == datetime(
            2027, 1, 12, 2, 40, tzinfo=JERSEY
        )
        (prepared,) = await session.scalars(
            select(Event).where(Event.kind == "missing.pack_prepared")
        )
        assert prepared.details["day"] == "2027-01-09"
        assert prepared.details["returned"] == [item.id]

        offered = datetime(2027, 1, 9, 11, 0, tzinfo=JERSEY)  # the day team offers it
        await record_interview(
            session, item.id, step="offered", on=offered, by=Actor("coordinator", "web"), at=offered
        )
        await session.commit()
        figures = await dashboard(
            session, first=date(2027, 1, 4), last=date(2027, 1, 10), now=offered, zone=JERSEY
        )
        assert (await verify_chain(session)).ok
    # Worked out by hand: one episode, reported 23:10 (the call), back 02:40: 210 minutes
    # missing; the first action was the worker's ACK at 23:14: 4 minutes; the interview was
    # offered on Saturday 11:00, before its due time Tuesday 02:40: 1 of 1, 100 %; no repeats.
    assert figures.weeks == [(date(2027, 1, 4), 1)]
    assert (figures.episodes, figures.open_now, figures.returned) == (1, 0, 1)
    assert figures.median_missing == timedelta(minutes=210)
    assert figures.median_first_action == timedelta(minutes=4)
    assert (figures.interviews_counted, figures.interviews_in_time) == (1, 1)
    assert figures.in_time_percent == 100.0
    assert (figures.repeat_episodes, figures.repeat_cases) == (0, 0)
