"""The TwiML documents, run by the fake Twilio so their meaning (not their text) is checked."""

from __future__ import annotations

import pytest

from integrations import voice
from integrations.fake_twilio import CallerScript, FakeTwilio, PhoneBehaviour
from integrations.fake_twilio.twiml import message_text, parse_messaging
from integrations.telephony import DialOutcome
from integrations.twilio import TwilioTelephony, WebhookUrls, twiml
from tests.integrations.conftest import LINE, ServiceStub

CALLER = "+441534123456"
STAFF = "+447700900001"
OTHER = "+447700900002"
PATHS = WebhookUrls()  # what the documents name their follow-ups by


@pytest.fixture
def ring_round(fake: FakeTwilio, service: ServiceStub) -> ServiceStub:
    """A screened ring of one phone, answered the way the service's call flow answers."""
    fake.configure_number(LINE, voice_url=service.url("/v/in"))
    service.on("/v/in", twiml.render(voice.Ring(1, 1, STAFF, None, "Out of hours service.")))
    whisper = voice.Whisper(1, 1, "Press 1 to accept.", "Passing the call on.")
    service.on(PATHS.whisper(1, 1).split("?")[0], twiml.render(whisper))
    service.on(
        PATHS.screen(1, 1).split("?")[0],
        lambda p, _r: twiml.render(
            voice.Connect("Connecting.") if p.get("Digits") == "1" else voice.HangUp("Declined.")
        ),
    )
    service.on(
        PATHS.dial_result(1, 1).split("?")[0],
        lambda p, _r: twiml.render(
            voice.HangUp()
            if p["DialBridged"] == "true"
            else voice.TakeMessage(1, "Please leave a message.", "Thank you.")
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
async def test_a_screened_ring_round_rendered_from_instructions(
    fake: FakeTwilio,
    ring_round: ServiceStub,
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
    [dialled] = ring_round.at("/twilio/voice/dial-result")
    assert dialled.query == {"contact": "1", "attempt": "1"}  # query strings survive XML escaping
    assert dialled.params["DialBridged"] == bridged
    assert len(ring_round.at("/twilio/voice/recorded")) == recorded
    assert trace.said()[0] == "Out of hours service."


async def test_the_menu_asks_again_at_its_own_url_when_no_key_comes(
    fake: FakeTwilio, service: ServiceStub
) -> None:
    fake.configure_number(LINE, voice_url=service.url("/v/in"))
    service.on("/v/in", twiml.render(voice.Menu(5, "Press 1 for an emergency.")))
    service.on("/twilio/voice/menu", twiml.render(voice.HangUp("Goodbye.")))
    await fake.place_inbound_call(from_=CALLER, to=LINE, caller=CallerScript(digits=("",)))
    await fake.settle()
    fake.raise_for_errors()
    [menu] = service.at("/twilio/voice/menu")
    assert menu.query == {"contact": "5"}
    assert "Digits" not in menu.params  # the redirect after silence, not the gather


async def test_an_alert_call_sends_the_key_to_its_outbox_row(
    adapter: TwilioTelephony, fake: FakeTwilio, service: ServiceStub
) -> None:
    fake.phones.set(STAFF, PhoneBehaviour.ACCEPT)
    service.on("/alert", twiml.render(voice.AlertCall(42, "Missed call.", "Not acknowledged.")))
    service.on("/twilio/alert-call/key", twiml.render(voice.HangUp("Acknowledged.")))
    placed = await adapter.place_call(to=STAFF, from_=LINE, url=service.url("/alert"))
    await fake.settle()
    fake.trace(placed.sid).raise_for_errors()
    [key] = service.at("/twilio/alert-call/key")
    assert (key.query, key.params["Digits"]) == ({"outbox": "42"}, "1")


@pytest.mark.parametrize(
    ("numbers", "fallback", "answered_by"),
    [([STAFF, OTHER, STAFF], None, STAFF), ([], OTHER, OTHER)],
)
async def test_the_failsafe_rings_the_numbers_or_else_the_fallback(
    fake: FakeTwilio,
    service: ServiceStub,
    numbers: list[str],
    fallback: str | None,
    answered_by: str,
) -> None:
    fake.configure_number(LINE, voice_url=service.url("/v/in"))
    fake.phones.set(answered_by, PhoneBehaviour.ACCEPT)
    service.on("/v/in", twiml.failsafe(numbers, fallback, greeting="Hello.", unreachable="Sorry."))
    trace = await fake.place_inbound_call(from_=CALLER, to=LINE)
    await fake.settle()
    fake.raise_for_errors()
    assert trace.said()[0] == "Hello."
    assert len(service.at("/twilio/voice/failsafe")) == (1 if numbers else 0)


@pytest.mark.parametrize(
    ("outcome", "fallback", "rings_fallback", "says_sorry"),
    [
        (DialOutcome.COMPLETED, OTHER, False, False),
        (DialOutcome.ANSWERED, OTHER, False, False),
        (DialOutcome.NO_ANSWER, OTHER, True, True),
        (None, None, False, True),
    ],
)
def test_after_the_failsafe_ring_only_a_pickup_ends_the_call(
    outcome: DialOutcome | None, fallback: str | None, rings_fallback: bool, says_sorry: bool
) -> None:
    document = twiml.failsafe_after_dial(outcome, fallback, unreachable="Sorry.")
    assert (f">{OTHER}</Dial>" in document) == rings_fallback
    assert ("Sorry." in document) == says_sorry


def test_sms_reply_escapes_and_parses() -> None:
    verbs = parse_messaging(twiml.sms_reply("ACK <0412> & thanks", "second"))
    assert [message_text(v) for v in verbs] == ["ACK <0412> & thanks", "second"]
    assert parse_messaging(twiml.sms_reply()) == []
    assert parse_messaging(twiml.sms_reply("")) == []  # nothing to say: no empty <Message>
