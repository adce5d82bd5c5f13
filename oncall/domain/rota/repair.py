"""Repairing a published rota when someone becomes unavailable, moving as few people as possible."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import Person, RotaVersion, Unavailability, UnavailabilityReason
from oncall.domain.rota.errors import RotaInvalid
from oncall.domain.rota.months import Month
from oncall.domain.rota.problem import unavailability_between
from oncall.domain.rota.solving import DEFAULT_TIME_LIMIT_S, ProgressCallback, solve_problem
from oncall.domain.rota.transactions import StepSessions, step
from oncall.domain.rota.versions import (
    USABLE,
    LoadedVersion,
    find_version,
    load_version,
    published_version,
    store_version,
)


@dataclass(frozen=True, slots=True)
class Move:
    """One shift whose people changed: who left it and who joined it."""

    shift: str
    tier: str
    start: datetime
    out: list[str]
    into: list[str]


@dataclass(frozen=True, slots=True)
class RepairResult:
    version: RotaVersion
    moves: list[Move]
    # Shifts under way at `now` that keep the unavailable person: a duty override's job.
    kept_on: list[str]


def diff_assignments(before: LoadedVersion, after: LoadedVersion) -> list[Move]:
    """Every shift of `after` whose people differ from `before`, in shift order."""
    old = before.assignments()
    moves: list[Move] = []
    for shift in after.version.shifts:
        was = old.get(shift.key, [])
        now = [p.code for p in after.crew(shift)]
        out = [c for c in was if c not in now]
        into = [c for c in now if c not in was]
        if out or into:
            moves.append(Move(shift.key, shift.tier, shift.start, out, into))
    return moves


async def version_diff(
    session: AsyncSession, month: Month | str, before: int, after: int
) -> list[Move]:
    """Who moved between two versions of a month."""
    month = Month.parse(month) if isinstance(month, str) else month
    old = await find_version(session, month, before)
    new = await find_version(session, month, after)
    return diff_assignments(
        await load_version(session, old.id), await load_version(session, new.id)
    )


async def repair(
    sessions: StepSessions,
    month: Month | str,
    *,
    person_code: str,
    start: datetime,
    end: datetime,
    reason: str = UnavailabilityReason.SICKNESS.value,
    now: datetime,
    by: str,
    zone: ZoneInfo,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    progress: ProgressCallback | None = None,
) -> RepairResult:
    """Record the unavailability and re-solve the published rota against itself: shifts that
    start before `now` stay as they are, and the rest changes as little as possible.

    The result is a new draft whose parent is the published version. With a session, every step
    runs in it (flushed; the caller commits, so a failed solve records nothing); with a session
    factory, the absence is committed before the solve and the draft after it (`transactions`).
    """
    month = Month.parse(month) if isinstance(month, str) else month
    if start.tzinfo is None or end.tzinfo is None:
        raise RotaInvalid("start: give aware datetimes")
    if end <= start:
        raise RotaInvalid(f"end: {end.isoformat()} is not after start {start.isoformat()}")
    if reason not in {r.value for r in UnavailabilityReason}:
        allowed = ", ".join(r.value for r in UnavailabilityReason)
        raise RotaInvalid(f"reason: {reason!r} is not one of {allowed}")
    async with step(sessions) as session:
        person, published, problem = await record_absence(
            session, month, person_code=person_code, start=start, end=end, reason=reason, now=now
        )
        # Read now: a factory's session is gone when the step ends.
        code, published_id = person.code, published.version.id
    solution = await solve_problem(problem, time_limit_s=time_limit_s, progress=progress)
    local = f"{start.astimezone(zone):%a %d %b %H:%M} to {end.astimezone(zone):%a %d %b %H:%M}"
    async with step(sessions) as session:
        parent = await load_version(session, published_id)
        version = await store_version(
            session,
            parent.version.period,
            problem,
            solution,
            now=now,
            by=by,
            reason=f"repair: {code} unavailable {local} ({reason})",
            parent=parent,
        )
        if version.solver_status not in USABLE:
            return RepairResult(version, [], [])  # no rota, so nobody "moved"; the report explains
        after = await load_version(session, version.id)
        kept_on = [
            s.key
            for s in after.version.shifts
            if s.start < now < s.end and s.start < end and start < s.end
            and code in [p.code for p in after.crew(s)]
        ]  # fmt: skip
        return RepairResult(version, diff_assignments(parent, after), kept_on)


async def record_absence(
    session: AsyncSession,
    month: Month,
    *,
    person_code: str,
    start: datetime,
    end: datetime,
    reason: str,
    now: datetime,
) -> tuple[Person, LoadedVersion, dict[str, Any]]:
    """Record a person's absence from a published month and build the problem that repairs it:
    a repair's prepare step. Returns the person, the published version and the repair problem
    (flushed; the caller commits)."""
    person = await session.scalar(select(Person).where(Person.code == person_code))
    if person is None:
        raise RotaInvalid(f"person: nobody has the code {person_code!r}")
    published = await load_version(session, (await published_version(session, month)).id)
    if person.code not in {p["id"] for p in published.version.problem.get("people", [])}:
        raise RotaInvalid(f"person: {person.code} is not on the {month.key} rota")
    session.add(
        Unavailability(
            person_id=person.id, start=start, end=end, reason=reason,
            note=f"recorded by rota repair of {month.key}", created_at=now,
        )
    )  # fmt: skip
    await session.flush()
    return person, published, await _repair_problem(session, published, now)


async def _repair_problem(
    session: AsyncSession, published: LoadedVersion, now: datetime
) -> dict[str, Any]:
    """The published problem with everyone's unavailability as it is now, and the published
    rota as the baseline frozen before `now`."""
    problem = copy.deepcopy(published.version.problem)
    shifts = published.version.shifts
    known = await unavailability_between(
        session, min(s.start for s in shifts), max(s.end for s in shifts)
    )
    codes = dict((await session.execute(select(Person.id, Person.code))).all())
    by_code = {codes[pid]: gaps for pid, gaps in known.items()}
    for person in problem["people"]:
        person["unavailable"] = by_code.get(person["id"], [])
    problem["baseline"] = {
        "assignments": [
            {"shift": key, "person": code}
            for key, crew in published.assignments().items()
            for code in crew
        ],
        "frozen_before": now.isoformat(),
    }
    return problem
