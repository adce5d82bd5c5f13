"""The TwiML builders, run by the fake Twilio so their meaning (not their text) is checked."""

from __future__ import annotations

import pytest

from integrations.fake_twilio import CallerScript, FakeTwilio, PhoneBehaviour
from integrations.fake_twilio.twiml import message_text, parse_messaging
from integrations.twilio import twiml
from tests.integrations.conftest import LINE, ServiceStub

CALLER = "+441534123456"
STAFF = "+447700900001"


@pytest.fixture
def builders_flow(fake: FakeTwilio, service: ServiceStub) -> ServiceStub:
    fake.configure_number(LINE, voice_url=service.url("/v/in"))
    service.on(
        "/v/in",
        twiml.say_then_dial(
            STAFF,
            greeting="Out of hours service.",
            action="/v/dialled?n=1&leg=a",
            whisper_url="/v/whisper?n=1&leg=a",
            caller_id=LINE,
        ),
    )
    service.on("/v/whisper", twiml.screening_prompt("Press 1 to accept.", action="/v/screen"))
    service.on(
        "/v/screen",
        lambda p, _r: twiml.connect() if p.get("Digits") == "1" else twiml.hang_up("Declined."),
    )
    service.on(
        "/v/dialled",
        lambda p, _r: (
            twiml.hang_up()
            if p["DialBridged"] == "true"
            else twiml.voicemail(
                "Please leave a message.", action="/v/recorded", recording_status_callback="/v/rs"
            )
        ),
    )
    return service


@pytest.mark.parametrize(
    ("behaviour", "bridged", "recorded"),
    [
        (PhoneBehaviour.ACCEPT, "true", 0),
        (PhoneBehaviour.DECLINE, "false", 1),
        (PhoneBehaviour.VOICEMAIL, "false", 1),
        (PhoneBehaviour.NO_ANSWER, "false", 1),
    ],
)
async def test_screened_ring_round_built_with_the_helpers(
    fake: FakeTwilio,
    builders_flow: ServiceStub,
    behaviour: PhoneBehaviour,
    bridged: str,
    recorded: int,
) -> None:
    fake.phones.set(STAFF, behaviour)
    trace = await fake.place_inbound_call(
        from_=CALLER, to=LINE, caller=CallerScript(voicemail_s=10)
    )
    await fake.settle()
    fake.raise_for_errors()
    [dialled] = builders_flow.at("/v/dialled")
    assert dialled.query == {"n": "1", "leg": "a"}  # query strings survive XML escaping
    assert dialled.params["DialBridged"] == bridged
    assert len(builders_flow.at("/v/recorded")) == recorded
    assert len(builders_flow.at("/v/rs")) == recorded
    assert trace.said()[0] == "Out of hours service."


def test_sms_reply_escapes_and_parses() -> None:
    verbs = parse_messaging(twiml.sms_reply("ACK <0412> & thanks", "second"))
    assert [message_text(v) for v in verbs] == ["ACK <0412> & thanks", "second"]
    assert parse_messaging(twiml.sms_reply()) == []
