"""/api/v1/contacts and /api/v1/events: tokens, filters, pages, one read event per request."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import select, text

from oncall.app import create_app
from oncall.clock import ManualClock
from oncall.db.engine import Database
from oncall.db.models import Event
from oncall.domain.chain import EventKind, append_event, verify_chain
from oncall.domain.people import create_api_token
from oncall.settings import Settings
from tests.audit.night import at, write_night
from tests.support import load_demo_data

ClientFactory = Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]]


async def test_contacts_and_events_api(aiohttp_client: ClientFactory, database: Database) -> None:
    await load_demo_data(database)
    async with database.sessions() as session:
        ids = await write_night(session)
        admin = await create_api_token(session, username="admin", name="t", now=at(9, 9, 0))
        worker = await create_api_token(session, username="worker", name="t", now=at(9, 9, 0))
        await session.commit()
    settings = Settings(database_url=database.engine.url.render_as_string(hide_password=False))
    client = await aiohttp_client(create_app(settings, clock=ManualClock(at(10, 9, 0))))
    auth = {"Authorization": f"Bearer {admin}"}
    assert (await client.get("/api/v1/contacts")).status == 401
    refused = await client.get("/api/v1/events", headers={"Authorization": f"Bearer {worker}"})
    assert refused.status == 403
    missed = await client.get(
        "/api/v1/contacts?from=2027-01-08&to=2027-01-09&missed=1", headers=auth
    )
    assert missed.status == 200
    body = await missed.json()
    assert [c["reference"] for c in body["contacts"]] == ["OOH-2027-00005", "OOH-2027-00004"]
    assert body["total"] == 2 and body["contacts"][0]["escalated"] is True
    paged = await client.get(
        "/api/v1/contacts?from=2027-01-08&to=2027-01-09&page_size=3&page=3", headers=auth
    )
    page3 = await paged.json()
    assert (page3["total"], page3["pages"], len(page3["contacts"])) == (9, 3, 3)
    bad = await client.get("/api/v1/contacts?from=yesterday", headers=auth)
    assert bad.status == 400 and "from:" in (await bad.json())["error"]["message"]
    for field in ("line", "agency"):  # an enum column's filter: a value it cannot hold is named
        unknown = await client.get(f"/api/v1/contacts?{field}=%C2%A2", headers=auth)
        assert unknown.status == 400, field
        assert (await unknown.json())["error"]["message"].startswith(f"{field}:")
    police = await client.get("/api/v1/contacts?line=police&agency=police", headers=auth)
    assert police.status == 200  # a read like any other: logged
    one = await client.get(f"/api/v1/contacts/{ids[3]}", headers=auth)
    detail = await one.json()
    assert detail["reference"] == "OOH-2027-00003" and detail["chain_ok"] is True
    assert detail["events"] == []  # written straight to the tables: no events of its own
    assert (await client.get("/api/v1/contacts/999999", headers=auth)).status == 404
    first = await (await client.get("/api/v1/events?limit=3", headers=auth)).json()
    assert [e["seq"] for e in first["events"]] == [1, 2, 3]
    after = first["next_after_seq"]
    rest = await (
        await client.get(f"/api/v1/events?after_seq={after}&kind=audit.*", headers=auth)
    ).json()
    assert all(e["kind"] == "audit.read" for e in rest["events"])
    assert rest["next_after_seq"] is None
    async with database.sessions() as session:
        reads = list(
            await session.scalars(
                select(Event.details).where(Event.kind == "audit.read").order_by(Event.seq)
            )
        )
        assert (await verify_chain(session)).ok
    assert [r["what"] for r in reads] == [
        "contacts API", "contacts API", "contacts API", "contact API", "events API", "events API",
    ]  # fmt: skip


async def test_a_tampered_event_shows_on_the_timeline_and_in_the_chain_state(
    aiohttp_client: ClientFactory, database: Database
) -> None:
    await load_demo_data(database)
    async with database.sessions() as session:
        ids = await write_night(session)
        for i in range(4):
            await append_event(
                session, kind=EventKind.CALL_RANG, at=at(8, 23, 0, i), contact_id=ids[3],
                details={"attempt": i + 1, "person": "sw002", "role": "duty worker"},
            )  # fmt: skip
        token = await create_api_token(session, username="manager", name="t", now=at(9, 9, 0))
        await session.commit()
    async with database.engine.begin() as conn:  # an intruder with database access
        if database.is_sqlite:
            await conn.execute(text("DROP TRIGGER events_no_update"))
        else:
            await conn.execute(text("SET LOCAL session_replication_role = replica"))
        await conn.execute(text("UPDATE events SET kind = 'call.declined' WHERE seq = 3"))
    settings = Settings(database_url=database.engine.url.render_as_string(hide_password=False))
    client = await aiohttp_client(create_app(settings, clock=ManualClock(at(10, 9, 0))))
    auth = {"Authorization": f"Bearer {token}"}
    page = await (await client.get(f"/audit/contacts/{ids[3]}", headers=auth)).text()
    assert "Event 3 of this contact does not verify" in page
    assert "never been verified" in page
    verified = await client.post("/audit/verify", headers=auth, allow_redirects=False)
    assert verified.status == 303
    for _ in range(250):  # the verification runs in the background
        listing = await (await client.get("/audit", headers=auth)).text()
        if "BROKEN at event 3" in listing:
            break
        await asyncio.sleep(0.02)
    assert "BROKEN at event 3" in listing
