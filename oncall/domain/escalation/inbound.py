"""An SMS to one of our numbers: a staff command, or a foster carer or agency texting a line.

Every text is stored and answered; a number that keeps sending what we cannot use is answered
at most `junk_per_hour` times an hour (still stored, still logged, still bundled into its contact).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import ActorType, Alert, AlertKind, Channel, Contact, InboundMessage, Line
from oncall.domain.chain import EventKind, append_event
from oncall.domain.contacts import identify_caller, open_contact
from oncall.domain.escalation.alerts import LIVE, raise_alert
from oncall.domain.escalation.commands import MoreCommands, carry_out, first_word, parse_command
from oncall.domain.escalation.targets import staff_by_phone
from oncall.domain.outcomes import OutcomeLinks
from oncall.domain.texts import staff as text
from oncall.log import get_logger
from oncall.phones import InvalidPhoneNumber, normalise_phone

log = get_logger(__name__)

BUNDLE_WINDOW = timedelta(hours=6)  # a carer's further texts join their open contact


async def _line(session: AsyncSession, number: str) -> Line | None:
    return await session.scalar(select(Line).where(Line.twilio_number == number, Line.active))


async def _recent_from(session: AsyncSession, number: str, now: datetime) -> list[InboundMessage]:
    return list(
        await session.scalars(
            select(InboundMessage).where(
                InboundMessage.from_number == number,
                InboundMessage.received_at > now - timedelta(hours=1),
            )
        )
    )


async def stored_sms_reply(session: AsyncSession, sid: str) -> str | None:
    """The answer already given to the text with this MessageSid, if it was handled."""
    return await session.scalar(
        select(InboundMessage.reply).where(InboundMessage.provider_sid == sid[:64])
    )


async def handle_inbound_sms(
    session: AsyncSession,
    *,
    sid: str,
    from_: str,
    to: str,
    body: str,
    now: datetime,
    zone: ZoneInfo,
    junk_per_hour: int,
    links: OutcomeLinks | None = None,
    more: MoreCommands | None = None,
) -> str:
    """Store and act on one inbound text; return the reply ("" = rate limited, no reply).

    `links` puts the outcome page's link in the answer to an ACK; `more` answers the staff
    commands of a package above this one (MISSING and FOUND).
    """
    earlier = await stored_sms_reply(session, sid)
    if earlier is not None:  # Twilio retried the webhook: same answer, nothing done twice
        return earlier
    try:
        number = normalise_phone(from_)
    except InvalidPhoneNumber:
        number = from_.strip()[:32]
    person = await staff_by_phone(session, number)
    recent = await _recent_from(session, number, now)
    message = InboundMessage(
        provider_sid=sid[:64], from_number=number[:32], to_number=to[:32], body=body[:1600],
        received_at=now, person_id=person.id if person else None,
    )  # fmt: skip
    session.add(message)
    verbs = more.verbs if more is not None else frozenset()
    if person is not None and more is not None and first_word(body) in verbs:
        log.info("staff command", person=person.code, verb=first_word(body))
        reply = await more.answer(session, person, body, now=now, zone=zone)
    elif person is not None:
        command = parse_command(body)
        if command is None:
            junk = sum(
                1
                for m in recent
                if m.person_id and parse_command(m.body) is None and first_word(m.body) not in verbs
            )
            log.info("staff text not understood", person=person.code, limited=junk >= junk_per_hour)
            reply = text.UNKNOWN_COMMAND if junk < junk_per_hour else ""
        else:
            log.info("staff command", person=person.code, verb=command.verb, ref=command.ref)
            reply = await carry_out(session, person, command, now=now, zone=zone, links=links)
    else:
        reply, contact = await _line_message(session, message, now=now, zone=zone)
        message.contact_id = contact.id if contact else None
        if len(recent) >= junk_per_hour:
            log.warning("texts from one number over the hourly limit: not answered")
            reply = ""
    message.reply = reply
    await session.flush()
    return reply


async def _line_message(
    session: AsyncSession, message: InboundMessage, *, now: datetime, zone: ZoneInfo
) -> tuple[str, Contact | None]:
    """A text from outside: join the sender's open contact on this line, or open one with an
    alert. Its words stay in the database: never in a text to staff, never in a log line."""
    line = await _line(session, message.to_number)
    if line is None:
        log.warning("text to a number that is not an active line", to=message.to_number)
        return text.UNKNOWN_SENDER, None
    contact = await session.scalar(
        select(Contact)
        .join(Alert, Alert.contact_id == Contact.id)
        .where(
            Contact.caller_number == message.from_number,
            Contact.line_id == line.id,
            Contact.channel == Channel.SMS,
            Contact.received_at > now - BUNDLE_WINDOW,
            Alert.status.in_(LIVE),
        )
        .order_by(Contact.received_at.desc())
        .limit(1)
    )
    if contact is not None:
        await append_event(
            session, kind=EventKind.MESSAGE_RECEIVED, at=now, contact_id=contact.id,
            actor_type=ActorType.CALLER, details={"bundled": True, "chars": len(message.body)},
        )  # fmt: skip
        return text.line_message_reply(contact.reference, added=True), contact
    caller = await identify_caller(session, message.from_number)
    contact = await open_contact(
        session, channel=Channel.SMS, line=line, caller_number=message.from_number,
        caller=caller, provider_sid=message.provider_sid, at=now,
        zone_year=now.astimezone(zone).year,
    )  # fmt: skip
    await raise_alert(session, contact, kind=AlertKind.INBOUND_SMS, at=now)
    return text.line_message_reply(contact.reference, added=False), contact
