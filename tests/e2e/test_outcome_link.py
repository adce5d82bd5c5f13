"""The outcome link end to end: texted to the worker, followed on a phone, recorded in the log."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from integrations.fake_twilio import PhoneBehaviour
from oncall import keys
from oncall.clock import ManualClock
from oncall.db.engine import Database
from oncall.db.models import Contact, Event
from oncall.domain.chain import verify_chain
from oncall.domain.texts.gsm7 import encoding_of
from oncall.web.middleware import loggable_path
from tests.audit.conftest import anonymous, signed_in
from tests.e2e.conftest import FRIDAY_NIGHT, ServerFactory, Service
from tests.e2e.test_calls import POLICE_CONTROL_ROOM
from tests.e2e.test_escalation_support import escalation_service, texts_to, tick

LINK = re.compile(r"(https?://\S+/o/([A-Za-z0-9_-]+))")


@pytest.fixture
async def service(aiohttp_server: ServerFactory, database: Database) -> Service:
    return await escalation_service(aiohttp_server, database, ManualClock(FRIDAY_NIGHT))


class _Form(HTMLParser):
    """The outcome page's form (its first: the page also has the missing-child forms): where it
    posts, and its hidden fields (sent back as they are)."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.hidden: dict[str, str] = {}
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form" and a.get("method") == "post" and self.action is None:
            self.action, self._inside = a.get("action") or "", True
        if self._inside and tag == "input" and a.get("type") == "hidden" and a.get("name"):
            self.hidden[str(a["name"])] = a.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False


def _link_in(text: str, service: Service) -> tuple[str, str]:
    match = LINK.search(text)
    assert match is not None, text
    url, token = match[1], match[2]
    assert url.startswith(service.settings.public_url + "/o/")
    return url.removeprefix(service.settings.public_url), token


async def _contact(service: Service) -> Contact:
    async with service.database.sessions() as session:
        contact = await session.scalar(select(Contact).order_by(Contact.id.desc()).limit(1))
    assert contact is not None
    return contact


async def test_after_an_accepted_call_the_worker_records_the_outcome_from_the_texted_link(
    service: Service,
) -> None:
    service.fake.phones.set(service.phones["sw002"], PhoneBehaviour.ACCEPT)
    trace = await service.fake.place_inbound_call(
        from_=POLICE_CONTROL_ROOM, to=service.lines["police"]
    )
    await service.fake.settle()
    assert trace.errors == []
    await service.app[keys.SENDER].run_once(
        service.clock.now()
    )  # the outbox: the text was queued with the call's end
    await service.fake.settle()
    contact = await _contact(service)
    texts = texts_to(service, "sw002")
    assert len(texts) == 1, texts
    text = texts[0]
    assert text.startswith(f"OOH-{contact.short_ref} call ended ")
    assert encoding_of(text).gsm7 and encoding_of(text).segments == 1
    path, token = _link_in(text, service)
    # Nothing about the call in the URL: no reference, no number, no words of the contact.
    for secret in (contact.reference, contact.short_ref, POLICE_CONTROL_ROOM, "police"):
        assert secret not in path
    assert len(token) <= 32
    assert loggable_path(path) == "/o/…"  # and the token never reaches the request log

    phone = anonymous(service)  # the worker's phone: not signed in, the link is the authority
    try:
        page = await phone.get(path)
        html = await page.text()
        assert page.status == 200, html
        assert contact.reference in html and page.headers["Referrer-Policy"] == "no-referrer"
        form = _Form()
        form.feed(html)
        assert form.action is not None
        saved = await phone.post(
            form.action or path,
            data={
                **form.hidden,
                "category": "advice_given",
                "notes": "Advised the officer; no visit needed.",
                "agencies": ["police"],
                "follow_up": "1",
            },
        )
        assert saved.status == 200 and "Saved" in await saved.text()

        tampered = path[:-1] + ("A" if path[-1] != "A" else "B")
        refused = await phone.get(tampered)
        assert refused.status == 410 and "not valid" in await refused.text()
        forged = await phone.post(tampered, data={"category": "no_action"})
        assert forged.status == 410
        await service.clock.advance(service.settings.outcome_link_hours * 3600 + 60)
        expired = await phone.get(path)
        assert expired.status == 410 and "expired" in await expired.text()
    finally:
        await phone.close()

    manager = await signed_in(service, "manager")
    try:
        timeline = await (await manager.get(f"/audit/contacts/{contact.id}")).text()
    finally:
        await manager.close()
    assert "Outcome recorded: advice given" in timeline
    assert "Outcome link texted to sw002 after the call" in timeline
    async with service.database.sessions() as session:
        stored = await session.get(Contact, contact.id)
        assert stored is not None and stored.outcome == "advice_given"
        assert stored.day_team_follow_up
        kinds = list(
            await session.scalars(
                select(Event.kind).where(Event.contact_id == contact.id).order_by(Event.seq)
            )
        )
        recorded = await session.scalar(
            select(Event).where(Event.contact_id == contact.id, Event.kind == "outcome.recorded")
        )
        assert (await verify_chain(session)).ok
    assert kinds.count("outcome.link_texted") == 1  # the dial's end and the status callback
    assert recorded is not None and recorded.actor == "sw002" and recorded.details["via"] == "link"
    assert token not in str([e for e in kinds])


async def test_the_answer_to_ack_carries_the_link_and_the_alert_stays_one_segment(
    service: Service,
) -> None:
    trace = await service.fake.place_inbound_call(
        from_=POLICE_CONTROL_ROOM, to=service.lines["police"]
    )  # nobody answers (the escalation service's phones ring out): a missed call
    await service.fake.settle()
    assert trace.errors == []
    await tick(service)
    contact = await _contact(service)
    alert = texts_to(service, "sw002")[0]
    assert alert.startswith(f"OOH-{contact.short_ref} Police HQ call missed")
    assert encoding_of(alert).segments == 1 and "/o/" not in alert

    replies = await service.fake.send_inbound_sms(
        from_=service.phones["sw002"], to=service.lines["police"], body=f"ACK {contact.short_ref}"
    )
    reply = replies[0].body
    assert reply.startswith(f"{contact.short_ref} acknowledged by you at ")
    assert "call back on +44 1534 700201" in reply
    assert encoding_of(reply).gsm7 and encoding_of(reply).segments <= 2
    path, _ = _link_in(reply, service)
    phone = anonymous(service)
    try:
        page = await phone.get(path)
        assert page.status == 200 and contact.reference in await page.text()
        saved = await phone.post(path, data={"category": "visit_made"})
        assert saved.status == 200
    finally:
        await phone.close()
    async with service.database.sessions() as session:
        stored = await session.get(Contact, contact.id)
    assert stored is not None and stored.outcome == "visit_made"
