"""Staff replies by text: ACK, DONE, MGR, HELP, YES — parsed, carried out, and answered; and the
hook by which a package above this one answers commands of its own (MISSING, FOUND)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import Alert, AlertKind, AlertStatus, Contact, OutboundMessage, Person
from oncall.domain.errors import NotFound
from oncall.domain.escalation.alerts import (
    LIVE,
    acknowledge,
    live_alerts_of_contact,
    lock_alert,
    note_outcome,
    raise_alert,
    resolve,
)
from oncall.domain.escalation.authority import may_act_on
from oncall.domain.escalation.facts import facts_of, reference_of
from oncall.domain.escalation.shifts import confirm_shift
from oncall.domain.escalation.targets import resolve_targets
from oncall.domain.outcomes import OutcomeLinks
from oncall.domain.texts import staff as text
from oncall.domain.texts.gsm7 import fit
from oncall.log import get_logger

log = get_logger(__name__)

VERBS = ("ACK", "DONE", "MGR", "HELP", "YES")
_ALIASES = {"Y": "YES", "ACCEPT": "ACK", "OK": "ACK", "RESOLVED": "DONE", "?": "HELP"}
_COMMAND = re.compile(
    r"^\s*([A-Za-z?]+)\s*(?:(A[0-9]{1,9}|[0-9]{1,4})\b)?[\s.:,-]*(.*)$", re.S | re.I
)


@dataclass(frozen=True, slots=True)
class Command:
    verb: str  # one of VERBS
    ref: str | None  # "0412", "A17", or None
    rest: str  # DONE's note


class MoreCommands(Protocol):
    """Staff commands a package above escalation answers (oncall.domain.missing: MISSING and
    FOUND). A staff member's text whose first word is one of `verbs` is handed over whole; the
    answer is the reply, which must name what was wrong when nothing was done."""

    @property
    def verbs(self) -> frozenset[str]: ...

    async def answer(
        self, session: AsyncSession, person: Person, body: str, *, now: datetime, zone: ZoneInfo
    ) -> str: ...


def first_word(body: str) -> str:
    """The text's first word in capitals ("" for an empty text)."""
    words = (body or "").split(maxsplit=1)
    return words[0].upper() if words else ""


def parse_command(body: str) -> Command | None:
    """'ack 412' → Command("ACK", "0412", ""); None when it is not a command."""
    match = _COMMAND.match(body or "")
    if match is None:
        return None
    verb = match[1].upper()
    verb = _ALIASES.get(verb, verb)
    if verb not in VERBS:
        return None
    ref = match[2]
    if ref is not None:
        ref = ref.upper() if ref[0] in "aA" else ref.zfill(4)
    rest = " ".join(match[3].split())
    if verb in ("HELP", "YES") and (ref or rest):
        return None  # "yes I am ill" is not a confirmation
    if verb in ("ACK", "MGR") and rest:
        return None
    return Command(verb, ref, rest[:1000])


async def _alerts_for(session: AsyncSession, ref: str) -> tuple[list[Alert], Contact | None]:
    """Live alerts for a reference, locked (after their contact): a contact's short ref, or
    A<id>."""
    if ref.startswith("A"):
        alert = await lock_alert(session, int(ref[1:]))
        if alert is None:
            return [], None
        contact = await session.get(Contact, alert.contact_id) if alert.contact_id else None
        return ([alert] if alert.status in LIVE else []), contact
    contact = await session.scalar(
        select(Contact)
        .where(Contact.short_ref == ref)
        .order_by(Contact.received_at.desc())
        .limit(1)
    )
    if contact is None:
        return [], None
    return await live_alerts_of_contact(session, contact.id), contact


async def latest_alert_of(session: AsyncSession, person: Person) -> str | None:
    """The reference of the newest open alert `person` was texted about, if any."""
    alert = await session.scalar(
        select(Alert)
        .join(OutboundMessage, OutboundMessage.alert_id == Alert.id)
        .where(OutboundMessage.person_id == person.id, Alert.status == AlertStatus.OPEN)
        .order_by(Alert.created_at.desc(), Alert.id.desc())
        .limit(1)
    )
    if alert is None:
        return None
    contact = await session.get(Contact, alert.contact_id) if alert.contact_id else None
    return reference_of(alert, contact)


async def carry_out(
    session: AsyncSession,
    person: Person,
    command: Command,
    *,
    now: datetime,
    zone: ZoneInfo,
    links: OutcomeLinks | None = None,
) -> str:
    """Do what a staff member's text asks and return the answer to text back.

    With `links`, the answer to an ACK carries the link to the contact's outcome page.
    """
    if command.verb == "HELP":
        return text.HELP_TEXT
    if command.verb == "YES":
        confirmed = await confirm_shift(session, person, now=now, zone=zone)
        if confirmed is None:
            return text.NOTHING_TO_CONFIRM
        return text.shift_confirmed_reply(confirmed.shift_start, zone)
    ref = command.ref
    if ref is None and command.verb in ("ACK", "MGR"):
        ref = await latest_alert_of(session, person)
        if ref is None:
            return fit(f"You have no open alert. Reply {command.verb} 0412 with a reference.")
    if ref is None:
        return fit("Add the reference and what was done: DONE 0412 <note>")
    alerts, contact = await _alerts_for(session, ref)
    if (alerts or contact) and not await may_act_on(session, person, alerts, contact, now=now):
        log.warning("staff command refused: not paged and not on duty", person=person.code,
                    verb=command.verb, ref=ref)  # fmt: skip
        return fit(
            f"Sorry, you were not paged about {ref} and are not on duty for its line, so nothing "
            "was done. Reply HELP for commands."
        )
    if command.verb == "ACK":
        link = links.url(contact.id, person.id, now=now) if links and contact else ""
        return await _ack(session, person, ref, alerts, now=now, zone=zone, link=link)
    if command.verb == "DONE":
        return await _done(session, person, ref, alerts, contact, command.rest, now=now, zone=zone)
    return await request_advice(session, person, ref, alerts, contact, now=now, zone=zone)


async def _ack(
    session: AsyncSession,
    person: Person,
    ref: str,
    alerts: list[Alert],
    *,
    now: datetime,
    zone: ZoneInfo,
    link: str,
) -> str:
    if not alerts:
        return fit(f"No open alert {ref}. Reply HELP for commands.")
    done = [a for a in alerts if await acknowledge(
        session, a, person=person, at=now, via="sms", zone=zone)]  # fmt: skip
    if not done:
        owner = await session.get(Person, alerts[0].acknowledged_by_id or 0)
        by = (
            "you" if owner is not None and owner.id == person.id else (owner.name if owner else "?")
        )
        at = alerts[0].acknowledged_at or now
        return fit(f"{ref} was already acknowledged by {by} at {text.hhmm(at, zone)}.")
    facts = await facts_of(session, done[0])
    return text.acknowledged_reply(facts, now, zone, outcome_link=link)


async def _done(
    session: AsyncSession,
    person: Person,
    ref: str,
    alerts: list[Alert],
    contact: Contact | None,
    note: str,
    *,
    now: datetime,
    zone: ZoneInfo,
) -> str:
    if not note:
        return fit(f"Add what was done: DONE {ref} <note>")
    if not alerts and contact is not None:
        # An answered call raises no alert, and the text sent when it ends asks for the
        # outcome by its link "or reply DONE 0412 <note>": the note is its outcome.
        await note_outcome(session, contact, person=person, note=note, at=now, via="sms")
        return text.resolved_reply(ref, now, zone)
    if not alerts:
        return fit(f"No open alert {ref}; nothing closed. Reply HELP for commands.")
    for alert in alerts:
        await resolve(session, alert, person=person, note=note, at=now, via="sms", zone=zone)
    return text.resolved_reply(ref, now, zone)


async def request_advice(
    session: AsyncSession,
    person: Person,
    ref: str,
    alerts: list[Alert],
    contact: Contact | None,
    *,
    now: datetime,
    zone: ZoneInfo,
) -> str:
    """A worker asks the senior manager on call to ring them about `ref` (also for the web).

    Their own open alerts for it count as owned by them; one advice alert per person and contact.
    """
    if contact is None:
        return fit(f"No contact {ref}. Reply HELP for commands.")
    for alert in alerts:
        if alert.kind != AlertKind.ADVICE_REQUEST:
            await acknowledge(session, alert, person=person, at=now, via="mgr", zone=zone)
    for alert in alerts:
        if alert.kind == AlertKind.ADVICE_REQUEST and alert.person_id == person.id:
            break
    else:
        await raise_alert(
            session, contact, kind=AlertKind.ADVICE_REQUEST, at=now, person_id=person.id,
        )  # fmt: skip
    managers = await resolve_targets(session, ["senior_manager"], at=now, exclude=person.id)
    return text.advice_requested_reply(ref, managers[0].name if managers else None)


async def ask_for_advice(
    session: AsyncSession, *, person_id: int, contact_id: int, now: datetime, zone: ZoneInfo
) -> str:
    """The web's "ask the senior manager to call me" button: as `MGR <ref>` by text."""
    person = await session.get(Person, person_id)
    contact = await session.get(Contact, contact_id)
    if person is None or contact is None:
        raise NotFound("no such person or contact")
    alerts = await live_alerts_of_contact(session, contact.id)
    return await request_advice(
        session, person, contact.short_ref, alerts, contact, now=now, zone=zone
    )
