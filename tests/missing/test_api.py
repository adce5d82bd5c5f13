"""GET /api/v1/missing-episodes: the audit's readers only, filters, no notes, one read event."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from oncall.app import create_app
from oncall.clock import ManualClock
from oncall.db.engine import Database
from oncall.db.models import Event, MissingEpisode
from oncall.domain.people import create_api_token
from oncall.settings import Settings
from tests.audit.night import write_night
from tests.missing.support import jan, seed_episodes
from tests.support import load_demo_data

ClientFactory = Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]]


async def test_the_episodes_api(aiohttp_client: ClientFactory, database: Database) -> None:
    await load_demo_data(database)
    tokens: dict[str, str] = {}
    async with database.sessions() as session:
        contacts = list((await write_night(session)).values())
        still, back = await seed_episodes(session, contacts)
        episode = await session.get(MissingEpisode, back)
        assert episode is not None
        episode.notes = "Found at a friend's house"
        for user in ("admin", "manager", "coordinator", "worker"):
            tokens[user] = await create_api_token(
                session, username=user, name="t", now=jan(9, 9, 0)
            )
        await session.commit()
    settings = Settings(database_url=database.engine.url.render_as_string(hide_password=False))
    client = await aiohttp_client(create_app(settings, clock=ManualClock(jan(10, 9, 0))))

    async def get(query: str, user: str = "manager") -> tuple[int, dict[str, Any]]:
        answer = await client.get(
            f"/api/v1/missing-episodes{query}", headers={"Authorization": f"Bearer {tokens[user]}"}
        )
        return answer.status, await answer.json()

    assert (await client.get("/api/v1/missing-episodes")).status == 401
    assert (await get("", "coordinator"))[0] == 403
    assert (await get("", "worker"))[0] == 403
    status, body = await get("")
    assert status == 200 and body["total"] == 2
    episodes = body["episodes"]
    assert [e["id"] for e in episodes] == [back, still]  # newest report first
    returned = episodes[0]
    assert returned["case_reference"] == "JY-700002" and returned["status"] == "returned"
    assert returned["minutes_missing"] == 180  # 23:00 (the call) to 02:00
    assert returned["contacts"] == ["OOH-2027-00003"]
    assert returned["interview"] == {
        "due_at": jan(12, 2, 0).isoformat(), "offered_at": jan(9, 9, 30).isoformat(),
        "result": None, "result_at": None, "overdue": False,
    }  # fmt: skip
    assert "notes" not in returned and "friend" not in str(body)
    assert [e["id"] for e in (await get("?status=open"))[1]["episodes"]] == [still]
    assert [e["id"] for e in (await get("?risk=low"))[1]["episodes"]] == [back]
    assert (await get("?from=2027-01-09&to=2027-01-09"))[1]["total"] == 0
    assert (await get("?from=2027-01-08&to=2027-01-08"))[1]["total"] == 2
    status, bad = await get("?risk=severe", "admin")
    assert status == 400 and bad["error"]["message"].startswith("risk:")
    async with database.sessions() as session:
        reads = list(await session.scalars(select(Event.details).where(Event.kind == "audit.read")))
    assert [r["what"] for r in reads] == ["missing episodes API"] * 5
    assert reads[1]["query"] == {"status": "open"}
