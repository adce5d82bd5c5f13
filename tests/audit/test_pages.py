"""The audit pages over real calls: every routing event on the timeline, roles, read logging."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from oncall.db.models import Contact, Event
from oncall.domain.chain import verify_chain
from tests.audit.conftest import Client, anonymous, page_until, place_calls, signed_in
from tests.e2e.conftest import Service

PAGES = (
    "/audit", "/audit/contacts/1", "/audit/kpis", "/audit/report", "/audit/handover",
    "/audit/handover.csv", "/audit/export/contacts.csv", "/audit/export/events.csv",
    "/audit/events",
)  # fmt: skip
API = ("/api/v1/contacts", "/api/v1/contacts/1", "/api/v1/events")


async def test_every_event_of_a_call_is_on_its_timeline(service: Service, manager: Client) -> None:
    sids = await place_calls(service)
    async with service.database.sessions() as session:
        contacts = {c.provider_sid: c for c in await session.scalars(select(Contact))}
    assert set(sids) == set(contacts)
    listing = await manager.get("/audit")
    assert listing.status == 200
    html = await listing.text()
    for contact in contacts.values():
        assert contact.reference in html
    kinds: set[str] = set()
    for sid in sids:
        contact = contacts[sid]
        page = await manager.get(f"/audit/contacts/{contact.id}")
        assert page.status == 200
        html = await page.text()
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
        # The escalation engine may append more after the page was drawn; none may be missing.
        assert shown and shown == [e for e in own if e[0] <= shown[-1][0]]
        assert "matches its hash" in html
        kinds |= {k for _, k in shown}
    assert {"call.received", "caller.identified", "call.rang", "call.picked_up", "call.accepted",
            "call.connected", "call.ended", "call.duration", "call.not_answered",
            "call.unanswered", "alert.raised", "call.voicemail"} <= kinds  # fmt: skip


async def test_each_page_view_is_one_read_event_and_the_chain_still_holds(
    service: Service, manager: Client
) -> None:
    await place_calls(service)
    async with service.database.sessions() as session:
        contact_id = await session.scalar(select(func.min(Contact.id)))
    assert (await manager.get("/audit?line=police")).status == 200
    assert (await manager.get(f"/audit/contacts/{contact_id}")).status == 200
    second = await manager.get(f"/audit/contacts/{contact_id}")
    async with service.database.sessions() as session:
        reads = list(
            await session.scalars(
                select(Event).where(Event.kind == "audit.read").order_by(Event.seq)
            )
        )
        assert (await verify_chain(session)).ok
    assert [(r.actor, r.details["what"], r.contact_id) for r in reads] == [
        ("manager", "contacts list", None),
        ("manager", "contact timeline", contact_id),
        ("manager", "contact timeline", contact_id),
    ]
    assert reads[0].details["query"]["line"] == "police"
    log = await (await manager.get("/audit/events?kind=audit.*&actor=manager")).text()
    assert log.count('data-kind="audit.read"') == 3  # the three reads above, not this one yet
    assert "manager," in await second.text()  # who has read this record


async def test_workers_are_refused_and_anonymous_users_sent_to_sign_in(service: Service) -> None:
    worker = await signed_in(service, "worker")
    try:
        for path in PAGES:
            assert (await worker.get(path)).status == 403, path
        for path in API:
            assert (await worker.get(path)).status == 403, path
    finally:
        await worker.close()
    browser = anonymous(service)
    try:
        page = await browser.get("/audit", allow_redirects=False)
        assert page.status == 303 and page.headers["Location"].startswith("/login")
        for path in PAGES:
            page = await browser.get(path, allow_redirects=False)
            assert page.status == 303 and page.headers["Location"].startswith("/login"), path
        for path in API:
            assert (await browser.get(path)).status == 401, path
    finally:
        await browser.close()


async def test_verify_now_records_the_chain_state_shown_on_the_pages(
    service: Service, manager: Client
) -> None:
    await place_calls(service)
    before = await (await manager.get("/audit")).text()
    assert "never been verified" in before
    token = re.search(r'name="csrf_token" value="([^"]+)"', before)
    assert token is not None
    refused = await manager.post("/audit/verify", data={}, allow_redirects=False)
    assert refused.status == 403  # no CSRF token
    done = await manager.post(
        "/audit/verify", data={"csrf_token": token.group(1)}, allow_redirects=False
    )
    assert done.status == 303
    await page_until(manager, "/audit", "<strong>OK</strong>")
