"""Audit tests: the running service (from the e2e fixture), signed-in clients, known calls."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import ClientSession, CookieJar

from integrations.fake_twilio import CallerScript, PhoneBehaviour
from tests.e2e.conftest import Service
from tests.e2e.conftest import service as service  # the fixture, shared

POLICE_CONTROL_ROOM = "+441534700201"
HOSPITAL_SWITCHBOARD = "+441534700301"
FOSTER_CARER = "+447797950000"  # household FC-001

Client = ClientSession


def anonymous(service: Service) -> Client:
    """A browser of the running service (cookies kept even for 127.0.0.1); the caller closes it."""
    return ClientSession(base_url=service.settings.public_url, cookie_jar=CookieJar(unsafe=True))


async def signed_in(service: Service, username: str) -> Client:
    """A client of the running service with a session for a demo user."""
    client = anonymous(service)
    answer = await client.post(
        "/login", data={"username": username, "password": "oncall-demo"}, allow_redirects=False
    )
    assert answer.status == 303, await answer.text()
    return client


@pytest.fixture
async def manager(service: Service) -> AsyncIterator[Client]:
    client = await signed_in(service, "manager")
    yield client
    await client.close()


async def place_calls(service: Service) -> list[str]:
    """Three real calls through the fake Twilio: answered, passed on then answered, missed."""
    phones = service.fake.phones
    phones.set(service.phones["sw002"], PhoneBehaviour.ACCEPT)
    first = await service.fake.place_inbound_call(
        from_=POLICE_CONTROL_ROOM, to=service.lines["police"]
    )
    phones.set(service.phones["sw004"], PhoneBehaviour.NO_ANSWER)
    second = await service.fake.place_inbound_call(
        from_=FOSTER_CARER, to=service.lines["foster"], caller=CallerScript(digits=("1",))
    )
    phones.set(service.phones["sw002"], PhoneBehaviour.BUSY)
    phones.set(service.phones["sm002"], PhoneBehaviour.DECLINE)
    third = await service.fake.place_inbound_call(
        from_=HOSPITAL_SWITCHBOARD,
        to=service.lines["hospital"],
        caller=CallerScript(voicemail_s=30),
    )
    await service.fake.settle()
    service.fake.raise_for_errors()
    return [first.call_sid, second.call_sid, third.call_sid]


async def page_until(client: Client, path: str, text: str, *, headers: dict[str, str] | None = None,
                     tries: int = 250) -> str:  # fmt: skip
    """The page at `path` once it contains `text` (background work finishes in its own time)."""
    html = ""
    for _ in range(tries):
        html = await (await client.get(path, headers=headers)).text()
        if text in html:
            return html
        await asyncio.sleep(0.02)
    raise AssertionError(f"{text!r} never appeared on {path}:\n{html[:2000]}")
