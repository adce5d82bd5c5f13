"""The real adapter, on the real twilio library, against the fake Twilio over HTTP."""

from __future__ import annotations

import socket

import pytest
from aiohttp.test_utils import TestServer
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.rest import Client

from integrations.fake_twilio import FakeTwilio, PhoneBehaviour
from integrations.fake_twilio.state import CallRecord
from integrations.telephony import (
    Telephony,
    TelephonyError,
    TelephonyRejected,
    TelephonyUnavailable,
)
from integrations.twilio import TwilioTelephony
from integrations.twilio.adapter import translate_rest_error
from integrations.twilio.http_client import RebasedAsyncHttpClient
from tests.integrations.conftest import ACCOUNT_SID, AUTH_TOKEN, LINE, STAFF, ServiceStub


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_adapter_satisfies_the_protocol(adapter: TwilioTelephony) -> None:
    telephony: Telephony = adapter
    assert telephony is adapter


async def test_send_sms_is_accepted_and_delivered(
    adapter: TwilioTelephony, fake: FakeTwilio, service: ServiceStub
) -> None:
    sent = await adapter.send_sms(
        to=STAFF,
        from_=LINE,
        body="OOH-0412 Police HQ call missed",
        status_callback=service.url("/sms/status"),
    )
    assert sent.sid.startswith("SM") and len(sent.sid) == 34
    assert sent.status == "queued"
    await fake.settle()
    callbacks = service.at("/sms/status")
    assert [c.params["MessageStatus"] for c in callbacks] == ["queued", "sent", "delivered"]
    assert all(c.signed and c.params["MessageSid"] == sent.sid for c in callbacks)
    assert [m.body for m in fake.inbox(STAFF)] == ["OOH-0412 Police HQ call missed"]
    assert fake.errors == []


async def test_place_call_is_accepted(adapter: TwilioTelephony, fake: FakeTwilio) -> None:
    fake.phones.set(STAFF, PhoneBehaviour.BUSY)
    placed = await adapter.place_call(to=STAFF, from_=LINE, url="http://127.0.0.1:9/alert")
    assert placed.sid.startswith("CA") and placed.status == "queued"
    await fake.settle()
    assert fake.calls[placed.sid].status == "busy"


async def test_recent_messages_and_calls_are_listed_newest_first(
    adapter: TwilioTelephony, fake: FakeTwilio
) -> None:
    fake.phones.set(STAFF, PhoneBehaviour.BUSY)
    first = await adapter.send_sms(to=STAFF, from_=LINE, body="one")
    second = await adapter.send_sms(to=STAFF, from_=LINE, body="two")
    call = await adapter.place_call(to=STAFF, from_=LINE, url="http://127.0.0.1:9/alert")
    assert [m.sid for m in await adapter.recent_messages()] == [second.sid, first.sid]
    assert [c.sid for c in await adapter.recent_calls(limit=1)] == [call.sid]
    await fake.settle()


async def test_library_follows_next_page_links_to_the_fake(
    fake_server: TestServer, adapter: TwilioTelephony
) -> None:
    sids = [(await adapter.send_sms(to=STAFF, from_=LINE, body=str(n))).sid for n in range(5)]
    http = RebasedAsyncHttpClient(api_base=str(fake_server.make_url("")), timeout=2.0)
    client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=http)
    try:
        listed = await client.messages.list_async(limit=5, page_size=2)
    finally:
        await http.close()
    assert [m.sid for m in listed] == list(reversed(sids))


async def test_wrong_auth_token_is_rejected(fake_server: TestServer) -> None:
    telephony = TwilioTelephony(
        account_sid=ACCOUNT_SID, auth_token="wrong", api_base=str(fake_server.make_url(""))
    )
    try:
        with pytest.raises(TelephonyRejected) as caught:
            await telephony.send_sms(to=STAFF, from_=LINE, body="x")
    finally:
        await telephony.close()
    assert caught.value.code == 20003


async def test_invalid_number_is_rejected_with_21211(adapter: TwilioTelephony) -> None:
    with pytest.raises(TelephonyRejected) as caught:
        await adapter.send_sms(to="07700 900123", from_=LINE, body="x")
    assert caught.value.code == 21211
    with pytest.raises(TelephonyRejected) as caught:
        await adapter.place_call(to="not-a-number", from_=LINE, url="http://127.0.0.1:9/x")
    assert caught.value.code == 21211


async def test_unknown_sender_number_is_rejected(adapter: TwilioTelephony) -> None:
    with pytest.raises(TelephonyRejected) as caught:
        await adapter.send_sms(to=STAFF, from_="+441534999999", body="x")
    assert caught.value.code == 21606


async def test_server_error_is_unavailable_then_recovers(
    adapter: TwilioTelephony, fake: FakeTwilio
) -> None:
    fake.faults.fail_next(1)
    with pytest.raises(TelephonyUnavailable) as caught:
        await adapter.send_sms(to=STAFF, from_=LINE, body="x")
    assert caught.value.retry_after is None
    assert (await adapter.send_sms(to=STAFF, from_=LINE, body="x")).status == "queued"


async def test_rate_limit_is_unavailable_with_retry_after(
    adapter: TwilioTelephony, fake: FakeTwilio
) -> None:
    fake.faults.rate_limit_next(1, retry_after_s=7)
    with pytest.raises(TelephonyUnavailable) as caught:
        await adapter.send_sms(to=STAFF, from_=LINE, body="x")
    assert caught.value.retry_after == 7.0


async def test_hanging_request_times_out_as_unavailable(
    fake_server: TestServer, fake: FakeTwilio
) -> None:
    telephony = TwilioTelephony(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        api_base=str(fake_server.make_url("")),
        timeout=0.2,
    )
    fake.faults.hang_next(1, seconds=5)
    try:
        with pytest.raises(TelephonyUnavailable, match="did not answer"):
            await telephony.send_sms(to=STAFF, from_=LINE, body="x")
    finally:
        fake.faults.release_hanging()
        await telephony.close()


async def test_faults_can_target_one_resource(adapter: TwilioTelephony, fake: FakeTwilio) -> None:
    fake.phones.set(STAFF, PhoneBehaviour.BUSY)
    fake.faults.fail_next(1, status=503, resource="Calls")
    assert (await adapter.send_sms(to=STAFF, from_=LINE, body="x")).status == "queued"
    with pytest.raises(TelephonyUnavailable):
        await adapter.place_call(to=STAFF, from_=LINE, url="http://127.0.0.1:9/x")
    await fake.settle()


async def test_unreachable_provider_is_unavailable() -> None:
    telephony = TwilioTelephony(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        api_base=f"http://127.0.0.1:{_unused_port()}",
        timeout=1.0,
    )
    try:
        with pytest.raises(TelephonyUnavailable, match="unreachable"):
            await telephony.send_sms(to=STAFF, from_=LINE, body="x")
    finally:
        await telephony.close()


async def test_auth_token_never_appears_in_repr_str_or_errors(
    adapter: TwilioTelephony, fake: FakeTwilio
) -> None:
    assert AUTH_TOKEN not in repr(adapter)
    assert AUTH_TOKEN not in str(adapter)
    assert ACCOUNT_SID in repr(adapter)
    fake.faults.fail_next(1)
    with pytest.raises(TelephonyUnavailable) as caught:
        await adapter.send_sms(to=STAFF, from_=LINE, body="x")
    assert AUTH_TOKEN not in str(caught.value)
    assert AUTH_TOKEN not in repr(caught.value)


@pytest.mark.parametrize(
    ("exc", "expected", "code"),
    [
        (TwilioRestException(503, "/x", "down", code=20503), TelephonyUnavailable, None),
        (TwilioRestException(400, "/x", "bad number", code=21211), TelephonyRejected, 21211),
        (
            TwilioServiceException("about:blank", "Too many", 429, 20429),
            TelephonyUnavailable,
            None,
        ),
        (
            TwilioServiceException("about:blank", "Forbidden", 403, 20403),
            TelephonyRejected,
            20403,
        ),
    ],
)
def test_library_errors_of_both_shapes_are_translated(
    exc: TwilioRestException | TwilioServiceException,
    expected: type[TelephonyError],
    code: int | None,
) -> None:
    error = translate_rest_error(exc, retry_after=3.0)
    assert type(error) is expected
    if isinstance(error, TelephonyRejected):
        assert error.code == code
    else:
        assert isinstance(error, TelephonyUnavailable) and error.retry_after == 3.0


@pytest.mark.parametrize(
    ("url", "rebased"),
    [
        (
            "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?Page=1",
            "http://127.0.0.1:8080/fake/2010-04-01/Accounts/AC1/Messages.json?Page=1",
        ),
        (
            "https://api.dublin.ie1.twilio.com/2010-04-01/Accounts/AC1/Calls.json",
            "http://127.0.0.1:8080/fake/2010-04-01/Accounts/AC1/Calls.json",
        ),
        ("https://example.com/other", "https://example.com/other"),
    ],
)
def test_rebase_replaces_any_twilio_origin(url: str, rebased: str) -> None:
    client = RebasedAsyncHttpClient(api_base="http://127.0.0.1:8080/fake/", timeout=1.0)
    assert client.rebase(url) == rebased


def test_default_base_leaves_urls_alone() -> None:
    client = RebasedAsyncHttpClient(api_base="https://api.twilio.com", timeout=1.0)
    url = "https://api.dublin.ie1.twilio.com/2010-04-01/Accounts/AC1/Calls.json"
    assert client.rebase(url) == url


async def test_fetch_call_and_its_dial_legs(adapter: TwilioTelephony, fake: FakeTwilio) -> None:
    def record(sid: str, to: str, status: str, parent: str | None, seconds: int) -> None:
        fake.register_call(
            CallRecord(
                sid=sid, account_sid=fake.account_sid, to=to, from_=LINE, status=status,
                direction="outbound-dial" if parent else "inbound", parent_sid=parent,
                duration_s=seconds,
            )
        )  # fmt: skip

    parent, other = "CA" + "1" * 32, "CA" + "9" * 32
    record(parent, LINE, "completed", None, 95)
    record("CA" + "2" * 32, STAFF, "no-answer", parent, 0)
    record("CA" + "3" * 32, "+447797900004", "completed", parent, 80)
    record(other, LINE, "in-progress", None, 0)
    record("CA" + "4" * 32, STAFF, "completed", other, 10)  # another call's leg
    call = await adapter.fetch_call(parent)
    assert (call.status, call.duration_s, call.parent_sid) == ("completed", 95, None)
    legs = await adapter.fetch_child_calls(parent)
    assert [(leg.to, leg.status, leg.duration_s) for leg in legs] == [
        ("+447797900004", "completed", 80),
        (STAFF, "no-answer", None),  # Twilio gives a duration once a call has completed
    ]
    assert {leg.parent_sid for leg in legs} == {parent}
    assert (await adapter.fetch_call(other)).duration_s is None
    with pytest.raises(TelephonyRejected):
        await adapter.fetch_call("CA" + "0" * 32)
