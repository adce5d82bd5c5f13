"""Outbound calls and SMS through the fake's REST API, inbound SMS, and raw REST behaviour."""

from __future__ import annotations

import base64

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from integrations.fake_twilio import FakeTwilio, PhoneBehaviour
from integrations.twilio import TwilioTelephony
from tests.integrations.conftest import ACCOUNT_SID, AUTH_TOKEN, LINE, ServiceStub

STAFF = "+447700900001"
ALERT_TWIML = (
    '<Response><Gather numDigits="1" timeout="10" action="/alert/ack?alert=7">'
    "<Say>Missed call alert, reference 0412. Press 1 to acknowledge.</Say></Gather>"
    "<Say>Not acknowledged. Goodbye.</Say></Response>"
)


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def test_alert_call_answered_and_acknowledged(
    adapter: TwilioTelephony, fake: FakeTwilio, service: ServiceStub
) -> None:
    fake.phones.set(STAFF, PhoneBehaviour.ACCEPT)
    service.on("/alert/twiml", ALERT_TWIML)
    service.on("/alert/ack", "<Response><Say>Thank you.</Say></Response>")
    placed = await adapter.place_call(
        to=STAFF,
        from_=LINE,
        url=service.url("/alert/twiml"),
        status_callback=service.url("/alert/status"),
        timeout_s=25,
    )
    await fake.settle()
    trace = fake.trace(placed.sid)
    trace.raise_for_errors()
    [twiml] = service.at("/alert/twiml")
    assert twiml.params["Direction"] == "outbound-api"
    assert twiml.params["CallStatus"] == "in-progress"
    [ack] = service.at("/alert/ack")
    assert (ack.params["Digits"], ack.query["alert"], ack.params["CallSid"]) == (
        "1",
        "7",
        placed.sid,
    )
    statuses = [r.params["CallStatus"] for r in service.at("/alert/status")]
    assert statuses == ["initiated", "ringing", "in-progress", "completed"]
    assert int(service.at("/alert/status")[-1].params["CallDuration"]) > 0
    assert fake.calls[placed.sid].status == "completed"


@pytest.mark.parametrize(
    ("behaviour", "final"),
    [
        (PhoneBehaviour.NO_ANSWER, "no-answer"),
        (PhoneBehaviour.BUSY, "busy"),
        (PhoneBehaviour.FAILED, "failed"),
    ],
)
async def test_alert_call_not_answered(
    adapter: TwilioTelephony,
    fake: FakeTwilio,
    service: ServiceStub,
    behaviour: PhoneBehaviour,
    final: str,
) -> None:
    fake.phones.set(STAFF, behaviour)
    placed = await adapter.place_call(
        to=STAFF,
        from_=LINE,
        url=service.url("/alert/twiml"),
        status_callback=service.url("/alert/status"),
    )
    await fake.settle()
    assert service.at("/alert/twiml") == []
    assert service.at("/alert/status")[-1].params["CallStatus"] == final
    assert fake.calls[placed.sid].status == final


async def test_voicemail_answers_an_alert_call_but_never_acknowledges(
    adapter: TwilioTelephony, fake: FakeTwilio, service: ServiceStub
) -> None:
    fake.phones.set(STAFF, PhoneBehaviour.VOICEMAIL)
    service.on("/alert/twiml", ALERT_TWIML)
    placed = await adapter.place_call(to=STAFF, from_=LINE, url=service.url("/alert/twiml"))
    await fake.settle()
    fake.trace(placed.sid).raise_for_errors()
    assert service.at("/alert/ack") == []
    assert fake.trace(placed.sid).said()[-1] == "Not acknowledged. Goodbye."


async def test_undeliverable_number_ends_with_error_code(
    adapter: TwilioTelephony, fake: FakeTwilio, service: ServiceStub
) -> None:
    fake.faults.undeliverable(STAFF, "undelivered")
    fake.faults.undeliverable("+447700900002", "failed")
    await adapter.send_sms(to=STAFF, from_=LINE, body="x", status_callback=service.url("/s"))
    await adapter.send_sms(
        to="+447700900002", from_=LINE, body="y", status_callback=service.url("/s")
    )
    await fake.settle()
    by_number: dict[str, list[tuple[str, str | None]]] = {}
    for r in service.at("/s"):
        by_number.setdefault(r.params["To"], []).append(
            (r.params["MessageStatus"], r.params.get("ErrorCode"))
        )
    assert by_number[STAFF] == [("queued", None), ("sent", None), ("undelivered", "30003")]
    assert by_number["+447700900002"] == [("queued", None), ("failed", "30005")]
    assert fake.inbox(STAFF) == []


async def test_inbound_sms_reply_is_delivered_to_the_sender(
    fake: FakeTwilio, service: ServiceStub
) -> None:
    fake.configure_number(LINE, sms_url=service.url("/sms/incoming"))
    service.on(
        "/sms/incoming",
        lambda p, _r: (
            f"<Response><Message>Acknowledged {p['Body'].split()[-1]}</Message>"
            f'<Message to="+447700900009"><Body>FYI: acknowledged</Body></Message></Response>'
        ),
    )
    replies = await fake.send_inbound_sms(from_=STAFF, to=LINE, body="ACK 0412")
    assert [(m.to, m.from_, m.body, m.status) for m in replies] == [
        (STAFF, LINE, "Acknowledged 0412", "delivered"),
        ("+447700900009", LINE, "FYI: acknowledged", "delivered"),
    ]
    [received] = service.at("/sms/incoming")
    assert received.signed
    assert received.params["Body"] == "ACK 0412"
    assert received.params["MessageSid"].startswith("SM")
    assert received.params["NumSegments"] == "1"
    assert [m.body for m in fake.inbox(STAFF)] == ["Acknowledged 0412"]
    assert fake.errors == []


async def test_inbound_sms_with_empty_answer_sends_no_reply(
    fake: FakeTwilio, service: ServiceStub
) -> None:
    fake.configure_number(LINE, sms_url=service.url("/sms/incoming"))
    service.on("/sms/incoming", "")
    assert await fake.send_inbound_sms(from_=STAFF, to=LINE, body="hello") == []
    assert fake.errors == []


async def test_inbound_sms_with_bad_twiml_is_an_application_error(
    fake: FakeTwilio, service: ServiceStub
) -> None:
    fake.configure_number(LINE, sms_url=service.url("/sms/incoming"))
    service.on("/sms/incoming", "<Response><Say>wrong verb</Say></Response>")
    assert await fake.send_inbound_sms(from_=STAFF, to=LINE, body="hello") == []
    assert "unsupported TwiML element <Say>" in fake.errors[0].detail


async def test_rest_errors_are_twilio_shaped(fake_server: TestServer) -> None:
    url = fake_server.make_url(f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json")
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data={"To": STAFF}) as response:
            unauthenticated = (response.status, await response.json())
        auth = {"Authorization": _basic(ACCOUNT_SID, AUTH_TOKEN)}
        async with session.post(url, data={"To": STAFF, "From": LINE}, headers=auth) as response:
            no_body = (response.status, await response.json())
        missing = fake_server.make_url(f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/CA1.json")
        async with session.get(missing, headers=auth) as response:
            not_found = (response.status, (await response.json())["code"])
    assert unauthenticated == (
        401,
        {
            "code": 20003,
            "message": "Authentication Error - invalid username",
            "more_info": "https://www.twilio.com/docs/errors/20003",
            "status": 401,
        },
    )
    assert no_body[0] == 400 and no_body[1]["code"] == 21602
    assert not_found == (404, 20404)


async def test_single_resources_can_be_fetched(
    fake_server: TestServer, adapter: TwilioTelephony, fake: FakeTwilio
) -> None:
    sent = await adapter.send_sms(to=STAFF, from_=LINE, body="hello")
    await fake.settle()
    auth = {"Authorization": _basic(ACCOUNT_SID, AUTH_TOKEN)}
    url = fake_server.make_url(f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sent.sid}.json")
    async with aiohttp.ClientSession() as session, session.get(url, headers=auth) as response:
        body = await response.json()
    assert (body["sid"], body["status"], body["to"], body["from"]) == (
        sent.sid,
        "delivered",
        STAFF,
        LINE,
    )


async def test_alert_call_rings_out_when_the_phone_is_slower_than_the_timeout(
    adapter: TwilioTelephony, fake: FakeTwilio, service: ServiceStub
) -> None:
    fake.phones.set(STAFF, PhoneBehaviour.ACCEPT, ring_s=30)
    placed = await adapter.place_call(
        to=STAFF, from_=LINE, url=service.url("/alert/twiml"), timeout_s=20
    )
    await fake.settle()
    assert fake.calls[placed.sid].status == "no-answer"
    assert service.at("/alert/twiml") == []
