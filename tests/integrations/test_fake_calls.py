"""The fake's TwiML interpreter against a stand-in service: every verb, every phone behaviour."""

from __future__ import annotations

import pytest

from integrations.fake_twilio import CallerScript, FakeTwilio, PhoneBehaviour
from tests.integrations.conftest import LINE, ServiceStub
from tests.integrations.screening_flow import ScreeningFlow

CALLER = "+441534123456"
ANNA, BEN, CARA = "+447700900001", "+447700900002", "+447700900003"


@pytest.fixture
def flow(fake: FakeTwilio, service: ServiceStub) -> ScreeningFlow:
    fake.configure_number(
        LINE,
        voice_url=service.url("/voice/incoming"),
        voice_status_callback=service.url("/voice/status"),
    )
    flow = ScreeningFlow(service, [ANNA, BEN, CARA])
    flow.install()
    return flow


def _dial_results(service: ServiceStub) -> list[dict[str, str]]:
    return [r.params for r in service.at("/voice/dial-result")]


async def test_accept_bridges_and_reports_completed(
    fake: FakeTwilio, service: ServiceStub, flow: ScreeningFlow
) -> None:
    fake.phones.set(ANNA, PhoneBehaviour.ACCEPT, talk_s=300)
    trace = await fake.place_inbound_call(from_=CALLER, to=LINE)
    trace.raise_for_errors()
    assert flow.accepted == {trace.call_sid: "1"}
    [result] = _dial_results(service)
    assert result["DialCallStatus"] == "completed"
    assert result["DialBridged"] == "true"
    assert int(result["DialCallDuration"]) >= 300
    assert result["CallStatus"] == "in-progress"
    [screen] = service.at("/voice/screen")
    assert screen.params["Digits"] == "1"
    assert screen.params["Direction"] == "outbound-dial"
    assert screen.params["ParentCallSid"] == trace.call_sid
    [status] = service.at("/voice/status")
    assert status.params["CallStatus"] == "completed"
    assert int(status.params["CallDuration"]) == trace.duration_s >= 300
    assert all(r.signed and r.idempotency_token for r in service.received)
    assert trace.final_status == "completed"


async def test_decline_in_whisper_reports_completed_but_not_bridged(
    fake: FakeTwilio, service: ServiceStub, flow: ScreeningFlow
) -> None:
    fake.phones.set(ANNA, PhoneBehaviour.DECLINE)
    fake.phones.set(BEN, PhoneBehaviour.ACCEPT)
    trace = await fake.place_inbound_call(from_=CALLER, to=LINE)
    trace.raise_for_errors()
    first, second = _dial_results(service)
    # Twilio says "completed" for a callee that answered and hung up in the whisper: only the
    # service's own record of the keypress tells a decline from an accepted call.
    assert first["DialCallStatus"] == "completed"
    assert first["DialBridged"] == "false"
    assert service.at("/voice/screen")[0].params["Digits"] == "2"
    assert second["DialCallStatus"] == "completed" and second["DialBridged"] == "true"
    assert flow.accepted == {trace.call_sid: "2"}


async def test_voicemail_never_presses_a_key_and_is_not_bridged(
    fake: FakeTwilio, service: ServiceStub, flow: ScreeningFlow
) -> None:
    fake.phones.set(ANNA, PhoneBehaviour.VOICEMAIL)
    fake.phones.set(BEN, PhoneBehaviour.ACCEPT)
    trace = await fake.place_inbound_call(from_=CALLER, to=LINE)
    trace.raise_for_errors()
    first, _second = _dial_results(service)
    assert first["DialCallStatus"] == "completed" and first["DialBridged"] == "false"
    assert [r.query["attempt"] for r in service.at("/voice/screen")] == ["2"]
    assert "Hangup" in trace.verbs(first["DialCallSid"])


@pytest.mark.parametrize(
    ("behaviour", "reported"),
    [
        (PhoneBehaviour.NO_ANSWER, "no-answer"),
        (PhoneBehaviour.BUSY, "busy"),
        (PhoneBehaviour.FAILED, "failed"),
    ],
)
async def test_unanswered_phones_report_their_status(
    fake: FakeTwilio,
    service: ServiceStub,
    flow: ScreeningFlow,
    behaviour: PhoneBehaviour,
    reported: str,
) -> None:
    fake.phones.set(ANNA, behaviour)
    fake.phones.set(BEN, PhoneBehaviour.ACCEPT)
    trace = await fake.place_inbound_call(from_=CALLER, to=LINE)
    trace.raise_for_errors()
    first = _dial_results(service)[0]
    assert first["DialCallStatus"] == reported
    assert "DialCallDuration" not in first
    assert first["DialBridged"] == "false"
    assert fake.calls[first["DialCallSid"]].status == reported
    assert [r.query["attempt"] for r in service.at("/voice/whisper")] == ["2"]


async def test_nobody_accepts_and_caller_leaves_a_voicemail(
    fake: FakeTwilio, service: ServiceStub, flow: ScreeningFlow
) -> None:
    fake.phones.set(ANNA, PhoneBehaviour.NO_ANSWER)
    fake.phones.set(BEN, PhoneBehaviour.BUSY)
    fake.phones.set(CARA, PhoneBehaviour.VOICEMAIL)
    trace = await fake.place_inbound_call(
        from_=CALLER, to=LINE, caller=CallerScript(voicemail_s=200)
    )
    await fake.settle()
    trace.raise_for_errors()
    assert [r["DialCallStatus"] for r in _dial_results(service)] == [
        "no-answer",
        "busy",
        "completed",
    ]
    [recorded] = service.at("/voice/recorded")
    assert recorded.params["RecordingDuration"] == "120"  # capped by maxLength
    assert recorded.params["RecordingSid"].startswith("RE")
    assert "Digits" not in recorded.params  # maxLength ended it, so the call carries on
    [status] = service.at("/voice/recording-status")
    assert status.params["RecordingStatus"] == "completed"
    assert status.params["RecordingUrl"] == recorded.params["RecordingUrl"]
    assert "Thank you." in trace.said()


async def test_caller_hanging_up_after_a_message_still_gets_the_action_requested(
    fake: FakeTwilio, service: ServiceStub, flow: ScreeningFlow
) -> None:
    fake.phones.set_default(PhoneBehaviour.NO_ANSWER)
    trace = await fake.place_inbound_call(
        from_=CALLER, to=LINE, caller=CallerScript(voicemail_s=25)
    )
    await fake.settle()
    trace.raise_for_errors()
    [recorded] = service.at("/voice/recorded")
    assert recorded.params["Digits"] == "hangup"
    assert recorded.params["CallStatus"] == "completed"
    assert recorded.params["RecordingDuration"] == "25"
    assert "Thank you." not in trace.said()  # the answer to a hung-up call is ignored


async def test_caller_without_a_message_ends_the_call_at_the_beep(
    fake: FakeTwilio, service: ServiceStub, flow: ScreeningFlow
) -> None:
    trace = await fake.place_inbound_call(from_=CALLER, to=LINE)
    trace.raise_for_errors()
    assert service.at("/voice/recorded") == []
    assert service.at("/voice/status")[0].params["CallStatus"] == "completed"


async def test_caller_hangs_up_during_the_second_dial(
    fake: FakeTwilio, service: ServiceStub, flow: ScreeningFlow
) -> None:
    fake.phones.set(ANNA, PhoneBehaviour.NO_ANSWER)
    fake.phones.set(BEN, PhoneBehaviour.ACCEPT)
    trace = await fake.place_inbound_call(
        from_=CALLER, to=LINE, caller=CallerScript(hang_up_during_dial=2)
    )
    trace.raise_for_errors()
    first, second = _dial_results(service)
    assert first["CallStatus"] == "in-progress"
    assert second["CallStatus"] == "completed"
    assert second["DialCallStatus"] == "canceled"
    assert [r.query["attempt"] for r in service.at("/voice/whisper")] == []
    assert len(_dial_results(service)) == 2  # the third Dial in the answer was ignored
    assert service.at("/voice/status")[0].params["CallStatus"] == "completed"


async def test_caller_hangs_up_before_the_greeting_ends(
    fake: FakeTwilio, service: ServiceStub, flow: ScreeningFlow
) -> None:
    trace = await fake.place_inbound_call(
        from_=CALLER, to=LINE, caller=CallerScript(hang_up_during_say=1)
    )
    trace.raise_for_errors()
    assert [r.path for r in service.received] == ["/voice/incoming", "/voice/status"]
    assert service.at("/voice/incoming")[0].params["CallStatus"] == "ringing"
    assert "Dial" not in trace.verbs()


async def test_caller_who_ends_the_conversation_is_gone_when_the_dial_ends(
    fake: FakeTwilio, service: ServiceStub, flow: ScreeningFlow
) -> None:
    fake.phones.set(ANNA, PhoneBehaviour.ACCEPT, talk_s=600)
    trace = await fake.place_inbound_call(from_=CALLER, to=LINE, caller=CallerScript(talk_s=90))
    trace.raise_for_errors()
    [result] = _dial_results(service)
    assert result["CallStatus"] == "completed" and result["DialBridged"] == "true"
    assert 90 <= int(result["DialCallDuration"]) < 120


async def test_caller_finishing_a_message_with_the_key_stays_on_the_line(
    fake: FakeTwilio, service: ServiceStub, flow: ScreeningFlow
) -> None:
    trace = await fake.place_inbound_call(
        from_=CALLER,
        to=LINE,
        caller=CallerScript(voicemail_s=30, finish_voicemail_with_key=True),
    )
    await fake.settle()
    trace.raise_for_errors()
    [recorded] = service.at("/voice/recorded")
    assert (recorded.params["Digits"], recorded.params["CallStatus"]) == ("#", "in-progress")
    assert trace.said()[-1] == "Thank you."
