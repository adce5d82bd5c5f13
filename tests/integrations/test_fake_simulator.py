"""The phone simulator page and its JSON endpoints, mounted under /fake as the service does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from integrations.fake_twilio import (
    Directory,
    FakeTwilio,
    PhoneBehaviour,
    create_fake_app,
    static_directory,
)
from tests.integrations.conftest import LINE, ServiceStub

POLICE = "+441534612345"
ANNA = "+447700900001"
JSON = {"Accept": "application/json"}
ClientFactory = Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]]
Client = TestClient[web.Request, web.Application]


@pytest.fixture
async def client(fake: FakeTwilio, service: ServiceStub, aiohttp_client: ClientFactory) -> Client:
    fake.configure_number(
        LINE, voice_url=service.url("/voice/incoming"), sms_url=service.url("/sms/incoming")
    )
    directory = Directory(
        lines=[("Police line", LINE)],
        callers=[("Police HQ control room", POLICE)],
        phones=[("Anna (duty social worker)", ANNA)],
    )
    service_app = web.Application()
    service_app.add_subapp(
        "/fake",
        create_fake_app(
            fake,
            directory=static_directory(directory),
            timeline_url=lambda sid: f"/contacts/by-call/{sid}",
        ),
    )
    return await aiohttp_client(service_app)


async def test_page_renders_the_call_form_and_phones(client: Client) -> None:
    response = await client.get("/fake/")
    html = await response.text()
    assert response.status == 200
    assert response.content_type == "text/html"
    assert '<form method="post" action="/fake/sim/call"' in html
    assert '<label for="call-from">Caller</label>' in html
    assert f'<option value="{POLICE}">Police HQ control room ({POLICE})</option>' in html
    assert "Anna (duty social worker)" in html
    assert 'src="/fake/static/simulator.js"' in html
    script = await client.get("/fake/static/simulator.js")
    assert script.status == 200 and "refresh" in await script.text()


async def test_behaviour_endpoint_scripts_a_phone(client: Client, fake: FakeTwilio) -> None:
    response = await client.post(
        "/fake/sim/phones", data={"number": ANNA, "behaviour": "busy"}, headers=JSON
    )
    assert response.status == 200
    assert fake.phones.script_for(ANNA).behaviour is PhoneBehaviour.BUSY
    response = await client.post(
        "/fake/sim/phones", data={"number": "default", "behaviour": "accept"}, headers=JSON
    )
    assert fake.phones.script_for("+447700900999").behaviour is PhoneBehaviour.ACCEPT
    bad = await client.post("/fake/sim/phones", data={"number": ANNA, "behaviour": "sing"})
    assert bad.status == 400


async def test_call_endpoint_places_a_call_and_state_shows_it(
    client: Client, fake: FakeTwilio, service: ServiceStub
) -> None:
    service.on("/voice/incoming", "<Response><Say>Hello</Say><Hangup/></Response>")
    response = await client.post(
        "/fake/sim/call", data={"from": POLICE, "to": LINE, "voicemail_s": "0"}, headers=JSON
    )
    call_sid = (await response.json())["call_sid"]
    await fake.settle()
    trace = await (await client.get(f"/fake/sim/calls/{call_sid}")).json()
    assert (trace["final_status"], trace["done"], trace["errors"]) == ("completed", True, 0)
    state = await (await client.get("/fake/sim/state")).json()
    [call] = state["calls"]
    assert call["timeline_url"] == f"/contacts/by-call/{call_sid}"
    assert call["from_label"] == "Police HQ control room"
    live = await (await client.get("/fake/sim/live")).text()
    assert f'href="/contacts/by-call/{call_sid}"' in live
    assert (await client.get("/fake/sim/calls/CAnope")).status == 404


async def test_sms_endpoint_sends_a_reply_and_inbox_shows_escaped_text(
    client: Client, fake: FakeTwilio, service: ServiceStub
) -> None:
    service.on("/sms/incoming", "<Response><Message>Got it &lt;b&gt;</Message></Response>")
    response = await client.post(
        "/fake/sim/sms", data={"from": ANNA, "to": LINE, "body": "ACK 0412"}, headers=JSON
    )
    assert await response.json() == {"replies": ["Got it <b>"]}
    assert service.at("/sms/incoming")[0].params["Body"] == "ACK 0412"
    state = await (await client.get("/fake/sim/state")).json()
    assert [m["body"] for m in state["phones"][0]["inbox"]] == ["Got it <b>"]
    live = await (await client.get("/fake/sim/live")).text()
    assert "Got it &lt;b&gt;" in live and "Got it <b>" not in live


async def test_plain_form_post_redirects_back_to_the_page(client: Client) -> None:
    response = await client.post(
        "/fake/sim/phones", data={"number": ANNA, "behaviour": "decline"}, allow_redirects=False
    )
    assert response.status == 303
    assert response.headers["Location"] == "/fake/"


@pytest.mark.parametrize("origin", ["https://evil.example", "null"])
async def test_cross_origin_posts_are_refused(
    client: Client, fake: FakeTwilio, origin: str
) -> None:
    # "null": what a sandboxed frame or a data: URL on any site sends.
    for path, data in (
        ("/fake/sim/phones", {"number": ANNA, "behaviour": "accept"}),
        ("/fake/sim/sms", {"from": ANNA, "to": POLICE, "body": "ACK"}),
        ("/fake/sim/call", {"from": POLICE, "to": POLICE}),
    ):
        response = await client.post(path, data=data, headers={"Origin": origin})
        assert response.status == 403, path
    assert fake.phones.script_for(ANNA).behaviour is PhoneBehaviour.NO_ANSWER


async def test_bad_call_requests_are_refused(client: Client) -> None:
    response = await client.post("/fake/sim/call", data={"from": POLICE, "to": "+441534999999"})
    assert response.status == 400
