"""Exports of a rota version: CSV in local time, JSON, and an RFC 5545 calendar in UTC."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import VersionStatus
from oncall.domain.rota.ical import ShiftEvent, calendar_document, local_span, tier_words
from oncall.domain.rota.months import Month
from oncall.domain.rota.versions import LoadedVersion, find_version, load_version, published_version
from oncall.domain.spreadsheet import csv_text

CSV_COLUMNS = ["month", "version", "tier", "shift", "date", "start", "end", "hours", "position"]
CSV_COLUMNS += ["person", "name"]


async def version_for_export(
    session: AsyncSession, month: Month | str, number: int | None = None
) -> LoadedVersion:
    """Version `number`, or by default the published one (what staff should see)."""
    month = Month.parse(month) if isinstance(month, str) else month
    if number is None:
        version = await published_version(session, month)
    else:
        version = await find_version(session, month, number)
    return await load_version(session, version.id)


async def export_csv(
    session: AsyncSession, month: Month | str, number: int | None = None, *, zone: ZoneInfo
) -> str:
    """One row per shift and person, in local time."""
    loaded = await version_for_export(session, month, number)
    rows: list[list[Any]] = [CSV_COLUMNS]
    for shift in loaded.version.shifts:
        start, end = shift.start.astimezone(zone), shift.end.astimezone(zone)
        hours = (shift.end - shift.start).total_seconds() / 3600
        for position, person in enumerate(loaded.crew(shift), start=1):
            rows.append(
                [
                    loaded.month.key, loaded.version.number, shift.tier, shift.key,
                    start.date().isoformat(), start.isoformat(), end.isoformat(), f"{hours:g}",
                    position, person.code, person.name,
                ]
            )  # fmt: skip
    return csv_text(rows)  # a name like =HYPERLINK(...) is defused, as in every CSV


async def export_json(
    session: AsyncSession, month: Month | str, number: int | None = None, *, zone: ZoneInfo
) -> dict[str, Any]:
    """The stored solution, with each shift's times (UTC and local) and people in order."""
    loaded = await version_for_export(session, month, number)
    version = loaded.version
    return {
        "format": "oncall-rota-export/1",
        "month": loaded.month.key,
        "version": version.number,
        "status": version.status,
        "solver_status": version.solver_status,
        "reason": version.reason,
        "time_zone": zone.key,
        "published_at": version.published_at.isoformat() if version.published_at else None,
        "shifts": [
            {
                "id": s.key,
                "tier": s.tier,
                "start": s.start.isoformat(),
                "end": s.end.isoformat(),
                "start_local": s.start.astimezone(zone).isoformat(),
                "end_local": s.end.astimezone(zone).isoformat(),
                "weight": s.weight,
                "categories": list(s.categories),
                "people": [{"id": p.code, "name": p.name} for p in loaded.crew(s)],
            }
            for s in version.shifts
        ],
        "solution": version.solution,
    }


async def export_ics(
    session: AsyncSession, month: Month | str, number: int | None = None, *, zone: ZoneInfo
) -> str:
    """An iCalendar file: one event per shift and person, with UIDs that stay the same across
    versions (so a calendar that subscribes updates an event instead of duplicating it)."""
    loaded = await version_for_export(session, month, number)
    version = loaded.version
    events = []
    for shift in version.shifts:
        crew = loaded.crew(shift)
        span = local_span(shift.start, shift.end, zone)
        for position, person in enumerate(crew, start=1):
            events.append(
                ShiftEvent(
                    shift.key, person.code, shift.start, shift.end,
                    summary=f"On call, {tier_words(shift.tier)}: {person.name}",
                    description=f"Shift {shift.key}, {position} of {len(crew)}: {span}.",
                    tentative=version.status != VersionStatus.PUBLISHED,
                    sequence=version.number,
                )
            )  # fmt: skip
    return calendar_document(
        f"Out-of-hours rota {loaded.month.key}",
        events,
        stamp=version.published_at or version.created_at,
    )
