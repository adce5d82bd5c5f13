"""Who a step's targets are at a given moment: duty workers, managers, coordinators."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import Person, Role, Tier, User, UserRole
from oncall.domain.duty import DutySnapshot, on_duty_at, ringing_order


@dataclass(frozen=True, slots=True)
class Recipient:
    person_id: int
    code: str
    name: str
    phone: str
    role: str  # the target that chose them: duty_worker, senior_manager, …


async def coordinators(session: AsyncSession) -> list[Person]:
    """Active people whose sign-in user holds the coordinator role."""
    rows = await session.scalars(
        select(Person)
        .join(User, User.person_id == Person.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.COORDINATOR, User.active, Person.active)
        .order_by(Person.id)
    )
    return list(rows.unique())


async def all_managers(session: AsyncSession) -> list[Person]:
    rows = await session.scalars(
        select(Person).where(Person.tier == Tier.MANAGER, Person.active).order_by(Person.id)
    )
    return list(rows)


def _from_duty(duty: DutySnapshot, routing_policy: str, target: str) -> list[Recipient]:
    order = ringing_order(routing_policy, duty)
    workers = [t for t in order if t.role != "senior manager"]
    if target == "duty_worker":
        chosen = workers[:1]
    elif target == "second_worker":
        chosen = workers[1:2]
    else:
        chosen = [t for t in order if t.role == "senior manager"][:1]
    return [Recipient(t.person_id, t.code, t.name, t.number, target) for t in chosen if t.person_id]


async def resolve_targets(
    session: AsyncSession,
    targets: Iterable[str],
    *,
    at: datetime,
    routing_policy: str = "default",
    exclude: int | None = None,
    cache: dict[datetime, DutySnapshot] | None = None,
) -> list[Recipient]:
    """The people a step reaches, once each, in target order; `exclude` (the asker) left out.

    `cache` keeps duty snapshots across the alerts of one batch (they share the instant).
    """
    cache = {} if cache is None else cache
    found: dict[int, Recipient] = {}
    for target in targets:
        if target in ("duty_worker", "second_worker", "senior_manager"):
            if at not in cache:
                cache[at] = await on_duty_at(session, at)
            chosen = _from_duty(cache[at], routing_policy, target)
        else:
            people = (
                await coordinators(session) if target == "coordinator"
                else await all_managers(session)
            )  # fmt: skip
            chosen = [Recipient(p.id, p.code, p.name, p.phone, target) for p in people]
        for recipient in chosen:
            if recipient.person_id != exclude:
                found.setdefault(recipient.person_id, recipient)
    return list(found.values())


async def staff_by_phone(session: AsyncSession, number: str) -> Person | None:
    """The active person whose phone this is (E.164), if any."""
    return await session.scalar(select(Person).where(Person.phone == number, Person.active))
