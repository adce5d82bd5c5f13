"""Page tests: the app on a test client with the demo data, signed in as a demo user."""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient

from oncall.app import create_app
from oncall.clock import ManualClock
from oncall.db.engine import Database
from oncall.settings import Settings
from tests.support import load_demo_data

ClientFactory = Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]]
Client = TestClient[web.Request, web.Application]
# Before January 2027 is worked: a repair of January freezes nothing.
DECEMBER = datetime(2026, 12, 20, 12, 0, tzinfo=UTC)
PASSWORD = "oncall-demo"
_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


@dataclass
class Site:
    """The app, its database and clock; `client(user)` signs a fresh client in."""

    factory: ClientFactory
    database: Database
    clock: ManualClock
    settings: Settings
    app: web.Application | None = None

    client_: Client | None = None

    async def client(self, username: str | None = None) -> Client:
        """The one test client (an app starts once), signed in as `username` (or nobody)."""
        if self.client_ is None:
            self.app = create_app(self.settings, clock=self.clock)
            self.client_ = await self.factory(self.app)
        client = self.client_
        client.session.cookie_jar.clear()
        if username is not None:
            response = await client.post(
                "/login", data={"username": username, "password": PASSWORD}, allow_redirects=False
            )
            assert response.status == 303, await response.text()
        return client


_NOTICE = re.compile(r'<p class="notice" role="status">(.*?)</p>', re.S)


async def landed(client: Client, response: ClientResponse) -> str:
    """Where a form post sent the browser, and the one-time notice that page shows (notices are
    kept in the session, not the URL): "<location> <notice>"."""
    location = response.headers["Location"]
    page = await (await client.get(location)).text()
    found = _NOTICE.search(page)
    return f"{location} {html.unescape(found[1]) if found else ''}"


async def csrf(client: Client, path: str = "/now") -> str:
    """The session's CSRF token, read from a page's form."""
    page = await client.get(path)
    match = _CSRF.search(await page.text())
    assert match, f"no CSRF field on {path}"
    return match[1]


@pytest.fixture
async def site(aiohttp_client: ClientFactory, database: Database) -> Site:
    await load_demo_data(database)
    settings = Settings(
        database_url=database.engine.url.render_as_string(hide_password=False),
        secret_key="s" * 40,
    )
    return Site(aiohttp_client, database, ManualClock(DECEMBER), settings)
