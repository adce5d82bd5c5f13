"""Exports of a rota version: CSV in local time, JSON, and an RFC 5545 calendar in UTC."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import VersionStatus
from oncall.domain.rota.months import Month
from oncall.domain.rota.versions import LoadedVersion, find_version, load_version, published_version

TIER_WORDS = {"worker": "first tier", "manager": "senior manager"}
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
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for shift in loaded.version.shifts:
        start, end = shift.start.astimezone(zone), shift.end.astimezone(zone)
        hours = (shift.end - shift.start).total_seconds() / 3600
        for position, person in enumerate(loaded.crew(shift), start=1):
            writer.writerow(
                [
                    loaded.month.key, loaded.version.number, shift.tier, shift.key,
                    start.date().isoformat(), start.isoformat(), end.isoformat(), f"{hours:g}",
                    position, person.code, person.name,
                ]
            )  # fmt: skip
    return out.getvalue()


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
    stamp = _utc(version.published_at or version.created_at)
    status = "CONFIRMED" if version.status == VersionStatus.PUBLISHED.value else "TENTATIVE"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//oncall//out-of-hours rota//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_text(f'Out-of-hours rota {loaded.month.key}')}",
    ]
    for shift in version.shifts:
        crew = loaded.crew(shift)
        for position, person in enumerate(crew, start=1):
            summary = f"On call, {TIER_WORDS.get(shift.tier, shift.tier)}: {person.name}"
            local = f"{shift.start.astimezone(zone):%a %d %b %H:%M} to "
            local += f"{shift.end.astimezone(zone):%a %d %b %H:%M} ({zone.key})"
            lines += [
                "BEGIN:VEVENT",
                f"UID:{shift.key}.{person.code}@oncall.rota",
                f"DTSTAMP:{stamp}",
                f"DTSTART:{_utc(shift.start)}",
                f"DTEND:{_utc(shift.end)}",
                f"SEQUENCE:{version.number}",
                f"STATUS:{status}",
                f"SUMMARY:{_text(summary)}",
                f"DESCRIPTION:{_text(f'Shift {shift.key}, {position} of {len(crew)}: {local}.')}",
                "TRANSP:OPAQUE",
                "END:VEVENT",
            ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 3.3.11)."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\n", "\\n")


def fold(line: str, limit: int = 75) -> str:
    """Fold a content line at 75 octets (RFC 5545 3.1), never inside a UTF-8 character."""
    parts: list[str] = []
    current, size = "", 0
    for char in line:
        width = len(char.encode())
        # Continuation lines begin with a space, which counts towards their 75 octets.
        room = limit if not parts else limit - 1
        if size + width > room:
            parts.append(current)
            current, size = "", 0
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts)
