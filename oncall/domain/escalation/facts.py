"""What a text or an alert call may say about an alert: its reference, line, caller, time."""

from __future__ import annotations

import functools
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import (
    Alert,
    AlertKind,
    CallerType,
    Contact,
    KnownCaller,
    Line,
    Person,
    ShiftConfirmation,
)
from oncall.domain.texts.staff import AlertFacts
from oncall.phones import InvalidPhoneNumber, display_phone, normalise_phone

_MISSING = (AlertKind.MISSING_HIGH.value, AlertKind.MISSING_MEDIUM.value)


def reference_of(alert: Alert, contact: Contact | None) -> str:
    """The reference staff type: the contact's 4 digits, or A<id> for an alert without one."""
    return contact.short_ref if contact is not None else f"A{alert.id}"


@functools.lru_cache(maxsize=4096)
def callback_number(raw: str) -> str:
    """A caller's number as staff read it, or "" (parsed once per number, not once per text)."""
    try:
        return display_phone(normalise_phone(raw))
    except InvalidPhoneNumber:
        return ""


def facts_from(
    alert: Alert,
    contact: Contact | None,
    line: Line | None,
    known: KnownCaller | None,
    about: Person | None,
    shift_start: datetime | None = None,
) -> AlertFacts:
    """What a text or a call may say about `alert`, from its rows already loaded."""
    caller, callback = "", ""
    if contact is not None:
        if contact.known_caller_id is not None:
            caller = known.name if known else ""
        elif contact.caller_type == CallerType.FOSTER_CARER:
            caller = "foster carer"
        else:
            caller = "unverified caller"
        callback = callback_number(contact.caller_number)
    what = alert.summary or alert.kind.replace("_", " ")
    at = contact.received_at if contact else alert.created_at
    if alert.kind == AlertKind.SHIFT_UNCONFIRMED:
        at = shift_start or at
    if alert.kind == AlertKind.ADVICE_REQUEST and about is not None:
        what, callback = f"advice wanted by {about.name}, call", display_phone(about.phone)
        about = None
    if alert.kind in _MISSING and about is not None:  # who reported it: the worker to ask
        what, about = f"{what}, worker {about.name}", None
    return AlertFacts(
        ref=reference_of(alert, contact),
        what=what,
        line=line.name if line else "",
        caller=caller,
        at=at,
        callback=callback,
        about=about.name if about else "",
    )


async def facts_of(session: AsyncSession, alert: Alert) -> AlertFacts:
    """What a text or a call may say about `alert` (agency, line, time; never a child)."""
    contact = await session.get(Contact, alert.contact_id) if alert.contact_id else None
    about = await session.get(Person, alert.person_id) if alert.person_id else None
    line = await session.get(Line, contact.line_id) if contact and contact.line_id else None
    known = None
    if contact is not None and contact.known_caller_id is not None:
        known = await session.get(KnownCaller, contact.known_caller_id)
    shift_start = None
    if alert.kind == AlertKind.SHIFT_UNCONFIRMED:
        shift_start = await shift_start_of(session, alert)
    return facts_from(alert, contact, line, known, about, shift_start)


async def shift_start_of(session: AsyncSession, alert: Alert) -> datetime | None:
    """The start of the shift a shift_unconfirmed alert is about."""
    return await session.scalar(
        select(ShiftConfirmation.shift_start).where(ShiftConfirmation.alert_id == alert.id)
    )
