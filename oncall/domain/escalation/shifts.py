"""Shift confirmation: ask the people on duty before a shift, chase those who do not answer."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from oncall.db.models import (
    ActorType,
    AlertKind,
    AlertStatus,
    Channel,
    DutyOverride,
    Line,
    Person,
    RotaShift,
    RotaVersion,
    ShiftConfirmation,
    VersionStatus,
)
from oncall.domain.chain import EventKind, append_event
from oncall.domain.escalation.alerts import lock_alert, raise_alert, resolve
from oncall.domain.outbox import queue as outbox
from oncall.domain.texts.staff import shift_request

_SHORT_LINE_NAMES = {"police": "Police", "hospital": "Hospital", "foster": "Foster"}


async def _upcoming(
    session: AsyncSession, *, now: datetime, lead: timedelta
) -> list[tuple[int, str, datetime, datetime]]:
    """(person, tier, start, end) of every rota shift and override starting within `lead`."""
    horizon = now + lead
    shifts = await session.scalars(
        select(RotaShift)
        .join(RotaVersion, RotaShift.version_id == RotaVersion.id)
        .where(
            RotaVersion.status == VersionStatus.PUBLISHED,
            RotaShift.start > now,
            RotaShift.start <= horizon,
        )
        .options(selectinload(RotaShift.assignments))
    )
    found: list[tuple[int, str, datetime, datetime]] = [
        (a.person_id, s.tier, s.start, s.end) for s in shifts for a in s.assignments
    ]
    overrides = await session.scalars(
        select(DutyOverride).where(
            DutyOverride.cancelled_at.is_(None),
            DutyOverride.start > now,
            DutyOverride.start <= horizon,
        )
    )
    found += [(o.person_id, o.tier, o.start, o.end) for o in overrides]
    return found


async def ask_for_confirmations(
    session: AsyncSession, *, now: datetime, zone: ZoneInfo, lead: timedelta
) -> int:
    """Text each person whose shift starts within `lead` once; return how many were asked."""
    upcoming = await _upcoming(session, now=now, lead=lead)
    if not upcoming:
        return 0
    lines = list(await session.scalars(select(Line).where(Line.active).order_by(Line.id)))
    names = [_SHORT_LINE_NAMES.get(line.kind, line.name) for line in lines]
    from_ = lines[0].twilio_number if lines else ""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    asked = 0
    for person_id, tier, start, end in upcoming:
        person = await session.get(Person, person_id)
        if person is None or not person.active:
            continue
        new_id = await session.scalar(
            insert(ShiftConfirmation)
            .values(person_id=person_id, tier=tier, shift_start=start, shift_end=end, asked_at=now)
            .on_conflict_do_nothing(index_elements=["person_id", "shift_start"])
            .returning(ShiftConfirmation.id)
        )
        if new_id is None:
            continue  # asked already (by this or another replica)
        await outbox.enqueue(
            session, dedupe_key=f"shift:{new_id}:ask", channel=Channel.SMS, to=person.phone,
            from_=from_, body=shift_request(start, end, names, zone), now=now, person_id=person_id,
        )  # fmt: skip
        await append_event(
            session, kind=EventKind.SHIFT_CONFIRMATION_REQUESTED, at=now,
            details={"person": person.code, "start": start.isoformat(), "tier": tier},
        )  # fmt: skip
        asked += 1
    return asked


async def chase_unconfirmed(session: AsyncSession, *, now: datetime, after: timedelta) -> int:
    """Raise a shift_unconfirmed alert for each request unanswered `after` asking."""
    rows = list(
        await session.scalars(
            select(ShiftConfirmation)
            .where(
                ShiftConfirmation.confirmed_at.is_(None),
                ShiftConfirmation.alert_id.is_(None),
                ShiftConfirmation.asked_at <= now - after,
                ShiftConfirmation.shift_end > now,
            )
            .with_for_update(skip_locked=True)
        )
    )
    for row in rows:
        alert = await raise_alert(
            session, None, kind=AlertKind.SHIFT_UNCONFIRMED, at=now, person_id=row.person_id,
        )  # fmt: skip
        row.alert_id = alert.id
    return len(rows)


async def shift_of_alert(session: AsyncSession, alert_id: int) -> ShiftConfirmation | None:
    return await session.scalar(
        select(ShiftConfirmation).where(ShiftConfirmation.alert_id == alert_id).limit(1)
    )


async def confirm_shift(
    session: AsyncSession, person: Person, *, now: datetime, zone: ZoneInfo
) -> ShiftConfirmation | None:
    """YES: confirm the person's next unconfirmed shift; an alert about it is closed."""
    row = await session.scalar(
        select(ShiftConfirmation)
        .where(
            ShiftConfirmation.person_id == person.id,
            ShiftConfirmation.confirmed_at.is_(None),
            ShiftConfirmation.shift_end > now,
        )
        .order_by(ShiftConfirmation.shift_start)
        .limit(1)
        .with_for_update()
    )
    if row is None:
        return None
    row.confirmed_at = now
    await append_event(
        session, kind=EventKind.SHIFT_CONFIRMED, at=now, actor_type=ActorType.PERSON,
        actor=person.code,
        details={"start": row.shift_start.isoformat(), "tier": row.tier},
    )  # fmt: skip
    if row.alert_id is not None:
        alert = await lock_alert(session, row.alert_id)
        if alert is not None and alert.status in (AlertStatus.OPEN, "acknowledged"):
            await resolve(
                session, alert, person=person, note="shift confirmed by text", at=now, via="sms"
            )
    return row
