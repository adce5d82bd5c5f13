"""Links handed to a person stop working when the person is deactivated or their user disabled
(issue 14: L3 outcome links, L4 calendar feeds), before they expire or are revoked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select, update

from oncall import keys
from oncall.app import create_app
from oncall.clock import ManualClock
from oncall.db.engine import Database
from oncall.db.models import Contact, Event, Person
from oncall.domain.people import set_user_active
from oncall.domain.rota import new_token
from oncall.settings import Settings
from tests.audit.night import write_night
from tests.support import JERSEY, load_demo_data

ClientFactory = Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]]
Client = TestClient[web.Request, web.Application]
NIGHT = datetime(2027, 1, 10, 9, 0, tzinfo=JERSEY)


@pytest.fixture
async def client(aiohttp_client: ClientFactory, database: Database) -> Client:
    await load_demo_data(database)
    url = database.engine.url.render_as_string(hide_password=False)
    settings = Settings(database_url=url, secret_key="k" * 40)
    return await aiohttp_client(create_app(settings, clock=ManualClock(NIGHT)))


async def _person(database: Database, code: str) -> int:
    async with database.sessions() as session:
        person_id = await session.scalar(select(Person.id).where(Person.code == code))
    assert person_id is not None
    return person_id


async def _outcome_link(client: Client, database: Database, code: str) -> tuple[str, int]:
    """A fresh outcome link for `code` and a contact of the night: (its path, the contact)."""
    async with database.sessions() as session:
        contact = next(iter((await write_night(session)).values()))
        await session.commit()
    url = client.app[keys.OUTCOME_LINKS].url(contact, await _person(database, code), now=NIGHT)
    return url.split("://", 1)[1].split("/", 1)[1], contact


async def _post_outcome(client: Client, path: str) -> int:
    answer = await client.post("/" + path, data={"category": "no_action", "notes": "x"})
    return answer.status


async def _recorded(database: Database, contact: int) -> tuple[str | None, int]:
    async with database.sessions() as session:
        row = await session.get(Contact, contact)
        events = await session.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.contact_id == contact, Event.kind == "outcome.recorded")
        )
    assert row is not None
    return row.outcome, int(events or 0)


async def test_an_outcome_link_dies_with_its_person(client: Client, database: Database) -> None:
    path, contact = await _outcome_link(client, database, "sw015")
    assert (await client.get("/" + path)).status == 200
    before = await _recorded(database, contact)
    async with database.sessions() as session:  # sw015 leaves: deactivated on the staff list
        await session.execute(update(Person).where(Person.code == "sw015").values(active=False))
        await session.commit()
    page = await client.get("/" + path)
    assert page.status == 410 and "no longer valid" in await page.text()
    assert await _post_outcome(client, path) == 410
    assert await _recorded(database, contact) == before  # nothing saved as sw015


async def test_an_outcome_link_dies_when_its_person_s_user_is_disabled(
    client: Client, database: Database
) -> None:
    path, contact = await _outcome_link(client, database, "sw001")  # the demo user "worker"
    assert (await client.get("/" + path)).status == 200
    before = await _recorded(database, contact)
    async with database.sessions() as session:
        await set_user_active(session, username="worker", active=False, now=NIGHT, actor="test")
        await session.commit()
    assert (await client.get("/" + path)).status == 410
    assert await _post_outcome(client, path) == 410
    assert await _recorded(database, contact) == before


@pytest.mark.parametrize("how", ["user disabled", "person deactivated"])
async def test_a_calendar_feed_dies_with_its_owner(
    client: Client, database: Database, how: str
) -> None:
    async with database.sessions() as session:
        token = await new_token(session, await _person(database, "sw001"), now=NIGHT)
        await session.commit()
    feed = await client.get("/calendar.ics", params={"token": token})
    assert feed.status == 200 and (await feed.text()).startswith("BEGIN:VCALENDAR")
    async with database.sessions() as session:
        if how == "user disabled":  # `oncall user disable worker`
            await set_user_active(session, username="worker", active=False, now=NIGHT, actor="t")
        else:
            await session.execute(update(Person).where(Person.code == "sw001").values(active=False))
        await session.commit()
    gone = await client.get("/calendar.ics", params={"token": token})
    assert gone.status == 404 and "BEGIN:VEVENT" not in await gone.text()
