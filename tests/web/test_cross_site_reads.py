"""A link on another site must not make a manager's browser read the audit log under their name
(issue 14: L6): such a navigation is refused and no `audit.read` is written."""

from __future__ import annotations

from sqlalchemy import func, select

from oncall.db.models import Event
from oncall.domain.chain import EventKind
from oncall.domain.people import create_api_token
from tests.audit.conftest import anonymous, signed_in
from tests.audit.night import at, write_night
from tests.e2e.conftest import Service
from tests.e2e.conftest import service as service  # the fixture

EVIL = "https://evil.example/innocent-looking-page"


async def _reads(service: Service) -> int:
    async with service.database.sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(Event).where(Event.kind == EventKind.AUDIT_READ)
        )
    return int(count or 0)


async def _a_contact(service: Service) -> int:
    async with service.database.sessions() as session:
        ids = await write_night(session)
        await session.commit()
    return next(iter(ids.values()))


async def test_a_cross_site_link_to_an_audit_page_is_refused_and_records_no_read(
    service: Service,
) -> None:
    contact = await _a_contact(service)
    path = f"/audit/contacts/{contact}"
    manager = await signed_in(service, "manager")
    try:
        before = await _reads(service)
        for sent_by_another_site in (
            {"Referer": EVIL},  # plain http: the Referer is what there is
            {"Sec-Fetch-Site": "cross-site", "Referer": EVIL},
            {"Sec-Fetch-Site": "same-site"},  # another subdomain is another site
        ):
            answer = await manager.get(
                path, headers={"Accept": "text/html", **sent_by_another_site}
            )
            page = await answer.text()
            assert answer.status == 403, sent_by_another_site
            assert "opened from another site" in page and f'href="{path}"' in page
        assert await _reads(service) == before  # nothing recorded under the manager's name
        # Following the page's own link (this site now) shows it, and records the one read.
        for ours in ({"Referer": service.url("/audit")}, {"Sec-Fetch-Site": "same-origin"}, {}):
            answer = await manager.get(path, headers={"Accept": "text/html", **ours})
            assert answer.status == 200, ours
        assert await _reads(service) == before + 3
        # The JSON API with the browser's cookie: the same rule, in JSON.
        api = await manager.get("/api/v1/contacts", headers={"Sec-Fetch-Site": "cross-site"})
        assert api.status == 403 and (await api.json())["error"]["status"] == 403
        assert await _reads(service) == before + 3
    finally:
        await manager.close()


async def test_an_api_token_is_not_a_browser_and_reads_as_before(service: Service) -> None:
    async with service.database.sessions() as session:
        token = await create_api_token(session, username="manager", name="t", now=at(9, 9, 0))
        await session.commit()
    automation = anonymous(service)  # no session: the bearer token is the identity
    try:
        before = await _reads(service)
        answer = await automation.get(
            "/api/v1/contacts", headers={"Authorization": f"Bearer {token}", "Referer": EVIL}
        )
        assert answer.status == 200
        assert await _reads(service) == before + 1
    finally:
        await automation.close()
