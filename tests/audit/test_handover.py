"""The morning handover: exactly the follow-up contacts, reminders, one e-mail, the scheduler."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, timedelta

from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from oncall.app import create_app
from oncall.clock import ManualClock
from oncall.db.engine import Database
from oncall.db.models import Alert, Contact, Event, OutboundMessage, Person
from oncall.domain.audit import gather_handover, morning_jobs
from oncall.domain.chain import verify_chain
from oncall.domain.outcomes import read_outcome_token
from oncall.settings import Settings
from oncall.wiring import morning_config, offline_outcome_links, signing_key
from tests.audit.night import at, write_night
from tests.audit.smtp import SmtpReceiver
from tests.support import JERSEY, load_demo_data

SATURDAY = date(2027, 1, 9)
ClientFactory = Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]]


def _settings(database: Database, **extra: object) -> Settings:
    return Settings(
        database_url=database.engine.url.render_as_string(hide_password=False),
        **extra,  # type: ignore[arg-type]
    )


async def test_the_handover_lists_exactly_the_contacts_needing_follow_up(
    database: Database,
) -> None:
    await load_demo_data(database)
    async with database.sessions() as session:
        ids = await write_night(session)
        await session.commit()
        handover = await gather_handover(
            session, day=SATURDAY, zone=JERSEY, boundary=at(9, 9, 0).time()
        )
    # Rows 3 and 5 need follow-up; row 7 (Saturday 12:00) belongs to the next night.
    assert [i.contact_id for i in handover.items] == [ids[3], ids[5]]
    assert handover.contacts == 6  # rows 1-6; row 8 was forwarded to the day desk
    assert handover.without_outcome == ["OOH-2027-00002", "OOH-2027-00004", "OOH-2027-00006"]
    receiver = SmtpReceiver()
    await receiver.start()
    try:
        settings = _settings(
            database, smtp_host="127.0.0.1", smtp_port=receiver.port, smtp_tls="none",
            smtp_from="oncall@example.org", handover_to="day-team@example.org, lead@example.org",
            secret_key="k" * 32,
        )  # fmt: skip
        morning = morning_config(settings, offline_outcome_links(settings))
        assert await morning_jobs(database.sessions, morning, day=SATURDAY, at=at(9, 9, 0))
        assert not await morning_jobs(database.sessions, morning, day=SATURDAY, at=at(9, 9, 5))
    finally:
        await receiver.close()
    [mail] = receiver.messages  # once, however many times the job runs
    assert mail["To"] == "day-team@example.org, lead@example.org"
    assert "night of Fri 08 Jan" in mail["Subject"]
    body = mail.get_body(("plain",))
    assert body is not None and "OOH-2027-00003" in body.get_content()
    [attachment] = list(mail.iter_attachments())
    csv_text = attachment.get_content()
    assert isinstance(csv_text, str)
    assert csv_text.count("OOH-2027-") == 2
    async with database.sessions() as session:
        kinds = list(await session.scalars(select(Event.kind).order_by(Event.seq)))
        reminded = list(
            await session.scalars(select(Alert.contact_id).where(Alert.kind == "no_outcome"))
        )
        texts = list(await session.scalars(select(OutboundMessage)))
        sw004 = await session.scalar(select(Person).where(Person.code == "sw004"))
        assert (await verify_chain(session)).ok
    # One reminder: an alert for managers, and a text with the outcome link to row 6's worker.
    assert kinds == ["alert.raised", "outcome.link_texted", "handover.prepared", "handover.emailed"]
    [text] = texts
    assert sw004 is not None and (text.to_number, text.contact_id) == (sw004.phone, ids[6])
    assert text.body.startswith("REMINDER OOH-0006 Police HQ 08:59 has no outcome yet. Record it:")
    token = text.body.split("/o/", 1)[1].split()[0]
    grant = read_outcome_token(signing_key(settings), token, now=at(9, 9, 0))
    assert (grant.contact_id, grant.person_id) == (ids[6], sw004.id)
    assert grant.expires_at == at(9, 9, 0) + timedelta(hours=settings.outcome_link_hours)
    # Row 2 already had a reminder; row 4's missed-call alert is still being dealt with.
    assert sorted(c or 0 for c in reminded) == sorted([ids[2], ids[6]])


async def test_the_scheduler_prepares_the_handover_at_nine(
    aiohttp_client: ClientFactory, database: Database
) -> None:
    await load_demo_data(database)
    async with database.sessions() as session:
        await write_night(session)
        contact = await session.scalar(select(Contact).where(Contact.reference.endswith("00001")))
        assert contact is not None
        contact.outcome_notes = "personal details"
        contact.received_at = at(1, 20, 0)  # a week old: past the one-day retention
        await session.commit()
    clock = ManualClock(at(9, 8, 0))
    settings = _settings(database, retention_days=1)
    client = await aiohttp_client(create_app(settings, clock=clock))
    manager = await client.post(
        "/login", data={"username": "manager", "password": "oncall-demo"}, allow_redirects=False
    )
    assert manager.status == 303
    await clock.advance(3600)  # 09:00 Saturday
    for _ in range(200):
        async with database.sessions() as session:
            done = await session.scalar(select(Event).where(Event.kind == "audit.redacted"))
        if done is not None:
            break
        await asyncio.sleep(0.02)
    assert done is not None and done.details["contacts"] >= 1
    page = await client.get("/audit/handover")
    html = await page.text()
    assert page.status == 200
    assert html.count("data-reference=") == 2
    csv_answer = await client.get("/audit/handover.csv?date=2027-01-09")
    assert (await csv_answer.text()).count("OOH-2027-") == 2
    async with database.sessions() as session:
        blanked = await session.get(Contact, contact.id)
        assert blanked is not None and blanked.outcome_notes == ""
        assert (await verify_chain(session)).ok
