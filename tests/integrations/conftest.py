"""Fixtures: the fake Twilio on a real local port, and a stand-in for the service's webhooks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from integrations.fake_twilio import FakeTwilio, create_fake_app
from integrations.twilio import SIGNATURE_HEADER, TwilioTelephony, validate_signature

ACCOUNT_SID = "AC" + "a1" * 16
AUTH_TOKEN = "test-auth-token-5f2c"
LINE = "+441534000001"  # one of "our" Twilio numbers
STAFF = "+447700900123"

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
Responder = Callable[[dict[str, str], web.Request], str | web.Response]


@dataclass
class Received:
    """One webhook the stand-in service received."""

    path: str
    query: dict[str, str]
    params: dict[str, str]
    signed: bool
    signature_present: bool
    idempotency_token: str | None


@dataclass
class ServiceStub:
    """A tiny aiohttp app that answers webhooks like the service would, and records them."""

    responders: dict[str, Responder] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    base: str = ""

    def on(self, path: str, responder: Responder | str) -> None:
        """Answer POSTs to `path` with TwiML (a string, or computed from the params)."""
        if isinstance(responder, str):
            text = responder
            self.responders[path] = lambda _params, _request: text
        else:
            self.responders[path] = responder

    def url(self, path: str) -> str:
        """The absolute URL of `path` on the stub."""
        return self.base + path

    def at(self, path: str) -> list[Received]:
        """Webhooks received at `path`."""
        return [r for r in self.received if r.path == path]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        params = {k: str(v) for k, v in form.items()}
        signature = request.headers.get(SIGNATURE_HEADER, "")
        signed = validate_signature(str(request.url), params, signature, [AUTH_TOKEN])
        self.received.append(
            Received(
                request.path,
                dict(request.query),
                params,
                signed,
                SIGNATURE_HEADER in request.headers,
                request.headers.get("I-Twilio-Idempotency-Token"),
            )
        )
        responder = self.responders.get(request.path)
        if responder is None:
            return web.Response(text="<Response/>", content_type="text/xml")
        answer = responder({**request.query, **params}, request)
        if isinstance(answer, web.Response):
            return answer
        return web.Response(text=answer, content_type="text/xml")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTwilio]:
    fake = FakeTwilio(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN)
    fake.configure_number(LINE)
    yield fake
    await fake.close()


@pytest.fixture
async def fake_server(fake: FakeTwilio, aiohttp_server: ServerFactory) -> TestServer:
    return await aiohttp_server(create_fake_app(fake))


@pytest.fixture
async def adapter(fake_server: TestServer) -> AsyncIterator[TwilioTelephony]:
    telephony = TwilioTelephony(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        api_base=str(fake_server.make_url("")),
        timeout=2.0,
    )
    yield telephony
    await telephony.close()


@pytest.fixture
async def service(aiohttp_server: ServerFactory) -> ServiceStub:
    stub = ServiceStub()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", stub.handle)
    server = await aiohttp_server(app)
    stub.base = str(server.make_url("")).rstrip("/")
    return stub
