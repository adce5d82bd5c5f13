"""Each TwiML verb, relative URLs, retried and forged webhooks, and application errors."""

from __future__ import annotations

import pytest
from aiohttp import web

from integrations.fake_twilio import CallerScript, FakeTwilio, PhoneBehaviour
from tests.integrations.conftest import LINE, ServiceStub

CALLER = "+441534123456"
CARER_LINE = "+441534000003"
STAFF = "+447700900001"


@pytest.fixture
def line(fake: FakeTwilio, service: ServiceStub) -> str:
    fake.configure_number(
        CARER_LINE,
        voice_url=service.url("/ivr/incoming?line=foster"),
        voice_status_callback=service.url("/ivr/status"),
    )
    return CARER_LINE


async def test_caller_gather_menu_and_relative_action(
    fake: FakeTwilio, service: ServiceStub, line: str
) -> None:
    service.on(
        "/ivr/incoming",
        '<Response><Gather numDigits="1" action="menu"><Say>Press 1 for emergency, '
        '2 for advice.</Say><Pause length="2"/></Gather><Say>Goodbye</Say></Response>',
    )
    service.on("/ivr/menu", "<Response><Hangup/></Response>")
    trace = await fake.place_inbound_call(from_=CALLER, to=line, caller=CallerScript(digits=("1",)))
    trace.raise_for_errors()
    [menu] = service.at("/ivr/menu")
    assert menu.params["Digits"] == "1"
    assert menu.params["CallStatus"] == "in-progress"
    assert trace.verbs() == ["Gather", "Say", "Pause", "Hangup"]


async def test_gather_without_input_falls_through_to_the_next_verb(
    fake: FakeTwilio, service: ServiceStub, line: str
) -> None:
    service.on(
        "/ivr/incoming",
        '<Response><Gather numDigits="1" timeout="3" action="/ivr/menu"><Play>'
        "https://example.com/jingle.mp3</Play></Gather><Redirect>again?n=2</Redirect></Response>",
    )
    service.on("/ivr/again", "<Response><Say>Still there?</Say><Reject/></Response>")
    trace = await fake.place_inbound_call(from_=CALLER, to=line)
    trace.raise_for_errors()
    assert service.at("/ivr/menu") == []
    assert service.at("/ivr/again")[0].query == {"n": "2"}
    assert trace.verbs() == ["Gather", "Play", "Redirect", "Say", "Reject"]
    assert trace.final_status == "busy"
    assert service.at("/ivr/status")[0].params["CallStatus"] == "busy"


async def test_gather_action_on_empty_result_is_requested_without_digits(
    fake: FakeTwilio, service: ServiceStub, line: str
) -> None:
    service.on(
        "/ivr/incoming",
        '<Response><Gather action="/ivr/menu" actionOnEmptyResult="true"/></Response>',
    )
    trace = await fake.place_inbound_call(from_=CALLER, to=line)
    trace.raise_for_errors()
    [menu] = service.at("/ivr/menu")
    assert "Digits" not in menu.params


async def test_bare_number_dial_without_action_continues_the_document(
    fake: FakeTwilio, service: ServiceStub, line: str
) -> None:
    fake.phones.set(STAFF, PhoneBehaviour.ACCEPT, talk_s=42)
    service.on(
        "/ivr/incoming",
        f'<Response><Dial callerId="{LINE}">{STAFF}</Dial><Say>Call ended</Say></Response>',
    )
    trace = await fake.place_inbound_call(from_=CALLER, to=line)
    trace.raise_for_errors()
    assert trace.said() == ["Call ended"]
    [child] = [c for c in fake.calls.values() if c.parent_sid == trace.call_sid]
    assert (child.from_, child.to, child.status, child.duration_s) == (LINE, STAFF, "completed", 42)


async def test_whisper_that_runs_out_bridges_even_a_voicemail(
    fake: FakeTwilio, service: ServiceStub, line: str
) -> None:
    # Twilio bridges when the whisper document ends without <Hangup>: a trap for screening.
    fake.phones.set(STAFF, PhoneBehaviour.VOICEMAIL)
    service.on(
        "/ivr/incoming",
        f'<Response><Dial action="/ivr/done"><Number url="/ivr/whisper">{STAFF}</Number>'
        "</Dial></Response>",
    )
    service.on("/ivr/whisper", '<Response><Gather numDigits="1" action="/ivr/screen"/></Response>')
    trace = await fake.place_inbound_call(from_=CALLER, to=line)
    trace.raise_for_errors()
    [done] = service.at("/ivr/done")
    assert done.params["DialBridged"] == "true"
    assert service.at("/ivr/screen") == []


async def test_simultaneous_numbers_connect_the_first_to_answer(
    fake: FakeTwilio, service: ServiceStub, line: str
) -> None:
    slow, quick = "+447700900010", "+447700900011"
    fake.phones.set(slow, PhoneBehaviour.ACCEPT, ring_s=12)
    fake.phones.set(quick, PhoneBehaviour.ACCEPT, ring_s=3)
    service.on(
        "/ivr/incoming",
        f'<Response><Dial action="/ivr/done"><Number>{slow}</Number><Number>{quick}</Number>'
        "</Dial></Response>",
    )
    trace = await fake.place_inbound_call(from_=CALLER, to=line)
    trace.raise_for_errors()
    [done] = service.at("/ivr/done")
    assert fake.calls[done.params["DialCallSid"]].to == quick


async def test_dial_inside_a_whisper_is_an_application_error(
    fake: FakeTwilio, service: ServiceStub, line: str
) -> None:
    fake.phones.set(STAFF, PhoneBehaviour.ACCEPT)
    service.on(
        "/ivr/incoming",
        f'<Response><Dial action="/ivr/done"><Number url="/ivr/whisper">{STAFF}</Number>'
        "</Dial></Response>",
    )
    service.on("/ivr/whisper", "<Response><Dial>+447700900999</Dial></Response>")
    trace = await fake.place_inbound_call(from_=CALLER, to=line)
    assert any("13201" in e.detail for e in trace.errors)
    assert service.at("/ivr/done")[0].params["DialBridged"] == "false"
    with pytest.raises(AssertionError, match="application errors"):
        trace.raise_for_errors()


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("this is not xml", "invalid XML"),
        ("<Speak>hello</Speak>", "expected <Response>"),
        ("<Response><Enqueue>support</Enqueue></Response>", "unsupported TwiML element"),
        ("<Response><Gather><Dial>+447700900001</Dial></Gather></Response>", "<Dial>"),
        ('<Response><Pause length="soon"/></Response>', "not a number"),
        ("", "empty response body"),
    ],
)
async def test_invalid_twiml_is_recorded_as_an_application_error(
    fake: FakeTwilio, service: ServiceStub, line: str, body: str, error: str
) -> None:
    service.on("/ivr/incoming", body)
    trace = await fake.place_inbound_call(from_=CALLER, to=line)
    assert len(trace.errors) == 1
    assert error in trace.errors[0].detail
    assert trace.final_status == "completed"
    assert fake.errors == trace.errors


async def test_non_2xx_answer_is_recorded_as_an_application_error(
    fake: FakeTwilio, service: ServiceStub, line: str
) -> None:
    service.on("/ivr/incoming", lambda _p, _r: web.Response(status=500, text="boom"))
    trace = await fake.place_inbound_call(from_=CALLER, to=line)
    assert [e.detail for e in trace.errors] == [
        f"application error: HTTP 500 from {service.url('/ivr/incoming?line=foster')}"
    ]


async def test_retried_webhook_is_delivered_twice_with_one_idempotency_token(
    fake: FakeTwilio, service: ServiceStub, line: str
) -> None:
    service.on("/ivr/incoming", "<Response><Say>Hello</Say></Response>")
    fake.webhooks.duplicate_next(1)
    trace = await fake.place_inbound_call(from_=CALLER, to=line)
    trace.raise_for_errors()
    first, second = service.at("/ivr/incoming")
    assert first.idempotency_token == second.idempotency_token is not None
    assert first.params == second.params
    assert trace.webhooks("/ivr/incoming")[0].data["deliveries"] == 2
    assert len(service.at("/ivr/status")) == 1
    assert service.at("/ivr/status")[0].idempotency_token != first.idempotency_token


async def test_forged_and_absent_signatures_on_demand(
    fake: FakeTwilio, service: ServiceStub, line: str
) -> None:
    service.on("/ivr/incoming", "<Response><Hangup/></Response>")
    fake.webhooks.forge_next(1, mode="forged")
    await fake.place_inbound_call(from_=CALLER, to=line)
    fake.webhooks.forge_next(1, mode="absent")
    await fake.place_inbound_call(from_=CALLER, to=line)
    forged, absent = service.at("/ivr/incoming")
    assert forged.signature_present and not forged.signed
    assert not absent.signature_present and not absent.signed
    assert all(r.signed for r in service.at("/ivr/status"))


async def test_get_method_sends_params_in_the_signed_query(
    fake: FakeTwilio, service: ServiceStub, line: str
) -> None:
    service.on(
        "/ivr/incoming", '<Response><Redirect method="GET">/ivr/next?x=1</Redirect></Response>'
    )
    trace = await fake.place_inbound_call(from_=CALLER, to=line)
    trace.raise_for_errors()
    [fetched] = service.at("/ivr/next")
    assert fetched.signed
    assert fetched.query["x"] == "1" and fetched.query["From"] == CALLER


async def test_unconfigured_number_cannot_be_called(fake: FakeTwilio) -> None:
    with pytest.raises(LookupError):
        await fake.place_inbound_call(from_=CALLER, to="+441534999999")
