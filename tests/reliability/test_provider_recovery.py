"""Calls and texts that never reached the service are found in the provider's records and
recorded, marked as recovered, with who the fail-safe connected or a missed-call alert (issue 13).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from integrations.fake_twilio import PhoneBehaviour
from oncall import keys
from oncall.db.engine import Database
from oncall.db.models import Alert, Contact, Event, InboundMessage
from oncall.domain.calls import ProviderRecovery, Recovered
from tests.e2e.conftest import ServerFactory, Service
from tests.e2e.test_calls import FOSTER_CARER, POLICE_CONTROL_ROOM, outcome, script
from tests.reliability.test_webhook_budget import CHECK_S, database_hangs, start_budgeted

UNREACHABLE = "http://127.0.0.1:9"  # nothing listens: the service cannot be reached


@pytest.fixture
async def service(aiohttp_server: ServerFactory, database: Database) -> Service:
    return await start_budgeted(aiohttp_server, database)


def _age(service_: Service) -> None:
    """Everything the fake recorded happened two minutes ago (a pass leaves newer records to
    the webhooks that may still be in flight)."""
    fake = service_.fake
    for record in [*fake.calls.values(), *fake.messages.values()]:
        record.created -= timedelta(minutes=2)  # type: ignore[attr-defined]
        record.updated -= timedelta(minutes=2)  # type: ignore[attr-defined]


async def _recover(service_: Service) -> Recovered:
    runner = service_.app[keys.RUNNER]
    found = await runner.run_once("provider recovery")
    assert isinstance(found, Recovered)
    return found


async def test_a_call_whose_fail_safe_was_never_recorded_is_recovered_with_who_answered(
    service: Service,
) -> None:
    script(service, sw002=PhoneBehaviour.NO_ANSWER, sw004=PhoneBehaviour.ACCEPT)
    async with database_hangs(service.database):
        trace = await service.fake.place_inbound_call(
            from_=POLICE_CONTROL_ROOM, to=service.lines["police"]
        )
        await service.fake.settle()
    # The replica restarted before the database answered: its fail-safe notes are gone.
    service.app[keys.WEBHOOK_BUDGET].failsafes.clear()
    trace.events[:] = [e for e in trace.events if e.kind != "error"]
    _age(service)
    assert (await _recover(service)).calls == [trace.call_sid]
    await service.clock.advance(CHECK_S + 1)
    assert await service.app[keys.CALL_CHECK].run_once() != []
    result = await outcome(service, trace)
    assert result.kinds() == [
        "call.received", "caller.identified", "call.failsafe", "call.reconciled",
        "call.connected_per_provider", "call.ended", "outcome.link_texted", "call.duration",
    ]  # fmt: skip
    assert dict(result.events)["call.failsafe"]["recovered"] is True
    assert result.handled_by == "sw004" and result.alerts == []
    assert (await _recover(service)).calls == []  # recorded once


async def test_outage_calls_and_texts_are_recovered_and_missed_calls_alerted(
    service: Service,
) -> None:
    police, foster = service.lines["police"], service.lines["foster"]
    configs = {n: service.fake.numbers[n] for n in (police, foster)}
    saved = {n: (c.voice_url, c.sms_url) for n, c in configs.items()}
    for config in configs.values():
        config.voice_url, config.sms_url = UNREACHABLE + "/voice", UNREACHABLE + "/sms"
    try:
        trace = await service.fake.place_inbound_call(from_=POLICE_CONTROL_ROOM, to=police)
        await service.fake.send_inbound_sms(from_=FOSTER_CARER, to=foster, body="please ring")
        await service.fake.settle()
    finally:
        for number, (voice, sms) in saved.items():
            configs[number].voice_url, configs[number].sms_url = voice, sms
    _age(service)
    found = await _recover(service)
    assert found.calls == [trace.call_sid] and len(found.texts) == 1
    await service.clock.advance(CHECK_S + 1)
    assert await service.app[keys.CALL_CHECK].run_once() != []
    async with service.database.sessions() as session:
        call = await session.scalar(select(Contact).where(Contact.provider_sid == trace.call_sid))
        text = await session.scalar(
            select(InboundMessage).where(InboundMessage.body == "please ring")
        )
        assert call is not None and text is not None and text.contact_id is not None
        call_kinds = list(
            await session.scalars(
                select(Event.kind).where(Event.contact_id == call.id).order_by(Event.seq)
            )
        )
        text_kinds = list(
            await session.scalars(
                select(Event.kind).where(Event.contact_id == text.contact_id).order_by(Event.seq)
            )
        )
        alerts = list(
            await session.scalars(
                select(Alert.kind).where(Alert.contact_id.in_([call.id, text.contact_id]))
            )
        )
    assert call.status == "missed"
    assert call_kinds[:4] == [
        "call.received",
        "caller.identified",
        "call.failsafe",
        "call.reconciled",
    ]
    assert "call.unanswered" in call_kinds and "alert.raised" in call_kinds
    assert text_kinds[0] == "message.received" and text_kinds[-1] == "message.recovered"
    assert sorted(alerts) == ["inbound_sms", "missed_call"]
    again = await _recover(service)
    assert again.calls == [] and again.texts == []


async def test_two_replicas_recover_each_call_once(service: Service) -> None:
    police = service.lines["police"]
    config = service.fake.numbers[police]
    saved = config.voice_url
    config.voice_url = UNREACHABLE + "/voice"
    try:
        trace = await service.fake.place_inbound_call(from_=POLICE_CONTROL_ROOM, to=police)
        await service.fake.settle()
    finally:
        config.voice_url = saved
    _age(service)

    async def no_texts(*_: object) -> None:
        raise AssertionError("no text to recover")

    replicas = [
        ProviderRecovery(
            service.database.sessions,
            service.app[keys.TELEPHONY],
            service.clock,
            zone=service.settings.zone,
            handle_text=no_texts,
        )
        for _ in range(2)
    ]
    first, second = await asyncio.gather(*(r.run_once() for r in replicas))
    assert sorted(first.calls + second.calls) == [trace.call_sid]
    async with service.database.sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(Contact).where(Contact.provider_sid == trace.call_sid)
        )
    assert count == 1
