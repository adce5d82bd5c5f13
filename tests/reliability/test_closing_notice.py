"""Closing an alert tells the others already texted, as ACK does: by DONE without an ACK first,
and by the outcome page (issue 13)."""

from __future__ import annotations

import pytest
from aiohttp import ClientSession
from sqlalchemy import select

from oncall import keys
from oncall.clock import ManualClock
from oncall.db.engine import Database
from oncall.db.models import Alert, Contact, Person
from tests.e2e.conftest import FRIDAY_NIGHT, ServerFactory, Service
from tests.e2e.test_calls import POLICE_CONTROL_ROOM
from tests.e2e.test_escalation_support import escalation_service, texts_to, tick


@pytest.fixture
async def escalated(aiohttp_server: ServerFactory, database: Database) -> Service:
    return await escalation_service(aiohttp_server, database, ManualClock(FRIDAY_NIGHT))


async def _missed_call_texted_to_worker_and_manager(service: Service) -> Contact:
    trace = await service.fake.place_inbound_call(
        from_=POLICE_CONTROL_ROOM, to=service.lines["police"]
    )
    await service.fake.settle()
    async with service.database.sessions() as session:
        contact = await session.scalar(
            select(Contact).where(Contact.provider_sid == trace.call_sid)
        )
    assert contact is not None
    await tick(service)  # sw002 is texted
    await tick(service, minutes=1)  # then sm002, the senior manager (and sw004 at once)
    assert len(texts_to(service, "sw002")) == 1 and len(texts_to(service, "sm002")) == 1
    return contact


async def test_done_without_ack_tells_the_worker_already_texted(escalated: Service) -> None:
    service = escalated
    contact = await _missed_call_texted_to_worker_and_manager(service)
    ref = contact.short_ref
    (done,) = await service.fake.send_inbound_sms(
        from_=service.phones["sm002"], to=service.lines["police"],
        body=f"DONE {ref} nfa police dealt with it",
    )  # fmt: skip
    assert done.body.startswith(f"{ref} closed at ")
    await tick(service)
    notices = texts_to(service, "sw002")[1:]
    assert len(notices) == 1, notices
    assert notices[0].startswith(f"OOH-{ref} closed by ") and "No action needed" in notices[0]
    assert "police dealt" not in notices[0]  # the note stays out of texts
    assert texts_to(service, "sm002")[1:] == []  # the one who closed it is not told


async def test_the_outcome_page_closes_the_alert_and_tells_the_others(escalated: Service) -> None:
    service = escalated
    contact = await _missed_call_texted_to_worker_and_manager(service)
    async with service.database.sessions() as session:
        sm002 = await session.scalar(select(Person).where(Person.code == "sm002"))
    assert sm002 is not None
    url = service.app[keys.OUTCOME_LINKS].url(contact.id, sm002.id, now=service.clock.now())
    async with ClientSession() as http:
        async with http.get(url) as page:
            assert page.status == 200
            html = await page.text()
        csrf = {}
        if 'name="csrf"' in html:  # the page's own token, if it carries one
            csrf["csrf"] = html.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        form = {"category": "advice_given", "notes": "talked it through", **csrf}
        async with http.post(url, data=form, headers={"Origin": service.url("")}) as saved:
            assert saved.status == 200, await saved.text()
    async with service.database.sessions() as session:
        alert = await session.scalar(select(Alert).where(Alert.contact_id == contact.id))
    assert alert is not None and alert.status == "resolved"
    await tick(service)
    notices = texts_to(service, "sw002")[1:]
    assert len(notices) == 1 and notices[0].startswith(f"OOH-{contact.short_ref} closed by ")
