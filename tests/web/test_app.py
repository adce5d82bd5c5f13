"""The app skeleton: health, readiness, the start page, JSON errors under /api/, request ids."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from aiohttp import web
from aiohttp.test_utils import TestClient

from oncall.app import create_app
from oncall.clock import ManualClock
from oncall.db.engine import Database
from oncall.domain.errors import Conflict, DomainError, Invalid, NotFound
from oncall.domain.setup import load_demo
from oncall.settings import Settings

ClientFactory = Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]]
NOW = datetime(2027, 1, 8, 23, 0, tzinfo=UTC)


async def test_health_and_readiness(aiohttp_client: ClientFactory, db_url: str) -> None:
    client = await aiohttp_client(create_app(Settings(database_url=db_url)))
    health = await client.get("/healthz")
    assert health.status == 200 and (await health.json()) == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status == 200 and (await ready.json())["database"] == "ok"
    assert health.headers["X-Request-Id"]


async def test_readiness_fails_when_the_database_is_gone(aiohttp_client: ClientFactory) -> None:
    settings = Settings(database_url="postgresql+asyncpg://nobody@127.0.0.1:9/none")
    client = await aiohttp_client(create_app(settings))
    assert (await client.get("/healthz")).status == 200
    ready = await client.get("/readyz")
    assert ready.status == 503
    body = await ready.json()
    assert body["status"] == "unavailable" and "nobody" not in body["database"]


async def test_start_page_shows_lines_and_staff(aiohttp_client: ClientFactory, db_url: str) -> None:
    db = Database.connect(db_url)
    async with db.sessions() as session:
        await load_demo(session, now=NOW, zone=ZoneInfo("Europe/Jersey"), anchor=date(2027, 1, 1))
        await session.commit()
    await db.dispose()
    app = create_app(Settings(database_url=db_url), clock=ManualClock(NOW))
    client = await aiohttp_client(app)
    page = await client.get("/")
    text = await page.text()
    assert page.status == 200
    assert "Police HQ" in text and "+44 1534 700103" in text
    assert "30 first-line workers, 8 senior managers" in text
    assert "Fri 8 Jan 2027 23:00" in text
    css = await client.get("/static/app.css")
    assert css.status == 200


async def test_api_errors_are_json(aiohttp_client: ClientFactory, db_url: str) -> None:
    client = await aiohttp_client(create_app(Settings(database_url=db_url)))
    missing = await client.get("/api/v1/no-such-thing")
    assert missing.status == 404
    assert (await missing.json())["error"]["status"] == 404
    page = await client.get("/no-such-page")
    assert page.status == 404 and page.content_type != "application/json"


async def test_domain_refusals_map_to_http_in_one_place(
    aiohttp_client: ClientFactory, db_url: str
) -> None:
    refusals: dict[str, DomainError] = {
        "invalid": Invalid("month", "expected YYYY-MM"),
        "missing": NotFound("no such contact"),
        "conflict": Conflict("version: 2027-01 version 2 is published"),
    }

    async def refuse(request: web.Request) -> web.Response:
        raise refusals[request.match_info["what"]]

    app = create_app(Settings(database_url=db_url))
    app.router.add_get("/api/v1/refuse/{what}", refuse)
    app.router.add_get("/refuse/{what}", refuse)
    client = await aiohttp_client(app)
    for what, status in (("invalid", 400), ("missing", 404), ("conflict", 409)):
        answer = await client.get(f"/api/v1/refuse/{what}")
        assert answer.status == status
        assert (await answer.json())["error"] == {"status": status, "message": str(refusals[what])}
        plain = await client.get(f"/refuse/{what}")
        assert plain.status == status and str(refusals[what]) in await plain.text()
    page = await client.get("/refuse/missing", headers={"Accept": "text/html"})
    assert page.status == 404 and page.content_type == "text/html"
    assert "Not found" in await page.text() and "no such contact" in await page.text()


async def test_a_sane_request_id_is_kept(aiohttp_client: ClientFactory, db_url: str) -> None:
    client = await aiohttp_client(create_app(Settings(database_url=db_url)))
    kept = await client.get("/healthz", headers={"X-Request-Id": "abc123"})
    assert kept.headers["X-Request-Id"] == "abc123"
    replaced = await client.get("/healthz", headers={"X-Request-Id": "<script>"})
    assert replaced.headers["X-Request-Id"] != "<script>"
