"""Sign-in, sessions, API tokens and roles on the on-duty API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from aiohttp import web
from aiohttp.test_utils import TestClient

from oncall.app import create_app
from oncall.clock import ManualClock
from oncall.db.engine import Database
from oncall.db.models import Tier
from oncall.domain.people import create_api_token
from oncall.settings import Settings
from oncall.web.auth import (
    SESSION_SECONDS,
    make_device_cookie,
    make_session_cookie,
    read_device_cookie,
    read_session_cookie,
)
from tests.support import JERSEY, ShiftSpec, load_demo_data, publish_rota

ClientFactory = Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]]
NIGHT = datetime(2027, 1, 8, 23, 0, tzinfo=JERSEY)


async def _client(
    aiohttp_client: ClientFactory, database: Database
) -> TestClient[web.Request, web.Application]:
    settings = Settings(database_url=database.engine.url.render_as_string(hide_password=False))
    return await aiohttp_client(create_app(settings, clock=ManualClock(NIGHT)))


async def _token(database: Database, username: str) -> str:
    async with database.sessions() as session:
        token = await create_api_token(session, username=username, name="test", now=NIGHT)
        await session.commit()
    return token


async def test_sign_in_sets_a_session_and_wrong_passwords_are_throttled(
    aiohttp_client: ClientFactory, database: Database
) -> None:
    await load_demo_data(database)
    client = await _client(aiohttp_client, database)
    page = await client.get("/login")
    assert page.status == 200 and 'name="password"' in await page.text()
    for _ in range(5):
        wrong = await client.post("/login", data={"username": "admin", "password": "nope"})
        assert wrong.status == 401
    blocked = await client.post(
        "/login", data={"username": "admin", "password": "oncall-demo"}, allow_redirects=False
    )
    assert blocked.status == 429


async def test_a_good_sign_in_redirects_only_within_the_site(
    aiohttp_client: ClientFactory, database: Database
) -> None:
    await load_demo_data(database)
    client = await _client(aiohttp_client, database)
    ok = await client.post(
        "/login",
        data={"username": "manager", "password": "oncall-demo", "next": "//evil.example/x"},
        allow_redirects=False,
    )
    assert ok.status == 303
    assert ok.headers["Location"] == "/"
    cookie = ok.cookies["oncall_session"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    duty = await client.get("/api/v1/on-duty")  # the session cookie works for the API too
    assert duty.status == 200


async def test_session_cookies_cannot_be_forged_or_outlive_their_time() -> None:
    secret = b"k" * 32
    cookie = make_session_cookie(secret, 7, "session-id", now=1000.0)
    assert read_session_cookie(secret, cookie, now=1001.0) == (7, "session-id")
    assert read_session_cookie(secret, cookie, now=1000.0 + SESSION_SECONDS + 1) is None
    assert read_session_cookie(b"x" * 32, cookie, now=1001.0) is None
    payload, signature = cookie.split(".")
    assert read_session_cookie(secret, payload + "." + "0" * len(signature), now=1001.0) is None
    assert read_session_cookie(secret, "garbage", now=1001.0) is None


async def test_on_duty_api_needs_a_token_with_the_right_role(
    aiohttp_client: ClientFactory, database: Database
) -> None:
    await load_demo_data(database)
    start = datetime(2027, 1, 8, 17, 0, tzinfo=JERSEY)
    async with database.sessions() as session:
        await publish_rota(
            session,
            "2027-01",
            [
                ShiftSpec(start, start + timedelta(hours=16), Tier.WORKER, ["sw002", "sw004"]),
                ShiftSpec(start, start + timedelta(days=3), Tier.MANAGER, ["sm002"]),
            ],
        )
        await session.commit()
    client = await _client(aiohttp_client, database)
    anonymous = await client.get("/api/v1/on-duty")
    assert anonymous.status == 401
    assert (await anonymous.json())["error"]["status"] == 401
    worker = await client.get(
        "/api/v1/on-duty", headers={"Authorization": f"Bearer {await _token(database, 'worker')}"}
    )
    assert worker.status == 403
    admin = {"Authorization": f"Bearer {await _token(database, 'admin')}"}
    answer = await client.get("/api/v1/on-duty?at=2027-01-08T23:30:00Z", headers=admin)
    assert answer.status == 200
    body = await answer.json()
    assert [p["code"] for p in body["tiers"]["worker"]] == ["sw002", "sw004"]
    assert [p["code"] for p in body["tiers"]["manager"]] == ["sm002"]
    assert body["out_of_hours"] is True
    foster = next(line for line in body["lines"] if line["name"] == "Foster carers")
    assert [t["code"] for t in foster["ringing_order"]] == ["sw004", "sw002", "sm002"]
    bad = await client.get("/api/v1/on-duty?at=yesterday", headers=admin)
    assert bad.status == 400
    assert "at:" in (await bad.json())["error"]["message"]
    naive = await client.get("/api/v1/on-duty?at=2027-01-08T23:30:00", headers=admin)
    assert naive.status == 400
    forged = await client.get("/api/v1/on-duty", headers={"Authorization": "Bearer oc_forged"})
    assert forged.status == 401


async def test_signing_out_needs_the_page_s_csrf_token(
    aiohttp_client: ClientFactory, database: Database
) -> None:
    import re

    await load_demo_data(database)
    client = await _client(aiohttp_client, database)
    await client.post("/login", data={"username": "worker", "password": "oncall-demo"})
    forged = await client.post("/logout", allow_redirects=False)  # as a cross-site form would
    assert forged.status == 403
    page = await (await client.get("/")).text()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    signed_out = await client.post(
        "/logout", data={"csrf_token": token.group(1)}, allow_redirects=False
    )
    assert signed_out.status == 303
    assert (await client.get("/api/v1/on-duty")).status == 401


def test_secret_links_are_not_logged() -> None:
    from oncall.web.middleware import loggable_path

    assert loggable_path("/outcome/eyJhbGciOi.secret") == "/outcome/…"
    assert loggable_path("/rota/2027-01") == "/rota/2027-01"


def test_a_device_cookie_is_its_user_s_own_and_never_a_session_cookie() -> None:
    secret = b"k" * 32
    device = make_device_cookie(secret, "Worker", "dev-1", now=1000.0)
    assert read_device_cookie(secret, device, "worker", now=1001.0) == "dev-1"
    assert read_device_cookie(secret, device, "manager", now=1001.0) is None  # another name
    assert read_device_cookie(b"x" * 32, device, "worker", now=1001.0) is None
    assert read_device_cookie(secret, device, "worker", now=1000.0 + 181 * 86400) is None
    # Signed under keys of their own: neither passes as the other.
    assert read_session_cookie(secret, device, now=1001.0) is None
    session = make_session_cookie(secret, 7, "s", now=1000.0)
    assert read_device_cookie(secret, session, "worker", now=1001.0) is None
