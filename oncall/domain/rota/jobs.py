"""Generate and repair for the web app, in short transactions around a long solve.

`rota.generate` and `rota.repair` run in one transaction, which suits the command line. A web
request cannot hold a transaction for the minute a solve may take: on SQLite every transaction
holds the write lock, so the whole service would wait. Here the problem is read (and a repair's
absence recorded) in one transaction, the solver runs with none open, and the version is stored
in a second transaction. Each step is the rota package's own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import RotaVersion, UnavailabilityReason
from oncall.domain.rota.errors import RotaInvalid
from oncall.domain.rota.months import Month
from oncall.domain.rota.problem import DEFAULT_RULES, build_problem
from oncall.domain.rota.repair import RepairResult, diff_assignments, record_absence
from oncall.domain.rota.solving import ProgressCallback, solve_problem
from oncall.domain.rota.versions import USABLE, load_version, period_for, store_version

SessionFactory = Callable[[], AsyncSession]


async def generate_in_steps(
    sessions: SessionFactory,
    month: Month,
    *,
    zone: ZoneInfo,
    now: Callable[[], datetime],
    by: str,
    progress: ProgressCallback | None,
    time_limit_s: float,
) -> RotaVersion:
    """A new draft of `month`, committed (what `rota.generate` does, without a long transaction)."""
    async with sessions() as session:
        problem = await build_problem(session, month, zone, rules=DEFAULT_RULES)
    solution = await solve_problem(problem, time_limit_s=time_limit_s, progress=progress)
    async with sessions() as session:
        period = await period_for(session, month, zone, now())
        version = await store_version(
            session, period, problem, solution, now=now(), by=by, reason="generated"
        )
        await session.commit()
    return version


async def repair_in_steps(
    sessions: SessionFactory,
    month: Month,
    *,
    person_code: str,
    start: datetime,
    end: datetime,
    reason: str,
    zone: ZoneInfo,
    now: Callable[[], datetime],
    by: str,
    progress: ProgressCallback | None,
    time_limit_s: float,
) -> RepairResult:
    """Record the absence (committed at once), re-solve the published rota against itself, and
    store the repair as a draft (what `rota.repair` does, without a long transaction)."""
    if end <= start:
        raise RotaInvalid(f"to: {end.isoformat()} is not after from {start.isoformat()}")
    if reason not in {r.value for r in UnavailabilityReason}:
        allowed = ", ".join(r.value for r in UnavailabilityReason)
        raise RotaInvalid(f"reason: {reason!r} is not one of {allowed}")
    started = now()
    async with sessions() as session:
        _person, published, problem = await record_absence(
            session, month, person_code=person_code, start=start, end=end, reason=reason,
            now=started,
        )  # fmt: skip
        published_id = published.version.id
        await session.commit()
    solution = await solve_problem(problem, time_limit_s=time_limit_s, progress=progress)
    local = f"{start.astimezone(zone):%a %d %b %H:%M} to {end.astimezone(zone):%a %d %b %H:%M}"
    async with sessions() as session:
        parent = await load_version(session, published_id)
        version = await store_version(
            session,
            parent.version.period,
            problem,
            solution,
            now=now(),
            by=by,
            reason=f"repair: {person_code} unavailable {local} ({reason})",
            parent=parent,
        )
        if version.solver_status not in USABLE:
            await session.commit()
            return RepairResult(version, [], [])
        after = await load_version(session, version.id)
        kept_on = [
            s.key
            for s in after.version.shifts
            if s.start < started < s.end and s.start < end and start < s.end
            and person_code in [p.code for p in after.crew(s)]
        ]  # fmt: skip
        moves = diff_assignments(parent, after)
        await session.commit()
    return RepairResult(version, moves, kept_on)
