"""The voice call flow: each step of a call recorded as events, decided from our own record."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from integrations import voice
from integrations.telephony import CallProgress, DialOutcome
from oncall.db.models import (
    ActorType,
    AlertKind,
    CallLeg,
    Channel,
    Contact,
    ContactStatus,
    Event,
    KnownCaller,
    LegResult,
    Line,
)
from oncall.domain.calls import spoken
from oncall.domain.chain import EventKind, append_event, pending_events
from oncall.domain.contacts import identify_caller, open_contact
from oncall.domain.duty import (
    Target,
    day_desk_number,
    on_duty_at,
    ringing_order,
    service_window,
    whisper_text,
)
from oncall.domain.escalation import raise_alert
from oncall.domain.outcomes import OutcomeLinks, text_after_call
from oncall.phones import InvalidPhoneNumber, normalise_phone

MENU_CHOICES = {"1": "emergency", "2": "advice"}

# How a ring ended, for a leg nobody accepted. A phone (or its voicemail) that picked up but
# never pressed 1 did not answer; an outcome the provider could not name counts the same.
_LEG_RESULTS = {
    DialOutcome.BUSY: LegResult.BUSY,
    DialOutcome.FAILED: LegResult.FAILED,
    DialOutcome.CANCELED: LegResult.CANCELLED,
    DialOutcome.NO_ANSWER: LegResult.NO_ANSWER,
    DialOutcome.COMPLETED: LegResult.NO_ANSWER,
    DialOutcome.ANSWERED: LegResult.NO_ANSWER,
}


async def line_for(session: AsyncSession, dialled: str) -> Line | None:
    try:
        number = normalise_phone(dialled)
    except InvalidPhoneNumber:
        return None
    return await session.scalar(select(Line).where(Line.twilio_number == number, Line.active))


async def _event(
    session: AsyncSession, contact: Contact, kind: EventKind, at: datetime, **details: object
) -> None:
    await append_event(session, kind=kind, at=at, contact_id=contact.id, details=details)


async def call_received(
    session: AsyncSession,
    *,
    call_sid: str,
    from_: str,
    to: str,
    at: datetime,
    zone: ZoneInfo,
    fallback: str | None = None,
) -> voice.Instruction:
    """A call reached one of the lines: open a contact, then forward, offer a menu or ring.

    `fallback` is rung when nobody at all is on duty (a gap in the rota), before voicemail.
    """
    existing = await session.scalar(select(Contact).where(Contact.provider_sid == call_sid))
    if existing is not None:  # Twilio retried the first request: carry on where we are
        return await ring_next(session, existing, at, fallback=fallback)
    line = await line_for(session, to)
    caller = await identify_caller(session, from_)
    contact = await open_contact(
        session, channel=Channel.VOICE, line=line, caller_number=from_, caller=caller,
        provider_sid=call_sid, at=at, zone_year=at.astimezone(zone).year,
    )  # fmt: skip
    window = await service_window(session)
    if not window.contains(at, zone):
        desk = await day_desk_number(session)
        if desk:
            contact.status = ContactStatus.CLOSED
            contact.outcome = "forwarded_to_day_team"
            await _event(session, contact, EventKind.CALL_FORWARDED, at, to="daytime duty desk")
            return voice.Forward(spoken.OUTSIDE_HOURS, desk)
        # No desk number configured: the on-call staff are better than silence.
        await _event(session, contact, EventKind.CALL_OUTSIDE_HOURS_NO_DESK, at)
    if line is not None and line.offers_menu:
        await _event(session, contact, EventKind.CALLER_MENU_OFFERED, at)
        return voice.Menu(
            contact.id,
            f"{line.greeting} If this is an emergency, press 1. For advice, press 2.",
        )
    greeting = line.greeting if line else None
    return await ring_next(session, contact, at, greeting=greeting, fallback=fallback)


async def menu_chosen(
    session: AsyncSession,
    *,
    contact_id: int,
    digits: str,
    at: datetime,
    fallback: str | None = None,
) -> voice.Instruction:
    contact = await _contact(session, contact_id)
    if contact is None:
        return voice.HangUp()
    if await _chosen(session, contact) is None:
        choice = MENU_CHOICES.get(digits, "emergency")  # no key or a wrong key: treat as urgent
        await _event(session, contact, EventKind.CALLER_CHOSE, at, choice=choice, digits=digits[:4])
    return await ring_next(session, contact, at, greeting="Thank you.", fallback=fallback)


async def _contact(session: AsyncSession, contact_id: int) -> Contact | None:
    return await session.get(Contact, contact_id, with_for_update={"key_share": True})


async def _chosen(session: AsyncSession, contact: Contact) -> str | None:
    for event in pending_events(session):  # chosen in this transaction: not in the table yet
        if event.contact_id == contact.id and event.kind == EventKind.CALLER_CHOSE:
            return str(event.details["choice"])
    details = await session.scalar(
        select(Event.details)
        .where(Event.contact_id == contact.id, Event.kind == EventKind.CALLER_CHOSE)
        .limit(1)
    )
    return str(details["choice"]) if details else None


async def _targets(session: AsyncSession, contact: Contact, fallback: str | None) -> list[Target]:
    line = await session.get(Line, contact.line_id) if contact.line_id else None
    duty = await on_duty_at(session, contact.received_at)
    targets = ringing_order(line.routing_policy if line else "default", duty)
    if not targets and fallback:  # a gap in the rota: a person beats a voicemail box
        targets = [Target(None, "fallback", "fallback number", fallback, "fallback number")]
    return targets


async def _legs(session: AsyncSession, contact: Contact) -> list[CallLeg]:
    return list(
        (
            await session.scalars(
                select(CallLeg).where(CallLeg.contact_id == contact.id).order_by(CallLeg.attempt)
            )
        ).all()
    )


async def ring_next(
    session: AsyncSession,
    contact: Contact,
    at: datetime,
    *,
    greeting: str | None = None,
    fallback: str | None = None,
) -> voice.Instruction:
    """Ring the next person in the line's order who has not been rung, or take a message."""
    if contact.ended_at is not None:
        return voice.Ignored()
    legs = await _legs(session, contact)
    if legs and legs[-1].result == LegResult.RINGING:
        return _ring(contact, legs[-1], greeting)  # a retried step: the same ring, not another
    if contact.status == ContactStatus.ANSWERED:
        return voice.HangUp()
    targets = await _targets(session, contact, fallback)
    rung = {leg.number for leg in legs}
    remaining = [t for t in targets if t.number not in rung]
    if not remaining:
        return await _nobody_accepted(session, contact, at, rung_anyone=bool(legs))
    target = remaining[0]
    leg = CallLeg(
        contact_id=contact.id, attempt=len(legs) + 1, person_id=target.person_id,
        number=target.number, role=target.role, result=LegResult.RINGING, rung_at=at,
    )  # fmt: skip
    session.add(leg)
    if contact.first_rung_at is None:
        contact.first_rung_at = at
    await _event(
        session, contact, EventKind.CALL_RANG, at,
        attempt=leg.attempt, person=target.code, role=target.role,
    )  # fmt: skip
    await session.flush()
    return _ring(contact, leg, greeting)


def _ring(contact: Contact, leg: CallLeg, greeting: str | None) -> voice.Ring:
    say = greeting if leg.attempt == 1 else None
    return voice.Ring(contact.id, leg.attempt, leg.number, None, say)


async def _nobody_accepted(
    session: AsyncSession, contact: Contact, at: datetime, *, rung_anyone: bool
) -> voice.Instruction:
    contact.status = ContactStatus.MISSED
    await _event(session, contact, EventKind.CALL_UNANSWERED, at, rung=rung_anyone)
    await raise_alert(session, contact, kind=AlertKind.MISSED_CALL, at=at)
    return voice.TakeMessage(contact.id, spoken.NOBODY_ACCEPTED, spoken.MESSAGE_TAKEN)


async def _leg(session: AsyncSession, contact: Contact, attempt: int) -> CallLeg | None:
    return await session.scalar(
        select(CallLeg).where(CallLeg.contact_id == contact.id, CallLeg.attempt == attempt)
    )


async def _caller_words(session: AsyncSession, contact: Contact) -> str:
    if contact.known_caller_id is not None:
        caller = await session.get(KnownCaller, contact.known_caller_id)
        if caller is not None:
            return caller.name
    return {"foster_carer": "a registered foster carer"}.get(
        contact.caller_type, "an unverified caller"
    )


async def callee_answered(
    session: AsyncSession, *, contact_id: int, attempt: int, at: datetime
) -> voice.Instruction:
    """A rung phone picked up (a person or a voicemail): play the whisper, ask for 1."""
    contact = await _contact(session, contact_id)
    leg = await _leg(session, contact, attempt) if contact else None
    if contact is None or leg is None:
        return voice.HangUp()
    if contact.ended_at is not None or contact.status == ContactStatus.ANSWERED:
        return voice.HangUp(spoken.NO_LONGER_WAITING)
    if leg.answered_at is None:
        leg.answered_at = at
        await _event(session, contact, EventKind.CALL_PICKED_UP, at, attempt=attempt, role=leg.role)
    line = await session.get(Line, contact.line_id) if contact.line_id else None
    say = whisper_text(
        line_name=line.name if line else "an unknown line",
        caller=await _caller_words(session, contact),
        short_ref=contact.short_ref,
        choice=await _chosen(session, contact),
    )
    return voice.Whisper(contact.id, attempt, say, spoken.PASSING_ON)


async def callee_pressed(
    session: AsyncSession, *, contact_id: int, attempt: int, digits: str, at: datetime
) -> voice.Instruction:
    """The answer to the whisper: only a 1 connects; anything else passes the call on."""
    contact = await _contact(session, contact_id)
    leg = await _leg(session, contact, attempt) if contact else None
    if contact is None or leg is None:
        return voice.HangUp()
    if leg.result == LegResult.ACCEPTED:
        return voice.Connect(spoken.ACCEPTED)  # a retried request
    if contact.ended_at is not None or contact.status == ContactStatus.ANSWERED:
        return voice.HangUp(spoken.NO_LONGER_WAITING)
    if digits != "1":
        if leg.result == LegResult.RINGING:
            leg.result = LegResult.DECLINED
            await _event(
                session, contact, EventKind.CALL_DECLINED, at, attempt=attempt, role=leg.role
            )
        return voice.HangUp(spoken.PASSING_ON)
    leg.result = LegResult.ACCEPTED
    contact.status = ContactStatus.ANSWERED
    contact.answered_at = at
    contact.handled_by_id = leg.person_id
    await _event(session, contact, EventKind.CALL_ACCEPTED, at, attempt=attempt, role=leg.role)
    return voice.Connect(spoken.ACCEPTED)


async def dial_finished(
    session: AsyncSession,
    *,
    contact_id: int,
    attempt: int,
    outcome: DialOutcome | None,
    duration: int | None,
    caller: CallProgress | None,
    at: datetime,
    fallback: str | None = None,
    links: OutcomeLinks | None = None,
    zone: ZoneInfo | None = None,
) -> voice.Instruction:
    """A ring ended (`outcome`, None if the provider could not name it; `caller`, the caller's
    call then). Decide from our record whether the person accepted, not from the provider's.

    When an accepted call ends, its worker is texted the outcome link (given `links`, `zone`).
    """
    contact = await _contact(session, contact_id)
    leg = await _leg(session, contact, attempt) if contact else None
    if contact is None or leg is None:
        return voice.HangUp()
    if leg.ended_at is None:
        leg.ended_at = at
        if leg.result == LegResult.ACCEPTED:
            leg.talk_seconds = duration
            await _event(
                session, contact, EventKind.CALL_CONNECTED, at, attempt=attempt, seconds=duration
            )
        elif leg.result == LegResult.RINGING:
            leg.result = _LEG_RESULTS[outcome] if outcome else LegResult.NO_ANSWER
            await _event(
                session, contact, EventKind.CALL_NOT_ANSWERED, at, attempt=attempt, role=leg.role,
                result=leg.result, twilio_status=outcome.value if outcome else "unknown",
            )  # fmt: skip
    if leg.result == LegResult.ACCEPTED:
        await _end(session, contact, at, hung_up_by="call finished")
        if zone is not None:
            await text_after_call(session, contact, links=links, at=at, zone=zone)
        return voice.HangUp()
    if caller is CallProgress.COMPLETED:  # the caller hung up while this phone rang
        await _caller_gone(session, contact, at)
        return voice.Ignored()
    return await ring_next(session, contact, at, fallback=fallback)


async def _caller_gone(session: AsyncSession, contact: Contact, at: datetime) -> None:
    if contact.ended_at is not None:
        return
    for leg in await _legs(session, contact):
        if leg.result == LegResult.RINGING:
            leg.result, leg.ended_at = LegResult.CANCELLED, at
    await _end(session, contact, at, hung_up_by="caller")
    if contact.status == ContactStatus.OPEN:
        contact.status = ContactStatus.MISSED
        await raise_alert(session, contact, kind=AlertKind.MISSED_CALL, at=at)


async def _failsafe_given(session: AsyncSession, contact: Contact) -> bool:
    count = await session.scalar(
        select(func.count())
        .select_from(Event)
        .where(Event.contact_id == contact.id, Event.kind == EventKind.CALL_FAILSAFE)
    )
    return bool(count)


async def _end(session: AsyncSession, contact: Contact, at: datetime, *, hung_up_by: str) -> None:
    if contact.ended_at is None:
        contact.ended_at = at
        kind = EventKind.CALLER_HUNG_UP if hung_up_by == "caller" else EventKind.CALL_ENDED
        await _event(session, contact, kind, at)


async def message_recorded(
    session: AsyncSession, *, contact_id: int, recording_url: str, seconds: int, at: datetime
) -> voice.Instruction:
    """The caller left a message (or hung up at the tone): note it and tell the alert."""
    contact = await _contact(session, contact_id)
    if contact is None:
        return voice.HangUp()
    if contact.recording_url is None and recording_url:
        contact.recording_url = recording_url[:500]
        await _event(session, contact, EventKind.CALL_VOICEMAIL, at, seconds=seconds)
        await raise_alert(session, contact, kind=AlertKind.VOICEMAIL, at=at)
    return voice.HangUp(spoken.MESSAGE_TAKEN)


async def record_call_end(
    session: AsyncSession,
    *,
    call_sid: str,
    progress: CallProgress,
    duration: int | None,
    at: datetime,
    links: OutcomeLinks | None = None,
    zone: ZoneInfo | None = None,
) -> None:
    """The caller's call ended (`progress`, from its status callback): record the end and its
    length, once (and text the outcome link for an accepted call, if the dial's result did not
    already). A progress that is not an end records nothing."""
    contact = await session.scalar(
        select(Contact).where(Contact.provider_sid == call_sid).with_for_update(key_share=True)
    )
    if contact is None or not progress.ended:
        return
    already = await session.scalar(
        select(func.count())
        .select_from(Event)
        .where(Event.contact_id == contact.id, Event.kind == EventKind.CALL_DURATION)
    )
    if already:
        return
    if contact.status == ContactStatus.OPEN and await _failsafe_given(session, contact):
        # The caller was given the fail-safe ring: our record cannot say whether anyone answered
        # it, so no "hung up" and no missed call here; the call check asks the provider.
        return
    if contact.status == ContactStatus.OPEN:
        await _caller_gone(session, contact, at)
    else:
        await _end(session, contact, at, hung_up_by="call finished")
        if zone is not None:
            await text_after_call(session, contact, links=links, at=at, zone=zone)
    await append_event(
        session, kind=EventKind.CALL_DURATION, at=at, contact_id=contact.id,
        actor_type=ActorType.SYSTEM, details={"seconds": duration, "status": progress.value},
    )  # fmt: skip
