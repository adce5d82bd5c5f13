"""Escalation end to end: a missed call chases people through the fake Twilio on a manual clock."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from integrations.fake_twilio import PhoneBehaviour
from oncall.clock import ManualClock
from oncall.db.engine import Database
from oncall.db.models import Alert, Contact, Event, InboundMessage, Person
from oncall.domain.chain import verify_chain
from tests.e2e.conftest import FRIDAY_NIGHT, ServerFactory, Service
from tests.e2e.test_calls import POLICE_CONTROL_ROOM
from tests.e2e.test_escalation_support import (
    MANAGERS,
    escalation_service,
    sms_bodies,
    texts_to,
    tick,
)


async def _missed_police_call(service: Service) -> Contact:
    trace = await service.fake.place_inbound_call(
        from_=POLICE_CONTROL_ROOM, to=service.lines["police"]
    )
    await service.fake.settle()
    assert trace.errors == []
    async with service.database.sessions() as session:
        contact = await session.scalar(
            select(Contact).where(Contact.provider_sid == trace.call_sid)
        )
    assert contact is not None
    return contact


async def test_unanswered_police_call_escalates_on_time_and_ack_stops_it(
    escalated: Service,
) -> None:
    service = escalated
    contact = await _missed_police_call(service)
    ref = contact.short_ref
    await tick(service)
    # The default policy: both workers on duty (sw002, then sw004) by text and call at once.
    for worker in ("sw002", "sw004"):
        texts = texts_to(service, worker)
        assert len(texts) == 1, worker
        assert texts[0].startswith(f"OOH-{ref} Police HQ call missed")
        assert texts[0].endswith(f"Reply ACK {ref}")
        calls = [
            c
            for c in service.fake.calls.values()
            if c.to == service.phones[worker] and c.direction == "outbound-api"
        ]
        assert len(calls) == 1, worker
    assert texts_to(service, "sm002") == []

    await tick(service, minutes=0.5)
    assert texts_to(service, "sm002") == []  # not yet: the workers have a minute
    await tick(service, minutes=0.5)
    assert len(texts_to(service, "sm002")) == 1
    await tick(service, minutes=13)
    assert len(texts_to(service, "sw002")) == 1
    await tick(service, minutes=1)  # round 2 at +15: both workers again, as a reminder
    for worker in ("sw002", "sw004"):
        assert [b.startswith("REMINDER") for b in texts_to(service, worker)] == [False, True]
    await tick(service, minutes=1)
    assert len(texts_to(service, "sm002")) == 2
    assert texts_to(service, "sm001") == []
    await tick(service, minutes=13)
    assert texts_to(service, "sm001") == []
    await tick(service, minutes=1)  # then every manager, at +30 as before
    for code in MANAGERS:
        assert len(texts_to(service, code)) >= 1, code

    replies = await service.fake.send_inbound_sms(
        from_=service.phones["sm001"], to=service.lines["police"], body=f"ack {ref}"
    )
    assert len(replies) == 1
    assert replies[0].body.startswith(f"{ref} acknowledged by you at ")
    assert "Police HQ control room, call back on +44 1534 700201" in replies[0].body
    before = len(sms_bodies(service))
    await tick(service, minutes=30)
    # Nothing more, apart from "acknowledged by …" notices to those already texted.
    later = sms_bodies(service)[before:]
    assert later and all("No action needed" in body for body in later)

    replies = await service.fake.send_inbound_sms(
        from_=service.phones["sm001"], to=service.lines["police"],
        body=f"DONE {ref} Rang police, child placed with grandparents overnight",
    )  # fmt: skip
    assert replies[0].body.startswith(f"{ref} closed at ")
    async with service.database.sessions() as session:
        alert = (await session.scalars(select(Alert).where(Alert.contact_id == contact.id))).one()
        closed = await session.get(Contact, contact.id)
        events = list(
            await session.scalars(
                select(Event).where(Event.contact_id == contact.id).order_by(Event.seq)
            )
        )
        assert (await verify_chain(session)).ok
    assert alert.status == "resolved"
    assert closed is not None and closed.status == "closed"
    assert closed.outcome_notes.startswith("Rang police")
    kinds = [e.kind for e in events]
    assert kinds.count("alert.escalated") == 5
    assert "alert.acknowledged" in kinds
    resolved = next(e for e in events if e.kind == "alert.resolved")
    assert resolved.details["note"].startswith("Rang police")
    assert resolved.actor == "sm001"
    # No child's details went out in any text.
    assert not any("grandparents" in body for body in sms_bodies(service))


async def test_only_someone_paged_or_on_duty_may_act_on_an_alert(escalated: Service) -> None:
    service = escalated
    contact = await _missed_police_call(service)
    ref, police = contact.short_ref, service.lines["police"]
    await tick(service)  # sw002, on duty, is texted; sw001 is neither texted nor on duty
    assert texts_to(service, "sw002") and not texts_to(service, "sw001")
    async with service.database.sessions() as session:
        alert = await session.scalar(select(Alert.id).where(Alert.contact_id == contact.id))
    for body, named in (
        (f"ACK {ref}", ref), (f"DONE {ref} closed it", ref), (f"MGR {ref}", ref),
        (f"ack A{alert}", f"A{alert}"),  # the alert's own id: the same rule
    ):  # fmt: skip
        (reply,) = await service.fake.send_inbound_sms(
            from_=service.phones["sw001"], to=police, body=body
        )
        assert reply.body.startswith(f"Sorry, you were not paged about {named} "), body
        # Nothing about the call reaches the stranger: no caller's number, no outcome link.
        assert "700201" not in reply.body and "/o/" not in reply.body
    async with service.database.sessions() as session:
        alerts = (await session.scalars(select(Alert).where(Alert.contact_id == contact.id))).all()
    assert [(a.kind, a.status) for a in alerts] == [("missed_call", "open")]  # no advice asked
    # The one who was paged acts as before; so does the senior manager on duty, never texted.
    (ack,) = await service.fake.send_inbound_sms(
        from_=service.phones["sw002"], to=police, body=f"ACK {ref}"
    )
    assert ack.body.startswith(f"{ref} acknowledged by you at ")
    (done,) = await service.fake.send_inbound_sms(
        from_=service.phones["sm002"], to=police, body=f"DONE {ref} advice given"
    )
    assert done.body.startswith(f"{ref} closed at ")


async def test_pressing_1_on_the_alert_call_acknowledges(escalated: Service) -> None:
    service = escalated
    contact = await _missed_police_call(service)
    service.fake.phones.set(service.phones["sw002"], PhoneBehaviour.ACCEPT)
    await tick(service)  # text and alert call; the phone answers and presses 1
    async with service.database.sessions() as session:
        alert = (await session.scalars(select(Alert).where(Alert.contact_id == contact.id))).one()
        ack = await session.scalar(select(Event).where(Event.kind == "alert.acknowledged"))
    assert alert.status == "acknowledged"
    assert ack is not None and ack.details["via"] == "voice" and ack.actor == "sw002"
    (call,) = [
        c
        for c in service.fake.calls.values()
        if c.direction == "outbound-api" and c.to == service.phones["sw002"]
    ]
    said = " ".join(service.fake.trace(call.sid).said())
    assert f"reference {' '.join(contact.short_ref)}" in said and "Acknowledged" in said
    await tick(service, minutes=10)
    assert texts_to(service, "sm002") == []  # owned: no escalation


async def test_declining_the_alert_call_escalates_at_once(escalated: Service) -> None:
    # The call says "Not acknowledged. The alert will go to the next person": so it does, now.
    service = escalated
    contact = await _missed_police_call(service)
    service.fake.phones.set(service.phones["sw002"], PhoneBehaviour.DECLINE)
    await tick(service)  # text and alert call; the phone answers and presses 2
    assert texts_to(service, "sm002") == []
    await tick(service)  # same instant: the senior manager is texted without the step's wait
    assert len(texts_to(service, "sm002")) == 1
    async with service.database.sessions() as session:
        early = await session.scalar(select(Event).where(Event.kind == "alert.escalating_early"))
        alert = (await session.scalars(select(Alert).where(Alert.contact_id == contact.id))).one()
    assert early is not None and early.details["reason"] == "declined on the alert call"
    assert alert.status == "open"


async def test_a_failed_sms_escalates_at_once(escalated: Service) -> None:
    service = escalated
    service.fake.faults.undeliverable(service.phones["sw002"], "undelivered")
    await _missed_police_call(service)
    await tick(service)  # duty worker texted: undelivered → the next step is due now
    assert texts_to(service, "sm002") == []
    await tick(service)  # same instant: the senior manager is texted without the step's wait
    assert len(texts_to(service, "sm002")) == 1
    async with service.database.sessions() as session:
        kinds = list(await session.scalars(select(Event.kind).order_by(Event.seq)))
    assert "sms.failed" in kinds and "alert.escalating_early" in kinds


async def test_ack_without_reference_and_help_and_unknown(escalated: Service) -> None:
    service = escalated
    contact = await _missed_police_call(service)
    await tick(service)
    police = service.lines["police"]
    (help_reply,) = await service.fake.send_inbound_sms(
        from_=service.phones["sw002"], to=police, body="HELP"
    )
    assert "ACK 0412" in help_reply.body and len(help_reply.body) <= 160
    (what,) = await service.fake.send_inbound_sms(
        from_=service.phones["sw002"], to=police, body="running late sorry"
    )
    assert what.body.startswith("Not understood")
    (ack,) = await service.fake.send_inbound_sms(
        from_=service.phones["sw002"], to=police, body="ACK"
    )
    assert ack.body.startswith(f"{contact.short_ref} acknowledged by you")
    (again,) = await service.fake.send_inbound_sms(
        from_=service.phones["sw004"], to=police, body=f"ACK {contact.short_ref}"
    )
    assert "already acknowledged by" in again.body


async def test_a_retried_sms_webhook_is_answered_the_same_and_acts_once(
    escalated: Service,
) -> None:
    service = escalated
    contact = await _missed_police_call(service)
    await tick(service)
    service.fake.webhooks.duplicate_next(1)
    (reply,) = await service.fake.send_inbound_sms(
        from_=service.phones["sw002"], to=service.lines["police"], body=f"ACK {contact.short_ref}"
    )
    assert service.fake.webhooks.log[-1].deliveries == 2
    assert "acknowledged by you at" in reply.body  # the first answer, not "already acknowledged"
    async with service.database.sessions() as session:
        acks = list(await session.scalars(select(Event).where(Event.kind == "alert.acknowledged")))
    assert len(acks) == 1


async def test_mgr_asks_the_senior_manager_to_call(escalated: Service) -> None:
    service = escalated
    contact = await _missed_police_call(service)
    await tick(service)
    (reply,) = await service.fake.send_inbound_sms(
        from_=service.phones["sw002"], to=service.lines["police"], body=f"MGR {contact.short_ref}"
    )
    async with service.database.sessions() as session:
        manager = await session.scalar(select(Person).where(Person.code == "sm002"))
    assert manager is not None
    assert f"{manager.name} (senior manager on call) has been asked to call you" in reply.body
    await tick(service)
    (text,) = texts_to(service, "sm002")
    assert "advice wanted by" in text and "+44 7797 910001" in text
    (ack,) = await service.fake.send_inbound_sms(
        from_=service.phones["sm002"], to=service.lines["police"], body=f"ACK {contact.short_ref}"
    )
    assert "acknowledged by you" in ack.body
    (done,) = await service.fake.send_inbound_sms(
        from_=service.phones["sw002"], to=service.lines["police"],
        body=f"DONE {contact.short_ref} advice: spoke to the manager, visit tomorrow",
    )  # fmt: skip
    assert "closed" in done.body
    async with service.database.sessions() as session:
        alerts = list(await session.scalars(select(Alert).where(Alert.contact_id == contact.id)))
        closed = await session.get(Contact, contact.id)
    assert sorted(a.kind for a in alerts) == ["advice_request", "missed_call"]
    assert {a.status for a in alerts} == {"resolved"}
    assert closed is not None and closed.outcome == "advice_given"
    assert closed.outcome_notes == "advice: spoke to the manager, visit tomorrow"


async def test_a_foster_carer_texts_the_line(escalated: Service) -> None:
    service = escalated
    carer = "+447797950000"
    (reply,) = await service.fake.send_inbound_sms(
        from_=carer, to=service.lines["foster"], body="Placement breaking down, please call"
    )
    assert "has gone to the duty worker" in reply.body
    (again,) = await service.fake.send_inbound_sms(
        from_=carer, to=service.lines["foster"], body="Still waiting"
    )
    assert again.body.startswith("Added to OOH-")
    await tick(service)
    async with service.database.sessions() as session:
        contacts = list(await session.scalars(select(Contact).where(Contact.channel == "sms")))
        alerts = list(await session.scalars(select(Alert)))
    assert len(contacts) == 1 and len(alerts) == 1  # bundled, not repeated
    # One text to each worker on duty (the default's first step), not one per carer's text.
    texts = [t for code in ("sw002", "sw004") for t in texts_to(service, code)]
    assert len(texts) == 2 and texts[0] == texts[1]
    assert "Foster carers text message" in texts[0] and "Placement" not in texts[0]


async def test_junk_from_one_number_is_rate_limited(escalated: Service) -> None:
    service = escalated
    answered = 0
    for i in range(8):
        replies = await service.fake.send_inbound_sms(
            from_=service.phones["sw010"], to=service.lines["police"], body=f"hello {i}"
        )
        answered += len(replies)
    assert answered == 5  # ONCALL_SMS_JUNK_PER_HOUR
    async with service.database.sessions() as session:
        stored = list(await session.scalars(select(InboundMessage)))
    assert len(stored) == 8  # every one stored (and logged) all the same


async def test_unconfirmed_shift_alerts_the_manager(
    aiohttp_server: ServerFactory, database: Database
) -> None:
    service = await escalation_service(
        aiohttp_server, database, ManualClock(FRIDAY_NIGHT.replace(hour=14))
    )
    await tick(service)
    assert texts_to(service, "sw002") == []  # 3 hours before: too early
    await tick(service, minutes=61)  # 15:01: two hours before 17:00
    (ask,) = texts_to(service, "sw002")
    assert ask == (
        "You are on call tonight 17:00-09:00 (Police, Hospital, Foster lines). "
        "Reply YES to confirm."
    )
    (ok,) = await service.fake.send_inbound_sms(
        from_=service.phones["sw002"], to=service.lines["police"], body="yes"
    )
    assert ok.body.startswith("Thank you: your shift from 17:00 is confirmed")
    await tick(service, minutes=61)  # sw004 and sm002 did not answer
    texts = texts_to(service, "sm002")
    assert any("shift not confirmed" in t and "Reply ACK A" in t for t in texts), texts
    assert not any("shift not confirmed" in t for t in texts_to(service, "sw002"))
    async with service.database.sessions() as session:
        alerts = list(await session.scalars(select(Alert).where(Alert.kind == "shift_unconfirmed")))
    assert len(alerts) == 2  # sw004 and sm002 (the manager is told about the worker; …)
    (late,) = await service.fake.send_inbound_sms(
        from_=service.phones["sw004"], to=service.lines["police"], body="Y"
    )
    assert late.body.startswith("Thank you")
    async with service.database.sessions() as session:
        statuses = {
            a.person_id: a.status
            for a in await session.scalars(select(Alert).where(Alert.kind == "shift_unconfirmed"))
        }
        sw004 = await session.scalar(select(Person).where(Person.code == "sw004"))
    assert sw004 is not None and statuses[sw004.id] == "resolved"  # a late YES closes its alert
    assert sorted(statuses.values()) == ["open", "resolved"]


@pytest.fixture
async def escalated(aiohttp_server: ServerFactory, database: Database) -> Service:
    return await escalation_service(aiohttp_server, database, ManualClock(FRIDAY_NIGHT))
