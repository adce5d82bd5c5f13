"""Bad-input helpers: the service on a real port in its own thread, seeded data, signed requests."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import requests
from aiohttp import web
from sqlalchemy import exists, func, select
from twilio.request_validator import RequestValidator

from oncall.app import create_app
from oncall.clock import ManualClock
from oncall.db.engine import Database
from oncall.db.models import Contact, Event
from oncall.domain.chain import verify_chain
from oncall.domain.people import create_api_token
from oncall.settings import FAKE_AUTH_TOKEN, Settings
from tests.audit.night import at, write_night
from tests.e2e.conftest import free_port, publish_friday_night
from tests.missing.support import seed_episodes
from tests.support import load_demo_data

# Every demo user signs in with this password (oncall/domain/setup/demo.py).
DEMO_PASSWORD = "oncall-demo"
ROLE_USERS = ("admin", "coordinator", "manager", "worker")
NIGHT_AFTER = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)


@dataclass
class Seeded:
    """A demo database with a known night of contacts and one API token per demo user."""

    url: str
    tokens: dict[str, str] = field(default_factory=dict)  # username -> bearer token
    contact_ids: list[int] = field(default_factory=list)
    episode_ids: list[int] = field(default_factory=list)


async def seed(url: str, *, night: bool = True) -> Seeded:
    """Demo people, users and lines, API tokens, and (with `night`) the audit tests' night of
    contacts, which is written straight to the tables without events, and two missing episodes
    on it (written through the domain, with their events)."""
    database = Database.connect(url)
    try:
        await load_demo_data(database)
        seeded = Seeded(url)
        async with database.sessions() as session:
            if night:
                seeded.contact_ids = list((await write_night(session)).values())
                seeded.episode_ids = await seed_episodes(session, seeded.contact_ids)
            for username in ROLE_USERS:
                seeded.tokens[username] = await create_api_token(
                    session, username=username, name="reliability", now=at(9, 9, 0)
                )
            await session.commit()
    finally:
        await database.dispose()
    return seeded


def settings_for(url: str, port: int, **overrides: object) -> Settings:
    """Demo-mode settings on `port` with the escalation workers off (nothing moves by itself)."""
    values: dict[str, object] = {
        "database_url": url,
        "public_url": f"http://127.0.0.1:{port}",
        "port": port,
        "telephony": "fake",
        "fallback_number": "+441534700199",
        "escalation_workers": False,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


@contextmanager
def running_service(
    url: str, *, now: datetime = NIGHT_AFTER, **overrides: object
) -> Iterator[Settings]:
    """The whole app on a free port in a thread with its own event loop, for blocking clients.

    Schemathesis and hypothesis drive it with `requests` from the test's own thread, so the server
    cannot share the test's event loop.
    """
    port = free_port()
    settings = settings_for(url, port, **overrides)
    ready = threading.Event()
    loop = asyncio.new_event_loop()
    runner_box: list[web.AppRunner] = []
    failure: list[BaseException] = []

    async def start() -> None:
        runner = web.AppRunner(create_app(settings, clock=ManualClock(now)))
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        runner_box.append(runner)

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(start())
        except BaseException as exc:  # reported to the test thread below
            failure.append(exc)
            ready.set()
            return
        ready.set()
        loop.run_forever()
        loop.run_until_complete(runner_box[0].cleanup())
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

    thread = threading.Thread(target=run, name="oncall-under-test", daemon=True)
    thread.start()
    ready.wait(30)
    if failure:
        raise failure[0]
    try:
        yield settings
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)


def twilio_signature(url: str, params: Mapping[str, str], token: str = FAKE_AUTH_TOKEN) -> str:
    """X-Twilio-Signature as Twilio computes it: HMAC-SHA1 over the URL and sorted POST fields."""
    signature: str = RequestValidator(token).compute_signature(url, dict(params))
    return signature


async def publish_friday_night_at(url: str) -> None:
    """The e2e rota (tests/e2e/conftest.py) published in the database at `url`."""
    database = Database.connect(url)
    try:
        await publish_friday_night(database)
    finally:
        await database.dispose()


async def chain_state(url: str) -> tuple[bool, int]:
    """(the event chain verifies, contacts that have no event at all)."""
    database = Database.connect(url)
    try:
        async with database.sessions() as session:
            report = await verify_chain(session)
            orphans = await session.scalar(
                select(func.count())
                .select_from(Contact)
                .where(~exists().where(Event.contact_id == Contact.id))
            )
    finally:
        await database.dispose()
    return report.ok, int(orphans or 0)


def browser_session(base: str, username: str) -> tuple[requests.Session, str]:
    """A signed-in demo user's client and the session's CSRF token (read from a page)."""
    http = requests.Session()
    answer = http.post(
        f"{base}/login",
        data={"username": username, "password": DEMO_PASSWORD},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 303, answer.text
    page = http.get(f"{base}/now", timeout=10).text
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    assert token, "the page carries the session's CSRF token"
    return http, token[1]
