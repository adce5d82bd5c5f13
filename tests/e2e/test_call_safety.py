"""Calls when things go wrong: retries, forged signatures, a broken database, an empty rota."""

from __future__ import annotations

from aiohttp import ClientSession
from sqlalchemy import func, select, text

from integrations.fake_twilio import PhoneBehaviour
from oncall.clock import ManualClock
from oncall.db.engine import Database
from oncall.db.models import Contact, Event, OutboundMessage
from tests.e2e.conftest import FALLBACK, FRIDAY_NIGHT, ServerFactory, Service, start_service
from tests.e2e.test_calls import POLICE_CONTROL_ROOM, outcome, script
from tests.support import load_demo_data


async def _post(
    service: Service, path: str, params: dict[str, str], signature: str | None
) -> tuple[int, str]:
    headers = {} if signature is None else {"X-Twilio-Signature": signature}
    async with (
        ClientSession() as http,
        http.post(service.url(path), data=params, headers=headers) as response,
    ):
        return response.status, await response.text()


async def test_a_retried_webhook_rings_nobody_twice(service: Service) -> None:
    script(service, sw002=PhoneBehaviour.NO_ANSWER, sw004=PhoneBehaviour.ACCEPT)
    service.fake.webhooks.duplicate_next(3)  # incoming, dial-result and whisper all retried
    trace = await service.fake.place_inbound_call(
        from_=POLICE_CONTROL_ROOM, to=service.lines["police"]
    )
    result = await outcome(service, trace)
    assert [leg.result for leg in result.legs] == ["no_answer", "accepted"]
    assert [k for k in result.kinds() if k == "call.rang"] == ["call.rang", "call.rang"]
    async with service.database.sessions() as session:
        contacts = await session.scalar(select(func.count()).select_from(Contact))
    assert contacts == 1


async def test_the_same_step_sent_twice_gets_the_same_answer(service: Service) -> None:
    params = {
        "CallSid": "CA" + "1" * 32,
        "From": POLICE_CONTROL_ROOM,
        "To": service.lines["police"],
        "CallStatus": "ringing",
    }
    path = "/twilio/voice/incoming"
    first = await _post(service, path, params, service.signature(path, params))
    second = await _post(service, path, params, service.signature(path, params))
    assert first == second
    assert first[0] == 200 and "<Dial" in first[1]
    async with service.database.sessions() as session:
        rang = await session.scalar(
            select(func.count()).select_from(Event).where(Event.kind == "call.rang")
        )
    assert rang == 1


async def test_forged_or_missing_signatures_are_refused(service: Service) -> None:
    params = {"CallSid": "CA" + "2" * 32, "From": POLICE_CONTROL_ROOM, "To": "+441534700101"}
    path = "/twilio/voice/incoming"
    assert (await _post(service, path, params, None))[0] == 403
    assert (await _post(service, path, params, "bm90IGEgc2lnbmF0dXJl"))[0] == 403
    # Signed for another URL (e.g. the address behind a proxy) does not count either.
    other = str(service.signature("/twilio/voice/status", params))
    assert (await _post(service, path, params, other))[0] == 403
    signed_other_params = service.signature(path, {**params, "From": "+447797999999"})
    assert (await _post(service, path, params, signed_other_params))[0] == 403
    async with service.database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Contact)) == 0
    # Through the fake: a forged webhook is refused and recorded as an application error.
    service.fake.webhooks.forge_next(1)
    trace = await service.fake.place_inbound_call(
        from_=POLICE_CONTROL_ROOM, to=service.lines["police"]
    )
    assert trace.errors


async def test_a_broken_database_still_rings_the_people_on_duty(service: Service) -> None:
    script(service, sw004=PhoneBehaviour.ACCEPT)
    async with service.database.engine.begin() as conn:
        await conn.execute(text("ALTER TABLE contacts RENAME TO contacts_gone"))
    try:
        trace = await service.fake.place_inbound_call(
            from_=POLICE_CONTROL_ROOM, to=service.lines["police"]
        )
        await service.fake.settle()
        dials = [e for e in trace.events if e.kind == "verb" and e.detail == "Dial"]
        assert dials, "the fail-safe TwiML dials"
        rung = set(dials[0].data["numbers"])
        assert {service.phones["sw002"], service.phones["sw004"], service.phones["sm002"]} == rung
        # The caller's status callback cannot be recorded: 503, and the call check asks later.
        assert [e.detail for e in trace.errors] == ["status callback got 503"]
        # And after a failed fail-safe ring, the fallback number.
        params = {"CallSid": "CA" + "3" * 32, "DialCallStatus": "no-answer"}
        path = "/twilio/voice/failsafe"
        status, body = await _post(service, path, params, service.signature(path, params))
        assert status == 200 and FALLBACK in body
    finally:
        async with service.database.engine.begin() as conn:
            await conn.execute(text("ALTER TABLE contacts_gone RENAME TO contacts"))


async def test_with_nobody_on_duty_the_fallback_number_is_rung(
    aiohttp_server: ServerFactory, database: Database
) -> None:
    await load_demo_data(database)  # no rota published: a gap
    service = await start_service(aiohttp_server, database, ManualClock(FRIDAY_NIGHT))
    service.fake.phones.set(FALLBACK, PhoneBehaviour.ACCEPT)
    trace = await service.fake.place_inbound_call(
        from_=POLICE_CONTROL_ROOM, to=service.lines["police"]
    )
    result = await outcome(service, trace)
    assert [(leg.role, leg.result) for leg in result.legs] == [("fallback number", "accepted")]
    assert result.contact.status == "answered"


async def test_a_status_callback_that_cannot_be_recorded_asks_twilio_to_retry(
    service: Service,
) -> None:
    path = "/twilio/status/message?outbox=1"
    params = {"MessageSid": "SM" + "4" * 32, "MessageStatus": "delivered"}
    async with service.database.engine.begin() as conn:
        await conn.execute(text("ALTER TABLE outbound_messages RENAME TO outbound_gone"))
    try:
        status, _body = await _post(service, path, params, service.signature(path, params))
    finally:
        async with service.database.engine.begin() as conn:
            await conn.execute(text("ALTER TABLE outbound_gone RENAME TO outbound_messages"))
    assert status == 503  # a retryable answer, never a 500


async def test_a_status_word_twilio_adds_later_is_answered_and_changes_nothing(
    service: Service,
) -> None:
    async with service.database.sessions() as session:
        row = OutboundMessage(
            dedupe_key="test:words", channel="sms", to_number="+447700900001",
            from_number=service.lines["police"], body="x", status="queued", attempts=1,
            last_error="", created_at=FRIDAY_NIGHT, updated_at=FRIDAY_NIGHT,
        )  # fmt: skip
        session.add(row)
        await session.commit()
    path = f"/twilio/status/message?outbox={row.id}"

    async def report(word: str) -> tuple[int, str]:
        params = {"MessageSid": "SM" + "5" * 32, "MessageStatus": word}
        answer, _body = await _post(service, path, params, service.signature(path, params))
        async with service.database.sessions() as session:
            stored = await session.get(OutboundMessage, row.id)
        assert stored is not None
        return answer, stored.status

    assert await report("read") == (204, "queued")  # a word we have no translation for
    assert await report("delivered") == (204, "delivered")
