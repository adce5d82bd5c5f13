"""The Now page: duty per line and tier now and tonight, alerts, contacts, the chain check."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, timedelta

from sqlalchemy import select

from oncall.db.models import CallLeg, Contact, Event, Person, Tier
from oncall.domain.audit import record_verification, verify_and_record
from oncall.domain.chain import ChainBreak, ChainReport
from tests.support import JERSEY, ShiftSpec, publish_rota
from tests.ui.conftest import Site, csrf, landed

FRIDAY_5PM = datetime(2027, 1, 8, 17, 0, tzinfo=JERSEY)


async def _friday(site: Site) -> None:
    async with site.database.sessions() as session:
        await publish_rota(
            session,
            "2027-01",
            [
                ShiftSpec(
                    FRIDAY_5PM,
                    FRIDAY_5PM + timedelta(hours=16),
                    Tier.WORKER,
                    ["sw002", "sw004"],
                ),
                ShiftSpec(FRIDAY_5PM, FRIDAY_5PM + timedelta(hours=16), Tier.MANAGER, ["sm002"]),
            ],
        )
        await session.commit()


async def test_anonymous_visitors_are_sent_to_sign_in(site: Site) -> None:
    client = await site.client()
    response = await client.get("/now", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/login?next=/now"


async def test_the_board_shows_who_each_line_rings_now_and_tonight(site: Site) -> None:
    await _friday(site)
    await site.clock.set(datetime(2027, 1, 8, 20, 0, tzinfo=JERSEY))
    client = await site.client("coordinator")
    page = await client.get("/now")
    html = await page.text()
    assert page.status == 200
    assert "The out-of-hours service is answering" in html
    assert "Police HQ" in html or "police" in html.lower()
    assert html.count("(duty worker)") >= 2  # now and tonight, on each line
    assert "(senior manager)" in html
    assert "No open alerts." in html


async def _verifications(site: Site) -> list[Event]:
    async with site.database.sessions() as session:
        return list(
            await session.scalars(
                select(Event).where(Event.kind == "audit.verified").order_by(Event.seq)
            )
        )


async def _until_verified(site: Site, count: int) -> list[Event]:
    """The recorded verifications once there are `count` (the background task runs on)."""
    for _ in range(250):
        found = await _verifications(site)
        if len(found) >= count:
            return found
        await asyncio.sleep(0.02)
    raise AssertionError(f"no verification number {count} was recorded")


async def test_managers_see_when_the_chain_was_last_verified(site: Site) -> None:
    async with site.database.sessions() as session:  # as `oncall audit verify --record` does
        await verify_and_record(session, at=site.clock.now(), actor="")
        await session.commit()
    client = await site.client("manager")
    html = await (await client.get("/now")).text()
    assert 'id="chain"' in html and "verified intact" in html
    assert "verification running" not in html
    assert len(await _verifications(site)) == 1  # a fresh result: nothing walked again
    worker = await site.client("worker")
    assert 'id="chain"' not in await (await worker.get("/now")).text()

    # Older than ONCALL_CHAIN_VERIFY_MINUTES: the page starts one in the background and says so
    # honestly until it is recorded; the request itself never walks the chain.
    await site.clock.advance(site.settings.chain_verify_minutes * 60 + 1)
    client = await site.client("manager")
    html = await (await client.get("/now")).text()
    assert ("not verified since" in html and "verification running" in html) or (
        "verified intact" in html
    )
    later = await _until_verified(site, 2)
    assert later[1].actor == "" and later[1].details["ok"]  # by the service itself
    html = await (await client.get("/now")).text()
    assert "verified intact" in html and "not verified since" not in html
    assert len(await _verifications(site)) == 2  # one at a time, and only when stale


async def test_the_now_page_says_when_the_chain_was_not_verified(site: Site) -> None:
    site.settings = dataclasses.replace(site.settings, chain_verify_minutes=0)  # never by itself
    client = await site.client("manager")
    html = await (await client.get("/now")).text()
    assert "Response log not verified yet" in html and "verified intact" not in html
    async with site.database.sessions() as session:
        await verify_and_record(session, at=site.clock.now(), actor="")
        await session.commit()
    await site.clock.advance(3 * 24 * 3600)
    html = await (await client.get("/now")).text()
    assert "verified intact" in html  # with 0, a recorded verification never goes stale
    broken = ChainReport(5, 9, ChainBreak(1, site.clock.now(), "the stored hash differs"))
    async with site.database.sessions() as session:  # as a walk over an altered log records it
        await record_verification(session, broken, at=site.clock.now(), actor="")
        await session.commit()
    html = await (await client.get("/now")).text()
    assert "BROKEN</strong> at event 1: the stored hash differs" in html
    assert len(await _verifications(site)) == 2


async def _contact(site: Site, reference: str, rang: str | None) -> None:
    at = datetime(2027, 1, 8, 21, 0, tzinfo=JERSEY)
    async with site.database.sessions() as session:
        contact = Contact(
            reference=reference, short_ref=reference[-4:], channel="voice", caller_type="police",
            status="answered", received_at=at,
        )  # fmt: skip
        session.add(contact)
        await session.flush()
        if rang is not None:
            person = await session.scalar(select(Person.id).where(Person.code == rang))
            session.add(
                CallLeg(
                    contact_id=contact.id, attempt=1, person_id=person, number="+447797000000",
                    role="duty worker", result="accepted", rung_at=at,
                )
            )  # fmt: skip
        await session.commit()


async def test_a_worker_sees_only_the_contacts_they_were_rung_for(site: Site) -> None:
    await _contact(site, "OOH-2027-00001", "sw001")  # the demo worker
    await _contact(site, "OOH-2027-00002", "sw002")
    await site.clock.set(datetime(2027, 1, 8, 23, 0, tzinfo=JERSEY))
    worker = await (await (await site.client("worker")).get("/now")).text()
    assert "OOH-2027-00001" in worker and "OOH-2027-00002" not in worker
    coordinator = await (await (await site.client("coordinator")).get("/now")).text()
    assert "OOH-2027-00001" in coordinator and "OOH-2027-00002" in coordinator


async def test_a_coordinator_arranges_cover_for_tonight_and_the_lines_ring_them(site: Site) -> None:
    await _friday(site)
    await site.clock.set(datetime(2027, 1, 8, 19, 0, tzinfo=JERSEY))
    client = await site.client("coordinator")
    token = await csrf(client)
    bad = await client.post(
        "/now/overrides",
        data={"csrf_token": token, "tier": "worker", "person": "sw002", "replaces": "sw002",
              "start": "2027-01-08T19:00", "end": "2027-01-08T18:00", "reason": ""},
        allow_redirects=False,
    )  # fmt: skip
    where = await landed(client, bad)
    assert "Cover not recorded" in where and "replaces:" in where and "end:" in where
    good = await client.post(
        "/now/overrides",
        data={"csrf_token": token, "tier": "worker", "person": "sw007", "replaces": "sw002",
              "start": "2027-01-08T19:00", "end": "2027-01-09T09:00", "reason": "sickness"},
        allow_redirects=False,
    )  # fmt: skip
    assert "Cover recorded" in await landed(client, good)
    async with site.database.sessions() as session:
        name = await session.scalar(select(Person.name).where(Person.code == "sw007"))
        kinds = list(await session.scalars(select(Event.kind)))
    html = await (await client.get("/now")).text()
    assert f'<li>{name} <span class="muted">(duty worker)</span></li>' in html
    assert 'id="overrides"' in html and "duty.override_added" in kinds
    worker = await site.client("worker")
    assert (await worker.post("/now/overrides", data={"csrf_token": token})).status == 403
