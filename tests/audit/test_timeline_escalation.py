"""Escalation steps (texts, acknowledgement, DONE) appear on the contact's timeline page too."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from oncall.clock import ManualClock
from oncall.db.engine import Database
from oncall.db.models import Contact, Event
from tests.audit.conftest import POLICE_CONTROL_ROOM, signed_in
from tests.e2e.conftest import FRIDAY_NIGHT, ServerFactory, Service
from tests.e2e.test_escalation_support import escalation_service, tick


@pytest.fixture
async def escalated(aiohttp_server: ServerFactory, database: Database) -> Service:
    return await escalation_service(aiohttp_server, database, ManualClock(FRIDAY_NIGHT))


async def test_every_escalation_event_is_on_the_timeline(escalated: Service) -> None:
    service = escalated
    trace = await service.fake.place_inbound_call(
        from_=POLICE_CONTROL_ROOM, to=service.lines["police"]
    )
    await service.fake.settle()
    async with service.database.sessions() as session:
        contact = await session.scalar(
            select(Contact).where(Contact.provider_sid == trace.call_sid)
        )
    assert contact is not None
    await tick(service)
    await tick(service, minutes=1)
    await service.fake.send_inbound_sms(
        from_=service.phones["sw002"], to=service.lines["police"], body=f"ACK {contact.short_ref}"
    )
    await service.fake.send_inbound_sms(
        from_=service.phones["sw002"], to=service.lines["police"],
        body=f"DONE {contact.short_ref} advice given to police",
    )  # fmt: skip
    await tick(service)
    await service.fake.settle()
    manager = await signed_in(service, "manager")
    try:
        page = await manager.get(f"/audit/contacts/{contact.id}")
        html = await page.text()
    finally:
        await manager.close()
    shown = [(int(s), k) for s, k in re.findall(r'data-seq="(\d+)" data-kind="([^"]+)"', html)]
    async with service.database.sessions() as session:
        own = [
            (e.seq, e.kind)
            for e in await session.scalars(
                select(Event)
                .where(Event.contact_id == contact.id, Event.kind != "audit.read")
                .order_by(Event.seq)
            )
        ]
    assert shown == own
    kinds = {k for _, k in shown}
    assert {"alert.raised", "alert.escalated", "alert.acknowledged", "alert.resolved",
            "outcome.recorded"} <= kinds, kinds  # fmt: skip
    assert "Outcome recorded: advice given" in html
    assert "matches its hash" in html
