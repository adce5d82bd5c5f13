"""A call whose record a database outage left open is finished from Twilio's records."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from integrations.fake_twilio import CallTrace, PhoneBehaviour
from oncall import keys
from oncall.clock import ManualClock
from oncall.db.engine import Database
from oncall.db.models import Alert, Event
from oncall.domain.audit import describe_event
from oncall.domain.calls import CallReconciler
from oncall.domain.chain import verify_chain
from tests.e2e.conftest import (
    FRIDAY_NIGHT,
    ServerFactory,
    Service,
    publish_friday_night,
    start_service,
)
from tests.e2e.test_calls import POLICE_CONTROL_ROOM, Outcome, outcome, script
from tests.support import load_demo_data

CHECK_S = 300
FAILSAFE_S = 90  # a call given the fail-safe ring is asked about sooner


@pytest.fixture
async def quiet_service(aiohttp_server: ServerFactory, database: Database) -> Service:
    """The e2e service (sw002, sw004, sm002 on duty) with its loops off: passes run by hand."""
    await load_demo_data(database)
    await publish_friday_night(database)
    return await start_service(
        aiohttp_server, database, ManualClock(FRIDAY_NIGHT),
        escalation_workers=False, call_check_seconds=CHECK_S,  # type: ignore[arg-type]
    )  # fmt: skip


async def _call_with_database_lost_after_first_ring(service: Service) -> CallTrace:
    """sw002 is rung from our record; as Twilio asks what next, the database goes away, so
    the fail-safe rings everyone on duty; the database comes back after the call."""

    async def break_database() -> None:
        async with service.database.engine.begin() as conn:
            await conn.execute(text("ALTER TABLE contacts RENAME TO contacts_gone"))

    service.fake.webhooks.before_next("/twilio/voice/dial-result", break_database)
    try:
        trace = await service.fake.place_inbound_call(
            from_=POLICE_CONTROL_ROOM, to=service.lines["police"]
        )
        await service.fake.settle()
    finally:
        async with service.database.engine.begin() as conn:
            await conn.execute(text("ALTER TABLE contacts_gone RENAME TO contacts"))
    dials = [e.data["numbers"] for e in trace.events if e.kind == "verb" and e.detail == "Dial"]
    assert dials[0] == [service.phones["sw002"]]  # the ring-round, from the database
    assert len(dials[1]) == 3  # the fail-safe: every last-known on-duty phone
    # The only application error is the status callback that could not be recorded (503);
    # set aside once checked, so `outcome` still fails on any other.
    assert [e.detail for e in trace.errors] == ["status callback got 503"]
    trace.events[:] = [e for e in trace.events if e.kind != "error"]
    # The database is back: the fail-safe answer given is recorded (the runner's pass, by hand).
    await service.app[keys.RUNNER].run_once("fail-safe records")
    return trace


async def _pass(service: Service, *, after_s: float = CHECK_S + 1) -> list[int]:
    await service.clock.advance(after_s)
    return await service.app[keys.CALL_CHECK].run_once()


async def _timeline(service: Service, trace: CallTrace) -> tuple[Outcome, list[str]]:
    result = await outcome(service, trace)
    return result, [describe_event(kind, details) for kind, details in result.events]


async def test_fail_safe_connection_is_recorded_from_twilio(quiet_service: Service) -> None:
    service = quiet_service
    script(service, sw004=PhoneBehaviour.ACCEPT)
    trace = await _call_with_database_lost_after_first_ring(service)
    before = await outcome(service, trace)
    assert before.kinds() == ["call.received", "caller.identified", "call.rang", "call.failsafe"]
    assert before.contact.ended_at is None
    # Its callbacks cannot finish a call given the fail-safe: Twilio is asked once the ring and
    # the fallback's are surely over, not after the whole wait.
    assert await _pass(service, after_s=FAILSAFE_S - 1) == []  # not yet: it may be ringing
    assert await _pass(service, after_s=2) == [before.contact.id]
    result, sentences = await _timeline(service, trace)
    assert result.kinds()[3:] == [
        "call.failsafe", "call.reconciled", "call.connected_per_provider", "call.ended",
        "outcome.link_texted", "call.duration",
    ]  # fmt: skip
    connected = dict(result.events)["call.connected_per_provider"]
    assert connected["person"] == "sw004"
    assert connected["seconds"] and int(connected["seconds"]) > 0
    assert "fail-safe ring (every on-duty phone at once: sw002, sw004, sm002" in sentences[3]
    assert "Twilio connected the caller to sw004" in sentences[5]
    assert result.contact.status == "answered" and result.contact.ended_at is not None
    assert result.handled_by == "sw004"
    assert [(leg.attempt, leg.result) for leg in result.legs] == [(1, "no_answer")]
    assert result.alerts == []
    assert dict(result.events)["call.duration"]["seconds"] == trace.duration_s
    # Nothing more to do: later passes, and a late status callback, record nothing again.
    assert await _pass(service) == []
    async with service.database.sessions() as session:
        assert (await verify_chain(session)).ok


async def test_nobody_reached_by_the_fail_safe_raises_the_missed_call_alert(
    quiet_service: Service,
) -> None:
    service = quiet_service
    trace = await _call_with_database_lost_after_first_ring(service)  # nobody answers
    # The missed call's alert is raised once the fail-safe ring is over (90 s after it was
    # given), not after the whole call-check wait (5 minutes).
    assert await _pass(service, after_s=FAILSAFE_S - 1) == []
    [contact_id] = await _pass(service, after_s=2)
    result, sentences = await _timeline(service, trace)
    assert result.kinds()[3:] == [
        "call.failsafe", "call.reconciled", "call.unanswered", "alert.raised", "call.ended",
        "call.duration",
    ]  # fmt: skip
    assert "Nobody accepted the call" in sentences
    assert result.contact.id == contact_id and result.contact.status == "missed"
    assert [(a.kind, a.status) for a in result.alerts] == [("missed_call", "open")]


async def test_recorded_once_across_passes_and_replicas(quiet_service: Service) -> None:
    service = quiet_service
    script(service, sw004=PhoneBehaviour.ACCEPT)
    trace = await _call_with_database_lost_after_first_ring(service)
    await service.clock.advance(CHECK_S + 1)
    mine = service.app[keys.CALL_CHECK]
    other = CallReconciler(  # a second replica: its own sessions, no shared memory
        service.database.sessions, service.app[keys.TELEPHONY], service.clock,
        after=timedelta(seconds=CHECK_S),
    )  # fmt: skip
    first, second = await asyncio.gather(mine.run_once(), other.run_once())
    again = await other.run_once()
    assert len(first) + len(second) + len(again) == 1
    async with service.database.sessions() as session:
        kinds = (
            await session.scalars(
                select(Event.kind).where(
                    Event.kind.in_(["call.reconciled", "call.duration", "call.ended"])
                )
            )
        ).all()
        alerts = await session.scalar(select(func.count()).select_from(Alert))
    assert sorted(kinds) == ["call.duration", "call.ended", "call.reconciled"]
    assert alerts == 0
    assert (await outcome(service, trace)).handled_by == "sw004"


async def test_a_failed_lookup_is_asked_again_after_the_wait_not_every_pass(
    quiet_service: Service,
) -> None:
    service = quiet_service
    script(service, sw004=PhoneBehaviour.ACCEPT)
    await _call_with_database_lost_after_first_ring(service)
    service.fake.faults.fail_next(1, status=500, resource="Calls")
    assert await _pass(service) == []  # Twilio answered 500
    assert await _pass(service, after_s=1) == []  # Twilio is fine now, but not asked yet
    assert len(await _pass(service, after_s=CHECK_S)) == 1
