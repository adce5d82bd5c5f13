"""Publishing a version: it replaces the published one, and its balances carry to next month."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import Balance, Person, RotaVersion, VersionStatus
from oncall.domain.rota.errors import RotaConflict
from oncall.domain.rota.months import Month
from oncall.domain.rota.versions import USABLE, find_version


async def publish(
    session: AsyncSession, month: Month | str, number: int | None = None, *, now: datetime, by: str
) -> RotaVersion:
    """Publish version `number` (or the newest draft): the published one before it becomes
    superseded, and the month's balances are rewritten from this version's figures.

    Flushes; the caller commits, so a failure leaves the old published version in place.
    """
    month = Month.parse(month) if isinstance(month, str) else month
    if number is None:
        version = await find_version(session, month, status=VersionStatus.DRAFT)
    else:
        version = await find_version(session, month, number)
    label = f"{month.key} version {version.number}"
    if version.status != VersionStatus.DRAFT:
        raise RotaConflict(f"version: {label} is {version.status}, not a draft")
    if version.solver_status not in USABLE:
        raise RotaConflict(
            f"version: {label} cannot be published: the solver found it "
            f"{version.solver_status or 'unsolved'}, so it is not a complete rota"
        )
    current = await session.scalars(
        select(RotaVersion).where(
            RotaVersion.period_id == version.period_id,
            RotaVersion.status == VersionStatus.PUBLISHED,
        )
    )
    for old in current:
        old.status = VersionStatus.SUPERSEDED
    # Flush the old one first: a partial unique index on "one published per period" may come.
    await session.flush()
    version.status = VersionStatus.PUBLISHED
    version.published_at = now
    version.published_by = by
    await carry_balances(session, version, now)
    await session.flush()
    return version


async def carry_balances(session: AsyncSession, version: RotaVersion, now: datetime) -> None:
    """One Balance row per person of the version: their dev and category devs after the month.

    `dev` already includes what they brought in, so next month starts from it alone.
    """
    figures = {p["id"]: p for p in version.solution.get("people", [])}
    ids = dict(
        (
            await session.execute(
                select(Person.code, Person.id).where(Person.code.in_(list(figures)))
            )
        ).all()
    )
    existing = {
        b.person_id: b
        for b in await session.scalars(
            select(Balance).where(Balance.period_id == version.period_id)
        )
    }
    for code, person in figures.items():
        categories = {
            name: float(values["dev"]) for name, values in person.get("categories", {}).items()
        }
        row = existing.pop(ids[code], None)
        if row is None:
            row = Balance(person_id=ids[code], period_id=version.period_id, created_at=now)
            session.add(row)
        row.load = float(person["dev"])
        row.categories = categories
        row.created_at = now
    for stale in existing.values():  # someone on an earlier version of the month but not this one
        await session.delete(stale)
