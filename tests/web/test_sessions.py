"""Sessions that can be ended, and a sign-in that only this site's page can start (issue 14: L5,
L10). A copied cookie is replayed by hand, as an attacker who stole it would."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from oncall.app import create_app
from oncall.clock import ManualClock
from oncall.db.engine import Database
from oncall.settings import Settings
from tests.support import JERSEY, load_demo_data

ClientFactory = Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]]
Client = TestClient[web.Request, web.Application]
NIGHT = datetime(2027, 1, 8, 23, 0, tzinfo=JERSEY)
_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


@pytest.fixture
async def client(aiohttp_client: ClientFactory, database: Database) -> Client:
    await load_demo_data(database)
    url = database.engine.url.render_as_string(hide_password=False)
    settings = Settings(database_url=url, secret_key="k" * 40)
    return await aiohttp_client(create_app(settings, clock=ManualClock(NIGHT)))


async def _browser(client: Client, username: str = "coordinator") -> tuple[str, str]:
    """Sign in as a fresh browser: (its session cookie, the CSRF token its pages carry)."""
    client.session.cookie_jar.clear()
    async with client.post(
        "/login", data={"username": username, "password": "oncall-demo"}, allow_redirects=False
    ) as answer:
        assert answer.status == 303
        cookie = answer.cookies["oncall_session"].value
    token = _CSRF.search(await _get(client, cookie, "/now"))
    assert token is not None
    return cookie, token[1]


async def _get(client: Client, cookie: str, path: str) -> str:
    client.session.cookie_jar.clear()
    async with client.get(
        path, headers={"Cookie": f"oncall_session={cookie}"}, allow_redirects=False
    ) as answer:
        return f"{answer.status} {await answer.text()}"


async def _override(client: Client, cookie: str, token: str) -> int:
    """A CSRF-protected form post (an empty override form: refused by the form, changes nothing)
    as the browser with `cookie`; 303 to /login means the session is gone."""
    client.session.cookie_jar.clear()
    async with client.post(
        "/now/overrides", data={"csrf_token": token},
        headers={"Cookie": f"oncall_session={cookie}"}, allow_redirects=False,
    ) as answer:  # fmt: skip
        location = answer.headers.get("Location", "")
        return 0 if location.startswith("/login") else answer.status


async def _sign_out(client: Client, cookie: str, token: str, **extra: str) -> None:
    client.session.cookie_jar.clear()
    async with client.post(
        "/logout", data={"csrf_token": token, **extra},
        headers={"Cookie": f"oncall_session={cookie}"}, allow_redirects=False,
    ) as answer:  # fmt: skip
        assert answer.status == 303


async def test_signing_out_ends_the_session_even_for_a_copy_of_its_cookie(client: Client) -> None:
    cookie, token = await _browser(client)
    other, other_token = await _browser(client)  # the same user on a second device
    assert (await _get(client, cookie, "/api/v1/on-duty")).startswith("200")
    assert await _override(client, cookie, token) != 0  # the form answers: the session is live
    await _sign_out(client, cookie, token)
    # The cookie and its CSRF token, replayed, are nobody's now.
    assert (await _get(client, cookie, "/api/v1/on-duty")).startswith("401")
    assert await _override(client, cookie, token) == 0
    # Signing out on one device leaves the other signed in…
    assert (await _get(client, other, "/api/v1/on-duty")).startswith("200")
    assert await _override(client, other, other_token) != 0


async def test_signing_out_everywhere_ends_every_session_of_the_user(client: Client) -> None:
    laptop, laptop_token = await _browser(client)
    page = await _get(client, laptop, "/now")
    assert 'name="everywhere" value="1"' in page  # the button beside "Sign out"
    phone, _ = await _browser(client)
    someone_else, _ = await _browser(client, "manager")
    await _sign_out(client, laptop, laptop_token, everywhere="1")
    assert (await _get(client, laptop, "/api/v1/on-duty")).startswith("401")
    assert (await _get(client, phone, "/api/v1/on-duty")).startswith("401")
    assert (await _get(client, someone_else, "/api/v1/on-duty")).startswith("200")


async def test_a_session_s_csrf_token_is_no_good_with_another_session(client: Client) -> None:
    first, first_token = await _browser(client)
    second, _ = await _browser(client)
    assert await _override(client, second, first_token) == 403  # "the form has expired"
    assert await _override(client, first, first_token) != 403


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},  # a sandboxed frame or a data: URL
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "same-site"},  # a sibling subdomain is another site too
        {"Referer": "https://evil.example/login-as-me"},
    ],
    ids=["origin", "null", "fetch-metadata", "same-site", "referer"],
)
async def test_another_site_cannot_sign_a_browser_in(
    client: Client, headers: dict[str, str]
) -> None:
    client.session.cookie_jar.clear()
    async with client.post(
        "/login", data={"username": "worker", "password": "oncall-demo"}, headers=headers,
        allow_redirects=False,
    ) as answer:  # fmt: skip
        assert answer.status == 403
        assert "oncall_session" not in answer.cookies


async def test_this_site_s_own_sign_in_page_signs_in(client: Client) -> None:
    own = f"http://{client.host}:{client.port}"
    for headers in (
        {"Origin": own, "Sec-Fetch-Site": "same-origin"},
        {"Origin": own},  # plain http to another host: no Fetch Metadata
        {},  # no browser at all (a script): nothing to forge a sign-in with
    ):
        client.session.cookie_jar.clear()
        async with client.post(
            "/login", data={"username": "worker", "password": "oncall-demo"}, headers=headers,
            allow_redirects=False,
        ) as answer:  # fmt: skip
            assert answer.status == 303, headers
