"""Lost status callbacks, end to end: the sender asks the fake Twilio's REST API instead."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from oncall.clock import ManualClock
from oncall.db.engine import Database
from oncall.db.models import Event, OutboundMessage
from oncall.domain.chain import verify_chain
from tests.e2e.conftest import FRIDAY_NIGHT, ServerFactory, Service
from tests.e2e.test_calls import POLICE_CONTROL_ROOM
from tests.e2e.test_escalation_support import (
    duty_worker_for_five_minutes,
    escalation_service,
    texts_to,
    tick,
)


async def _text_to_duty_worker(service: Service) -> OutboundMessage:
    """A missed police call, one scheduler and sender pass: the duty worker's text, as stored."""
    trace = await service.fake.place_inbound_call(
        from_=POLICE_CONTROL_ROOM, to=service.lines["police"]
    )
    await service.fake.settle()
    assert trace.errors == []
    await tick(service)
    async with service.database.sessions() as session:
        row = await session.scalar(
            select(OutboundMessage).where(
                OutboundMessage.to_number == service.phones["sw002"],
                OutboundMessage.channel == "sms",
            )
        )
    assert row is not None and row.provider_sid is not None
    return row


async def _row(service: Service, row_id: int) -> OutboundMessage:
    async with service.database.sessions() as session:
        row = await session.get(OutboundMessage, row_id)
    assert row is not None
    return row


async def _kinds(service: Service) -> list[str]:
    async with service.database.sessions() as session:
        assert (await verify_chain(session)).ok
        return list(await session.scalars(select(Event.kind).order_by(Event.seq)))


async def test_a_delivery_whose_callbacks_were_lost_is_fetched_and_logged(
    lost: Service,
) -> None:
    service = lost
    service.fake.faults.lose_status_callbacks(service.phones["sw002"])
    row = await _text_to_duty_worker(service)
    assert service.fake.messages[row.provider_sid or ""].status == "delivered"
    assert (await _row(service, row.id)).status == "queued"  # no callback came

    await tick(service, minutes=1)
    assert (await _row(service, row.id)).status == "queued"  # not asked yet: 2 minutes

    await tick(service, minutes=1)  # two minutes without news: the sender asks Twilio
    assert (await _row(service, row.id)).status == "delivered"
    await tick(service)  # the next pass logs the delivery, as after a callback
    assert "sms.delivered" in await _kinds(service)
    assert texts_to(service, "sm002") == []  # delivered: no early escalation


async def test_an_undelivered_text_whose_callbacks_were_lost_escalates(lost: Service) -> None:
    service = lost
    number = service.phones["sw002"]
    service.fake.faults.undeliverable(number, "undelivered")
    service.fake.faults.lose_status_callbacks(number)
    row = await _text_to_duty_worker(service)
    assert service.fake.messages[row.provider_sid or ""].status == "undelivered"
    await tick(service, minutes=1)
    assert texts_to(service, "sm002") == []  # nobody knows yet

    await tick(service, minutes=1)  # asked: undelivered, so the next step is due now
    stored = await _row(service, row.id)
    assert (stored.status, stored.last_error) == ("undelivered", "Twilio error 30003")
    await tick(service)  # three minutes in: the senior manager is texted, not after five
    assert len(texts_to(service, "sm002")) == 1
    kinds = await _kinds(service)
    assert "sms.failed" in kinds and "alert.escalating_early" in kinds


async def test_a_text_still_on_its_way_is_asked_about_again_later(lost: Service) -> None:
    """Twilio still says "sent", or cannot answer: nothing changes, and the text is asked about
    again only after another wait (no lookup every pass while Twilio is down)."""
    service = lost
    service.fake.faults.lose_status_callbacks(service.phones["sw002"])
    row = await _text_to_duty_worker(service)
    sid = row.provider_sid or ""
    service.fake.messages[sid].set_status("sent")  # the carrier has not reported yet
    await tick(service, minutes=2)
    checked = await _row(service, row.id)
    assert checked.status == "sent" and checked.updated_at == service.clock.now()
    await tick(service, minutes=1)
    assert (await _row(service, row.id)).updated_at == checked.updated_at  # not asked again yet

    service.fake.messages[sid].set_status("delivered")
    service.fake.faults.fail_next(1, status=503, resource="Messages")  # the lookup fails
    await tick(service, minutes=1)
    failed = await _row(service, row.id)
    assert failed.status == "sent" and failed.updated_at == service.clock.now()
    await tick(service, minutes=1)
    assert (await _row(service, row.id)).status == "sent"  # not asked again yet
    await tick(service, minutes=1)
    assert (await _row(service, row.id)).status == "delivered"


@pytest.fixture
async def lost(aiohttp_server: ServerFactory, database: Database) -> Service:
    clock = ManualClock(FRIDAY_NIGHT)
    service = await escalation_service(aiohttp_server, database, clock)
    # The senior manager's step five minutes on, so that a failure found by a lookup at two
    # minutes is seen to move the alert on before it (the default's step is a minute on).
    await duty_worker_for_five_minutes(database, clock)
    return service
