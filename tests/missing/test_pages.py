"""The missing screens: open, correct, return and interview on the web; the pack as page, CSV and
PDF; the dashboard for managers and admins; MISSING and FOUND from the outcome link."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from oncall.clock import ManualClock
from oncall.db.engine import Database
from oncall.db.models import Alert, Event, MissingEpisode
from oncall.domain.missing import open_episode, record_return
from oncall.domain.outcomes import outcome_link
from oncall.settings import Settings
from oncall.wiring import signing_key
from tests.e2e.conftest import publish_friday_night
from tests.missing.support import RULES, WEB, jan, person, police_contact
from tests.support import load_demo_data
from tests.ui.conftest import Client, ClientFactory, Site, csrf

SATURDAY = jan(9, 10, 0)


@pytest.fixture
async def site(aiohttp_client: ClientFactory, database: Database) -> Site:
    await load_demo_data(database)
    await publish_friday_night(database)
    settings = Settings(
        database_url=database.engine.url.render_as_string(hide_password=False),
        secret_key="s" * 40,
    )
    return Site(aiohttp_client, database, ManualClock(SATURDAY), settings)


async def _notice(client: Client, location: str) -> str:
    """The one-time notice the page at `location` shows (kept in the session, not the URL)."""
    import html
    import re

    page = await (await client.get(location)).text()
    found = re.search(r'<p class="notice" role="status">(.*?)</p>', page, re.S)
    return html.unescape(found[1]) if found else ""


async def _post(client: Client, path: str, data: dict[str, str]) -> tuple[str, str]:
    """Post a form as the page would (with the CSRF token); (where it went, its notice)."""
    token = await csrf(client, "/missing/new")
    answer = await client.post(path, data={"csrf_token": token, **data}, allow_redirects=False)
    assert answer.status == 303, await answer.text()
    location = answer.headers["Location"]
    assert "notice=" not in location
    return location.split("?")[0], await _notice(client, location)


async def _episodes(database: Database) -> int:
    async with database.sessions() as session:
        return await session.scalar(select(func.count()).select_from(MissingEpisode)) or 0


async def test_a_coordinator_opens_corrects_returns_and_offers_the_interview(site: Site) -> None:
    client = await site.client("coordinator")
    assert (await client.get("/missing/new")).status == 200
    where, said = await _post(client, "/missing/new", {"case_reference": "Lucy Smith",
                                                      "risk": "high"})  # fmt: skip
    assert where == "/missing/new" and said.startswith("Not opened: case_reference: not in the")
    assert "Lucy" not in said and await _episodes(site.database) == 0
    where, said = await _post(
        client, "/missing/new",
        {"case_reference": "jy-204871", "risk": "high", "missing_from": "foster_placement",
         "reported_at": "2027-01-08T23:10", "contact": "", "notes": "Known to go to the harbour"},
    )  # fmt: skip
    assert said == "Episode opened. The senior manager on call is being alerted."
    episode = int(where.rsplit("/", 1)[1])
    page = await (await client.get(where)).text()
    assert "case JY-204871" in page and "still missing" in page and "harbour" in page

    _, said = await _post(client, f"/missing/{episode}/edit",
                          {"risk": "medium", "notes": "Seen near the harbour"})  # fmt: skip
    assert said == "Saved."
    returned = {"returned_at": "2027-01-09T02:40", "return_place": "placement"}
    _, said = await _post(client, f"/missing/{episode}/return", returned)
    assert said == "Return recorded. The return home interview is due by Tue 12 Jan 02:40."
    _, said = await _post(client, f"/missing/{episode}/return", {"returned_at": ""})
    assert said.startswith("Return not recorded: the episode is returned")

    tasks = await (await client.get("/missing/interviews")).text()
    assert f'data-episode="{episode}"' in tasks and "Tue 12 Jan 2027 02:40" in tasks
    where, said = await _post(
        client, f"/missing/{episode}/interview",
        {"step": "offered", "on": "2027-01-09T09:30", "back": "/missing/interviews"},
    )  # fmt: skip
    assert where == "/missing/interviews"
    assert said == "Return home interview of JY-204871 recorded as offered."
    assert f'data-episode="{episode}"' not in await (await client.get("/missing/interviews")).text()
    listing = await (await client.get("/missing?status=returned")).text()
    assert "JY-204871" in listing and "offered" in listing
    async with site.database.sessions() as session:
        kinds = list(
            await session.scalars(
                select(Event.kind).where(Event.kind.like("missing.%")).order_by(Event.seq)
            )
        )
        alerts = list(await session.scalars(select(Alert.kind)))
    assert kinds == ["missing.opened", "missing.updated", "missing.returned", "missing.interview"]
    assert alerts == ["missing_high"]
    worker = await site.client("worker")
    assert (await worker.get("/missing")).status == 403


async def test_the_pack_is_a_page_a_csv_and_a_pdf(site: Site) -> None:
    async with site.database.sessions() as session:
        opened = await open_episode(
            session, RULES, case_reference="JY-000001", risk="medium", by=WEB, at=jan(8, 23, 20),
            reported_at=jan(8, 23, 10),
        )  # fmt: skip
        await record_return(
            session, RULES, opened.episode, returned_at=jan(9, 2, 40), by=WEB, at=jan(9, 2, 45)
        )
        await open_episode(
            session, RULES, case_reference="JY-000002", risk="high", by=WEB, at=jan(8, 21, 0)
        )
        await session.commit()
    client = await site.client("coordinator")
    page = await (await client.get("/missing/pack")).text()  # this morning's, by default
    assert "Missing meeting pack for Sat 09 Jan 2027" in page
    still = page[page.index('id="still"') : page.index('id="returned"')]
    back = page[page.index('id="returned"') : page.index('id="due"')]
    assert "JY-000002" in still and "JY-000001" not in still
    assert "JY-000001" in back and "Tue 12 Jan 2027 02:40" in back
    rows = list(csv.reader(io.StringIO(await (await client.get("/missing/pack.csv")).text())))
    assert [r[:2] for r in rows[1:]] == [["still missing", "JY-000002"],
                                         ["returned overnight", "JY-000001"]]  # fmt: skip
    pdf = await client.get("/missing/pack.pdf?date=2027-01-09")
    assert pdf.status == 200 and (await pdf.read()).startswith(b"%PDF")
    assert (await client.get("/missing/pack?date=yesterday")).status == 400
    async with site.database.sessions() as session:
        reads = list(await session.scalars(select(Event.details).where(Event.kind == "audit.read")))
    assert [r["what"] for r in reads] == [
        "missing meeting pack", "missing meeting pack (CSV)", "missing meeting pack (PDF)",
    ]  # fmt: skip


async def test_the_dashboard_is_for_managers_and_admins(site: Site) -> None:
    async with site.database.sessions() as session:
        opened = await open_episode(
            session, RULES, case_reference="JY-000001", risk="high", by=WEB, at=jan(8, 23, 20),
            reported_at=jan(8, 23, 10),
        )  # fmt: skip
        await record_return(
            session, RULES, opened.episode, returned_at=jan(9, 2, 40), by=WEB, at=jan(9, 2, 45)
        )
        await session.commit()
    assert (await (await site.client("coordinator")).get("/missing/dashboard")).status == 403
    manager = await site.client("manager")
    page = await (await manager.get("/missing/dashboard?from=2027-01-04&to=2027-01-10")).text()
    assert page.count("<svg") == 2
    assert re.search(r'data-figure="median_missing">3 h 30 min<', page)
    assert re.search(r'data-figure="median_first_action">10 min<', page)  # 23:10 to 23:20
    answer = await manager.get("/missing/dashboard.csv?from=2027-01-04&to=2027-01-10")
    figures = dict(csv.reader(io.StringIO(await answer.text())))
    assert figures["median_minutes_missing"] == "210" and figures["episodes"] == "1"
    bad = await manager.get("/missing/dashboard?from=2027-01-10&to=2027-01-04")
    assert bad.status == 400


async def test_the_outcome_link_records_a_missing_child_and_the_return(site: Site) -> None:
    async with site.database.sessions() as session:
        contact = await police_contact(session, jan(9, 1, 0))
        worker = await person(session, "sw002")
        await session.commit()
    url = outcome_link(
        signing_key(site.settings), "", contact.id, worker.id, SATURDAY + timedelta(hours=6)
    )
    client = await site.client()
    page = await (await client.get(url)).text()
    assert "A child missing from home or care" in page
    refused = await client.post(f"{url}/missing", data={"action": "open",
                                "case_reference": "12-AB", "risk": "high"})  # fmt: skip
    assert (
        refused.status == 400 and "case_reference: not in the expected form" in await refused.text()
    )
    saved = await client.post(f"{url}/missing", data={"action": "open",
                              "case_reference": "JY-900001", "risk": "high"})  # fmt: skip
    text = await saved.text()
    assert saved.status == 200
    assert "Missing episode recorded. The senior manager on call is being alerted." in text
    episode = int(re.findall(r'name="episode" value="(\d+)"', text)[0])
    await site.clock.advance(3600)
    back = await client.post(f"{url}/missing", data={"action": "found", "episode": str(episode)})
    assert back.status == 200
    assert (
        "Return recorded. The return home interview is due by Tue 12 Jan 11:00."
        in await back.text()
    )
    async with site.database.sessions() as session:
        stored = await session.get(MissingEpisode, episode)
        event = await session.scalar(select(Event).where(Event.kind == "missing.opened"))
    assert stored is not None and stored.status == "returned" and stored.opened_via == "link"
    assert event is not None and event.actor == "sw002" and event.contact_id == contact.id
