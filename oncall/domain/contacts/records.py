"""Contacts: reference numbers, who is calling, and opening a contact with its first events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from oncall.db.models import (
    ActorType,
    CallerNumber,
    CallerType,
    Channel,
    Contact,
    Line,
    ReferenceCounter,
)
from oncall.domain.chain import append_event
from oncall.phones import InvalidPhoneNumber, normalise_phone


@dataclass(frozen=True, slots=True)
class CallerIdentity:
    """Who is calling, as far as the number tells: never more than an agency or household."""

    caller_type: CallerType
    label: str  # said to the person on duty: "Police HQ control room", "a registered foster carer"
    agency: str  # for reports: police, hospital, foster carer, unverified
    known_caller_id: int | None = None
    household_id: int | None = None
    household_reference: str | None = None


UNVERIFIED = CallerIdentity(CallerType.UNVERIFIED, "an unverified caller", "unverified")


async def identify_caller(session: AsyncSession, raw_number: str) -> CallerIdentity:
    """Look the calling number up among known agency numbers and foster carer households."""
    try:
        number = normalise_phone(raw_number)
    except InvalidPhoneNumber:  # withheld, "anonymous", or garbage: still routed
        return UNVERIFIED
    match = await session.scalar(
        select(CallerNumber)
        .where(CallerNumber.number == number)
        .options(joinedload(CallerNumber.known_caller), joinedload(CallerNumber.household))
    )
    if match is None:
        return UNVERIFIED
    if match.known_caller is not None and match.known_caller.active:
        caller = match.known_caller
        caller_type = (
            CallerType(caller.agency)
            if caller.agency in ("police", "hospital")
            else (CallerType.UNVERIFIED)
        )
        return CallerIdentity(caller_type, caller.name, caller.agency, known_caller_id=caller.id)
    if match.household is not None and match.household.active:
        household = match.household
        return CallerIdentity(
            CallerType.FOSTER_CARER,
            "a registered foster carer",
            "foster carer",
            household_id=household.id,
            household_reference=household.reference,
        )
    return UNVERIFIED


async def contact_exists(session: AsyncSession, contact_id: int) -> bool:
    return await session.scalar(select(Contact.id).where(Contact.id == contact_id)) is not None


async def next_reference(session: AsyncSession, year: int) -> tuple[str, str]:
    """The next contact reference of `year`: ("OOH-2027-00042", "0042"). Safe across replicas."""
    bump = (
        update(ReferenceCounter)
        .where(ReferenceCounter.year == year)
        .values(last=ReferenceCounter.last + 1)
        .returning(ReferenceCounter.last)
    )
    number = await session.scalar(bump)
    if number is None:  # the first contact of the year (safe if two replicas race)
        dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        await session.execute(
            insert(ReferenceCounter)
            .values(year=year, last=0)
            .on_conflict_do_nothing(index_elements=["year"])
        )
        number = await session.scalar(bump)
    assert number is not None  # the row exists: created above if it was missing
    return f"OOH-{year}-{number:05d}", f"{number % 10000:04d}"


async def open_contact(
    session: AsyncSession,
    *,
    channel: Channel,
    line: Line | None,
    caller_number: str,
    caller: CallerIdentity,
    provider_sid: str | None,
    at: datetime,
    zone_year: int,
) -> Contact:
    """Create a contact and write its first events: received, line, caller identified."""
    reference, short_ref = await next_reference(session, zone_year)
    contact = Contact(
        reference=reference,
        short_ref=short_ref,
        line_id=line.id if line else None,
        channel=channel.value,
        caller_type=caller.caller_type.value,
        caller_number=caller_number[:32],
        known_caller_id=caller.known_caller_id,
        household_id=caller.household_id,
        provider_sid=provider_sid,
        received_at=at,
    )
    session.add(contact)
    await session.flush()
    received = "call.received" if channel is Channel.VOICE else "message.received"
    await append_event(
        session,
        kind=received,
        at=at,
        contact_id=contact.id,
        actor_type=ActorType.CALLER,
        actor=caller.agency,
        details={
            "reference": reference,
            "line": line.kind if line else None,
            "line_name": line.name if line else "unknown number",
            "channel": channel.value,
        },
    )
    await append_event(
        session,
        kind="caller.identified",
        at=at,
        contact_id=contact.id,
        actor_type=ActorType.SYSTEM,
        details={
            "caller_type": caller.caller_type.value,
            "caller": caller.label,
            "household": caller.household_reference,
            "verified": caller.caller_type is not CallerType.UNVERIFIED,
        },
    )
    return contact
