"""Duty overrides from the web app: tonight's cover on top of the published rota (sickness, a
swap agreed at short notice). Each change is an event in the response log. Nothing here commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import ActorType, DutyOverride, Person, Tier
from oncall.domain.chain import append_event
from oncall.domain.errors import Invalid

MAX_LENGTH = timedelta(days=14)  # longer absences belong in the rota: repair it


@dataclass(frozen=True, slots=True)
class OverrideRow:
    id: int
    tier: str
    start: datetime
    end: datetime
    person: str
    replaces: str
    reason: str
    created_by: str


async def current_overrides(session: AsyncSession, now: datetime) -> list[OverrideRow]:
    """Overrides in force now or later, soonest first."""
    rows = (
        await session.scalars(
            select(DutyOverride)
            .where(DutyOverride.cancelled_at.is_(None), DutyOverride.end > now)
            .order_by(DutyOverride.start)
        )
    ).all()
    ids = {r.person_id for r in rows} | {r.replaces_person_id for r in rows if r.replaces_person_id}
    names = dict(
        (await session.execute(select(Person.id, Person.name).where(Person.id.in_(ids)))).all()
    )
    return [
        OverrideRow(
            r.id,
            r.tier,
            r.start,
            r.end,
            names.get(r.person_id, "?"),
            names.get(r.replaces_person_id or 0, ""),
            r.reason,
            r.created_by,
        )
        for r in rows
    ]


async def add_override(
    session: AsyncSession,
    *,
    tier: str,
    person_code: str,
    replaces_code: str,
    start: datetime,
    end: datetime,
    reason: str,
    now: datetime,
    by: str,
) -> DutyOverride:
    """`person_code` is on duty for `tier` from `start` to `end`, in place of `replaces_code`
    (or in addition, when it is empty). Flushed, and logged as an event."""
    errors: dict[str, str] = {}
    if tier not in {t.value for t in Tier}:
        errors["tier"] = "choose the first tier or senior manager"
    person = await session.scalar(select(Person).where(Person.code == person_code))
    if person is None or not person.active:
        errors["person"] = "choose who is on duty"
    replaces = None
    if replaces_code:
        replaces = await session.scalar(select(Person).where(Person.code == replaces_code))
        if replaces is None:
            errors["replaces"] = f"nobody has the code {replaces_code!r}"
        elif person is not None and replaces.id == person.id:
            errors["replaces"] = "someone cannot cover for themselves"
    if end <= start:
        errors["end"] = "must be after the start"
    elif end - start > MAX_LENGTH:
        errors["end"] = "at most 14 days: for longer, record the absence and repair the rota"
    if end <= now:
        errors["end"] = "is already past"
    if not reason.strip():
        errors["reason"] = "say why (e.g. sickness, swap agreed by phone)"
    if errors:
        raise Invalid(errors)
    assert person is not None
    row = DutyOverride(
        tier=tier, start=start, end=end, person_id=person.id,
        replaces_person_id=replaces.id if replaces else None, reason=reason.strip()[:500],
        created_at=now, created_by=by[:80],
    )  # fmt: skip
    session.add(row)
    await session.flush()
    await append_event(
        session, kind="duty.override_added", at=now, actor_type=ActorType.USER, actor=by[:80],
        details={
            "override": row.id, "tier": tier, "person": person.code,
            "replaces": replaces.code if replaces else None,
            "start": start.isoformat(), "end": end.isoformat(),
        },
    )  # fmt: skip
    return row


async def cancel_override(
    session: AsyncSession, override_id: int, *, now: datetime, by: str
) -> bool:
    row = await session.get(DutyOverride, override_id)
    if row is None or row.cancelled_at is not None:
        return False
    row.cancelled_at = now
    await session.flush()
    await append_event(
        session, kind="duty.override_cancelled", at=now, actor_type=ActorType.USER,
        actor=by[:80], details={"override": row.id},
    )  # fmt: skip
    return True
