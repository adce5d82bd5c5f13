"""Calls end to end: the fake Twilio rings the service's lines and plays scripted phones."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from integrations.fake_twilio import CallerScript, CallTrace, PhoneBehaviour
from oncall.db.models import Alert, CallLeg, Contact, Event, Person
from oncall.domain.chain import verify_chain
from tests.e2e.conftest import UNKNOWN_CALLER, Service

POLICE_CONTROL_ROOM = "+441534700201"
HOSPITAL_SWITCHBOARD = "+441534700301"
FOSTER_CARER = "+447797950000"  # household FC-001


@dataclass
class Outcome:
    contact: Contact
    events: list[tuple[str, dict[str, Any]]]
    legs: list[CallLeg]
    alerts: list[Alert]
    handled_by: str | None

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.events]


async def outcome(service: Service, trace: CallTrace) -> Outcome:
    await service.fake.settle()
    async with service.database.sessions() as session:
        contact = (
            await session.scalars(select(Contact).where(Contact.provider_sid == trace.call_sid))
        ).one()
        events = [
            (e.kind, e.details)
            for e in await session.scalars(
                select(Event).where(Event.contact_id == contact.id).order_by(Event.seq)
            )
        ]
        legs = list(
            await session.scalars(
                select(CallLeg).where(CallLeg.contact_id == contact.id).order_by(CallLeg.attempt)
            )
        )
        alerts = list(await session.scalars(select(Alert).where(Alert.contact_id == contact.id)))
        handler = (
            await session.get(Person, contact.handled_by_id) if contact.handled_by_id else None
        )
        assert (await verify_chain(session)).ok
    assert trace.errors == [], trace.errors
    return Outcome(contact, events, legs, alerts, handler.code if handler else None)


def script(service: Service, **behaviours: PhoneBehaviour) -> None:
    for code, behaviour in behaviours.items():
        service.fake.phones.set(service.phones[code], behaviour)


async def test_police_call_reaches_the_duty_worker_who_presses_1(service: Service) -> None:
    script(service, sw002=PhoneBehaviour.ACCEPT)
    trace = await service.fake.place_inbound_call(
        from_=POLICE_CONTROL_ROOM, to=service.lines["police"]
    )
    result = await outcome(service, trace)
    assert result.handled_by == "sw002"
    assert result.contact.status == "answered"
    assert result.contact.caller_type == "police"
    assert result.contact.reference.startswith("OOH-2027-")
    assert result.kinds() == [
        "call.received",
        "caller.identified",
        "call.rang",
        "call.picked_up",
        "call.accepted",
        "call.connected",
        "call.ended",
        "outcome.link_texted",  # the worker is texted the link to record the outcome
        "call.duration",
    ]
    assert result.events[1][1]["caller"] == "Police HQ control room"
    assert [leg.result for leg in result.legs] == ["accepted"]
    assert result.alerts == []


async def test_foster_carer_at_night_first_phone_silent_second_accepts(service: Service) -> None:
    """The issue's own journey: a registered carer, 23:00, one no-answer, then a press of 1."""
    script(service, sw004=PhoneBehaviour.NO_ANSWER, sw002=PhoneBehaviour.ACCEPT)
    trace = await service.fake.place_inbound_call(
        from_=FOSTER_CARER, to=service.lines["foster"], caller=CallerScript(digits=("2",))
    )
    result = await outcome(service, trace)
    # The foster line prefers the on-duty worker with the fostering skill (sw004) first.
    rang = [d["person"] for kind, d in result.events if kind == "call.rang"]
    assert rang == ["sw004", "sw002"]
    assert [leg.result for leg in result.legs] == ["no_answer", "accepted"]
    assert result.handled_by == "sw002"
    assert result.contact.caller_type == "foster_carer"
    assert ("caller.chose", {"choice": "advice", "digits": "2"}) in result.events
    whisper = [e for e in trace.events if e.detail == "Say" and "advice" in e.data["text"]]
    assert whisper, "the whisper tells the worker the carer wants advice"


async def test_nobody_accepts_so_the_caller_leaves_a_message_and_an_alert_is_raised(
    service: Service,
) -> None:
    script(
        service,
        sw002=PhoneBehaviour.BUSY,
        sw004=PhoneBehaviour.VOICEMAIL,
        sm002=PhoneBehaviour.DECLINE,
    )
    trace = await service.fake.place_inbound_call(
        from_=HOSPITAL_SWITCHBOARD,
        to=service.lines["hospital"],
        caller=CallerScript(voicemail_s=40),
    )
    result = await outcome(service, trace)
    assert [leg.result for leg in result.legs] == ["busy", "no_answer", "declined"]
    assert result.contact.status == "missed"
    assert result.contact.recording_url
    kinds = result.kinds()
    assert (
        kinds.index("call.unanswered") < kinds.index("alert.raised") < kinds.index("call.voicemail")
    )
    assert [(a.kind, a.status) for a in result.alerts] == [("voicemail", "open")]
    assert "call.accepted" not in kinds


async def test_a_voicemail_that_answers_is_not_an_acceptance(service: Service) -> None:
    script(service, sw002=PhoneBehaviour.VOICEMAIL, sw004=PhoneBehaviour.ACCEPT)
    trace = await service.fake.place_inbound_call(
        from_=POLICE_CONTROL_ROOM, to=service.lines["police"]
    )
    result = await outcome(service, trace)
    assert [leg.result for leg in result.legs] == ["no_answer", "accepted"]
    assert result.handled_by == "sw004"


async def test_the_caller_hangs_up_while_the_second_phone_rings(service: Service) -> None:
    script(service, sw002=PhoneBehaviour.NO_ANSWER, sw004=PhoneBehaviour.NO_ANSWER)
    trace = await service.fake.place_inbound_call(
        from_=POLICE_CONTROL_ROOM,
        to=service.lines["police"],
        caller=CallerScript(hang_up_during_dial=2),
    )
    result = await outcome(service, trace)
    assert [leg.result for leg in result.legs] == ["no_answer", "cancelled"]
    assert result.contact.status == "missed"
    assert "caller.hung_up" in result.kinds()
    assert [(a.kind, a.status) for a in result.alerts] == [("missed_call", "open")]
    assert len([k for k in result.kinds() if k == "call.rang"]) == 2


async def test_an_unknown_number_is_unverified_and_still_routed(service: Service) -> None:
    script(service, sw002=PhoneBehaviour.ACCEPT)
    trace = await service.fake.place_inbound_call(from_=UNKNOWN_CALLER, to=service.lines["police"])
    result = await outcome(service, trace)
    assert result.contact.caller_type == "unverified"
    assert result.handled_by == "sw002"


async def test_office_hours_go_to_the_daytime_duty_desk(service: Service) -> None:
    from datetime import datetime

    from tests.support import JERSEY

    await service.clock.set(datetime(2027, 1, 6, 11, 0, tzinfo=JERSEY))  # a Wednesday morning
    trace = await service.fake.place_inbound_call(
        from_=POLICE_CONTROL_ROOM, to=service.lines["police"]
    )
    result = await outcome(service, trace)
    assert "call.forwarded" in result.kinds()
    assert result.legs == []
    dialled = [e for e in trace.events if e.kind == "verb" and e.detail == "Dial"]
    assert dialled and "+441534700100" in str(dialled[0].data)
