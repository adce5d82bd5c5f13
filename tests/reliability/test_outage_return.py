"""When the database answers again after an outage: the provider recovery runs at once (not only
on its 5-minute timer), once across replicas; and fail-safe answers given before a restart are
still recorded, from this replica's journal (issue 13).
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from oncall import keys
from oncall.clock import ManualClock
from oncall.db.engine import Database
from oncall.db.models import Channel, Contact, Event, InboundMessage
from oncall.domain.calls import ProviderRecovery, Recovered
from oncall.domain.calls.failsafe import FailsafeGiven
from oncall.domain.calls.journal import FailsafeJournal, JournalInUse
from oncall.domain.calls.recovery import SETTLED, Outage
from oncall.domain.contacts import identify_caller, open_contact
from tests.e2e.conftest import (
    FRIDAY_NIGHT,
    ServerFactory,
    Service,
    publish_friday_night,
    start_service,
)
from tests.e2e.test_calls import FOSTER_CARER, POLICE_CONTROL_ROOM
from tests.reliability.test_provider_recovery import _age
from tests.reliability.test_webhook_budget import BUDGET_S, CHECK_S, database_hangs
from tests.support import load_demo_data

AFTER_OUTAGE = "recovery after an outage"


async def _start(
    aiohttp_server: ServerFactory, database: Database, clock: ManualClock, journal: Path | None
) -> Service:
    return await start_service(
        aiohttp_server, database, clock,
        escalation_workers=False, call_check_seconds=CHECK_S,  # type: ignore[arg-type]
        webhook_budget_seconds=BUDGET_S,  # type: ignore[arg-type]
        failsafe_journal=str(journal or ""),
    )  # fmt: skip


@pytest.fixture
async def seeded(database: Database) -> Database:
    await load_demo_data(database)
    await publish_friday_night(database)
    return database


async def _kinds(database: Database, call_sid: str) -> list[str]:
    async with database.sessions() as session:
        contact = await session.scalar(select(Contact).where(Contact.provider_sid == call_sid))
        if contact is None:
            return []
        return list(
            await session.scalars(
                select(Event.kind).where(Event.contact_id == contact.id).order_by(Event.seq)
            )
        )


async def test_a_text_lost_in_an_outage_is_recovered_as_soon_as_the_database_answers(
    aiohttp_server: ServerFactory, seeded: Database
) -> None:
    service = await _start(aiohttp_server, seeded, ManualClock(FRIDAY_NIGHT), None)
    runner = service.app[keys.RUNNER]
    assert await runner.run_once(AFTER_OUTAGE) is None  # no outage seen: no pass
    async with database_hangs(service.database):
        await service.fake.send_inbound_sms(
            from_=FOSTER_CARER, to=service.lines["foster"], body="ring me please"
        )
        await service.fake.settle()
        # still away: no pass yet (the probe waits for the held table and gives up)
        assert await runner.run_once(AFTER_OUTAGE) is None
    _age(service)  # (the text is older than a webhook still in flight could be)
    found = await runner.run_once(AFTER_OUTAGE)
    assert isinstance(found, Recovered) and len(found.texts) == 1 and not found.covered
    async with service.database.sessions() as session:
        text = await session.scalar(
            select(InboundMessage).where(InboundMessage.body == "ring me please")
        )
    assert text is not None and text.contact_id is not None
    assert await runner.run_once(AFTER_OUTAGE) is None  # owed once; the follow-up comes later
    await service.clock.advance(SETTLED.total_seconds())
    follow_up = await runner.run_once(AFTER_OUTAGE)
    assert isinstance(follow_up, Recovered) and follow_up.texts == []
    assert await runner.run_once(AFTER_OUTAGE) is None


async def test_a_text_answered_with_the_apology_is_recovered_by_the_first_pass_however_new(
    aiohttp_server: ServerFactory, seeded: Database
) -> None:
    """A text less than a minute old is left to its webhook, which may still be in flight; one
    this replica answered with the apology has no webhook left: the first pass after the
    database answers takes it (it waited a minute more before)."""
    service = await _start(aiohttp_server, seeded, ManualClock(FRIDAY_NIGHT), None)
    runner = service.app[keys.RUNNER]
    async with database_hangs(service.database):
        await service.fake.send_inbound_sms(
            from_=FOSTER_CARER, to=service.lines["foster"], body="ring me now please"
        )
        await service.fake.settle()
    assert service.app[keys.WEBHOOK_BUDGET].apologised  # the webhook answered the apology
    found = await runner.run_once(AFTER_OUTAGE)
    assert isinstance(found, Recovered) and len(found.texts) == 1
    assert not service.app[keys.WEBHOOK_BUDGET].apologised
    async with service.database.sessions() as session:
        text = await session.scalar(
            select(InboundMessage).where(InboundMessage.body == "ring me now please")
        )
    assert text is not None and text.contact_id is not None


async def test_two_replicas_back_from_one_outage_make_one_pass(
    aiohttp_server: ServerFactory, seeded: Database
) -> None:
    service = await _start(aiohttp_server, seeded, ManualClock(FRIDAY_NIGHT), None)

    async def no_texts(*_: object) -> None:
        raise AssertionError("no text to recover")

    def replica() -> ProviderRecovery:
        return ProviderRecovery(
            service.database.sessions, service.app[keys.TELEPHONY], service.clock,
            zone=service.settings.zone, handle_text=no_texts,
        )  # fmt: skip

    failed_at = service.clock.now()
    outages = [Outage(), Outage()]
    for outage in outages:
        outage.seen(failed_at)
    await service.clock.advance(30)  # the database answers again
    now = service.clock.now()
    first, second = await asyncio.gather(
        *(replica().run_once(now, covered_since=o.owed(now)) for o in outages)
    )
    made = [r for r in (first, second) if not (r.covered or r.skipped)]
    assert len(made) == 1, (first, second)
    # the one that was skipped (another pass under way) asks again, and finds it covered
    if second.skipped or first.skipped:
        again = await replica().run_once(now, covered_since=failed_at)
        assert again.covered
    # a failure seen after that pass started is not covered by it
    assert not (await replica().run_once(now, covered_since=now + timedelta(seconds=1))).covered


async def test_a_fail_safe_given_before_a_restart_is_recorded_after_it(
    aiohttp_server: ServerFactory, seeded: Database, tmp_path: Path
) -> None:
    journal = tmp_path / "failsafe-journal"
    clock = ManualClock(FRIDAY_NIGHT)
    first = await _start(aiohttp_server, seeded, clock, journal)
    async with database_hangs(first.database):
        trace = await first.fake.place_inbound_call(
            from_=POLICE_CONTROL_ROOM, to=first.lines["police"]
        )
        await first.fake.settle()
        assert [e.detail for e in trace.errors] == ["status callback got 503"]
        await first.server.close()  # restarted before the database answers: memory lost
    assert await _kinds(seeded, trace.call_sid) == []
    assert journal.read_text().strip()  # on the disk
    second = await _start(aiohttp_server, seeded, clock, journal)
    assert len(second.app[keys.WEBHOOK_BUDGET].pending()) == 1
    await second.app[keys.RUNNER].run_once("fail-safe records")
    kinds = await _kinds(seeded, trace.call_sid)
    assert kinds == ["call.received", "caller.identified", "call.failsafe"]
    assert journal.read_text() == ""  # nothing left to record
    # the provider recovery then finds the call recorded: one fail-safe, not two
    _age(first)
    second.fake.calls.update(first.fake.calls)  # (one provider: the first app's fake saw it)
    await second.app[keys.RUNNER].run_once("provider recovery")
    assert await _kinds(seeded, trace.call_sid) == kinds


def test_the_journal_keeps_what_is_not_recorded_and_skips_a_torn_line(tmp_path: Path) -> None:
    path = tmp_path / "journal"

    def given(sid: str) -> FailsafeGiven:
        return FailsafeGiven(
            call_sid=sid, step="incoming", receipt=f"{sid}:incoming", from_="+447797000001",
            to="+441534700100", numbers=("+447797000002",), fallback=True, at=FRIDAY_NIGHT,
        )  # fmt: skip

    journal = FailsafeJournal(path)
    assert journal.replay() == []
    journal.given(given("CA1"))
    journal.given(given("CA2"))
    journal.recorded(given("CA1"))
    with pytest.raises(JournalInUse, match="ONCALL_FAILSAFE_JOURNAL"):
        FailsafeJournal(path)
    journal.close()
    with path.open("a") as file:  # a crash in the middle of a line
        file.write(json.dumps({"given": {"call_sid": "CA3"}})[:20])
    again = FailsafeJournal(path)
    assert again.replay() == [given("CA2")]
    again.recorded(given("CA2"))
    assert path.read_text() == ""
    again.close()


async def test_a_fail_safe_that_cannot_be_recorded_does_not_hold_up_the_others(
    aiohttp_server: ServerFactory, seeded: Database
) -> None:
    """The database answers but refuses one record (here: a contact already holds the reference
    the counter gives next): a pass stops at that failure instead of trying every record, the
    failed one goes to the back, and it is not taken for an outage."""
    service = await _start(aiohttp_server, seeded, ManualClock(FRIDAY_NIGHT), None)
    async with seeded.sessions() as session:
        known = await open_contact(
            session, channel=Channel.VOICE, line=None, caller_number=POLICE_CONTROL_ROOM,
            caller=await identify_caller(session, POLICE_CONTROL_ROOM),
            provider_sid="CA" + "1" * 32, at=FRIDAY_NIGHT, zone_year=2027,
        )  # fmt: skip
        await session.flush()
        session.add(
            Contact(
                reference="OOH-2027-00002",
                short_ref="0002",
                channel=Channel.VOICE,
                caller_type=known.caller_type,
                caller_number=POLICE_CONTROL_ROOM,
                status=known.status,
                received_at=FRIDAY_NIGHT,
            )
        )  # fmt: skip  (taken behind the counter's back)
        await session.commit()
    budget = service.app[keys.WEBHOOK_BUDGET]

    def given(sid: str) -> FailsafeGiven:
        return FailsafeGiven(
            call_sid=sid, step="incoming", receipt="", from_=POLICE_CONTROL_ROOM,
            to=service.lines["police"], numbers=(), fallback=True, at=FRIDAY_NIGHT,
        )  # fmt: skip

    refused, recordable = given("CA" + "2" * 32), given("CA" + "1" * 32)
    budget.remember(refused)
    budget.remember(recordable)
    runner = service.app[keys.RUNNER]
    await runner.run_once("fail-safe records")
    assert budget.pending() == [recordable, refused]  # one attempt, the failed one moved back
    await runner.run_once("fail-safe records")
    assert budget.pending() == [refused]
    assert "call.failsafe" in await _kinds(seeded, recordable.call_sid)
    assert budget.outage.owed(service.clock.now()) is None  # the database answered: no outage
