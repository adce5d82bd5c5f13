"""Manual rota edits: replace one person on one shift, check the hard rules, store a new draft."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from oncall.db.models import Person, RotaShift, RotaVersion, VersionStatus
from oncall.domain.rota.errors import RotaConflict, RotaInvalid
from oncall.domain.rota.months import Month
from oncall.domain.rota.versions import (
    USABLE,
    LoadedVersion,
    find_version,
    load_version,
    store_version,
)

if TYPE_CHECKING:
    import rota_solver

# Rules that describe the figures the solver reported, not the rota itself: an edit changes the
# figures on purpose, so these are recomputed instead of "broken".
_FIGURE_RULES = frozenset({"figures", "status"})
# The solver's rule names, as a coordinator reads them.
RULE_WORDS = {
    "rest": "Too little rest between two duties",
    "window": "Too many duties in seven days",
    "unavailable": "On leave or unavailable",
    "skills": "A required skill is missing",
    "cover": "Wrong number of people",
    "tier": "Wrong tier",
    "fte": "Not rostered (FTE 0)",
    "frozen": "Changes a shift that has started",
    "pinned": "Removes a pinned person",
    "min_shifts": "Below their minimum shifts",
    "max_shifts": "Above their maximum shifts",
    "assignments": "Invalid assignment",
}


@dataclass(frozen=True, slots=True)
class Replacement:
    """One proposed change: on `shift`, `out` gives way to `into`."""

    shift: str
    out: str
    into: str


@dataclass(frozen=True, slots=True)
class EditCheck:
    """The proposed rota's hard-rule breaks (empty when it keeps every rule)."""

    replacement: Replacement
    breaks: list[str]
    solution: dict[str, Any]

    @property
    def ok(self) -> bool:
        return not self.breaks


@dataclass(frozen=True, slots=True)
class Candidate:
    code: str
    name: str
    breaks: list[str]


def _swap(solution: dict[str, Any], change: Replacement) -> list[dict[str, str]]:
    given = [dict(a) for a in solution.get("assignments", [])]
    for item in given:
        if item["shift"] == change.shift and item["person"] == change.out:
            item["person"] = change.into
            return given
    raise RotaInvalid(f"person: {change.out} is not on shift {change.shift}")


def check_assignments(
    problem: dict[str, Any],
    assignments: list[dict[str, str]],
    status: str,
    parsed: rota_solver.Problem | None = None,
) -> tuple[list[str], dict[str, Any]]:
    """The hard rules `assignments` break, and a solution document with recomputed figures.

    Pass `parsed` (the problem read once by the solver's parser) when checking many variants.
    """
    import rota_solver

    if parsed is None:
        parsed = rota_solver.parse_problem(problem)
    pairs = [(a["shift"], a["person"]) for a in assignments]
    solution = _evaluate(parsed, pairs)  # switch to rota_solver.evaluate once issue-16 lands
    breaks = [
        f"{RULE_WORDS.get(v.rule, v.rule)}: {v.message}"
        for v in rota_solver.check(parsed, solution)
        if v.rule not in _FIGURE_RULES
    ]
    document: dict[str, Any] = rota_solver.solution_to_json(solution)
    document["status"] = "feasible" if status in USABLE else status
    return breaks, document


def _evaluate(problem: rota_solver.Problem, pairs: list[tuple[str, str]]) -> rota_solver.Solution:
    """A feasible Solution with exact figures for a rota made by hand (nothing proven).

    A stand-in for the solver's public `rota_solver.evaluate` (issue-16), the one place that
    reaches into the solver's modules; it goes when the call above switches.
    """
    import rota_solver
    from rota_solver.figures import evaluate
    from rota_solver.model import Assignment

    given = tuple(Assignment(shift, person) for shift, person in pairs)
    people, objective, tiers = evaluate(problem, given)
    return rota_solver.Solution(
        status="feasible",
        assignments=given,
        people=people,
        objective=objective,
        proven={},
        tiers=tiers,
        explanation=(),
        stats=None,
    )


async def _editable(session: AsyncSession, month: Month, number: int) -> LoadedVersion:
    version = await find_version(session, month, number)
    if version.solver_status not in USABLE:
        raise RotaConflict(f"version: {month.key} version {number} has no complete rota to edit")
    if version.status not in (VersionStatus.DRAFT.value, VersionStatus.PUBLISHED.value):
        raise RotaConflict(f"version: {month.key} version {number} is {version.status}")
    if version.locked:
        raise RotaConflict(f"version: {month.key} version {number} is locked; unlock it first")
    return await load_version(session, version.id)


def _not_started(loaded: LoadedVersion, shift_key: str, now: datetime | None) -> None:
    shift = next((s for s in loaded.version.shifts if s.key == shift_key), None)
    if shift is None:
        raise RotaInvalid(f"shift: version {loaded.version.number} has no shift {shift_key}")
    if now is not None and shift.start <= now:
        raise RotaConflict(
            f"shift: {shift_key} has already started, so it is history; "
            "for tonight's cover use a duty override"
        )


async def check_replacement(
    session: AsyncSession,
    month: Month,
    number: int,
    change: Replacement,
    *,
    now: datetime | None = None,
) -> EditCheck:
    """What replacing `change.out` by `change.into` on a shift would break (nothing is saved).

    With `now`, a shift that has started cannot be changed.
    """
    loaded = await _editable(session, month, number)
    _not_started(loaded, change.shift, now)
    problem = loaded.version.problem
    if change.into not in {p["id"] for p in problem["people"]}:
        raise RotaInvalid(f"replacement: {change.into} is not on the {month.key} rota")
    if change.into == change.out:
        raise RotaInvalid("replacement: choose someone other than the person on the shift")
    breaks, solution = check_assignments(
        problem, _swap(loaded.version.solution, change), loaded.version.solver_status
    )
    return EditCheck(change, breaks, solution)


async def candidates(
    session: AsyncSession,
    month: Month,
    number: int,
    shift_key: str,
    out: str,
    *,
    now: datetime | None = None,
) -> list[Candidate]:
    """Everyone of the shift's tier who could replace `out`, with what each choice would break."""
    loaded = await _editable(session, month, number)
    _not_started(loaded, shift_key, now)
    shift = next((s for s in loaded.version.shifts if s.key == shift_key), None)
    if shift is None:
        raise RotaInvalid(f"shift: {month.key} version {number} has no shift {shift_key}")
    crew = {p.code for p in loaded.crew(shift)}
    import rota_solver

    parsed = rota_solver.parse_problem(loaded.version.problem)
    found = []
    for person in loaded.version.problem["people"]:
        if person["tier"] != shift.tier or person["id"] in crew:
            continue
        breaks, _ = check_assignments(
            loaded.version.problem,
            _swap(loaded.version.solution, Replacement(shift_key, out, person["id"])),
            loaded.version.solver_status,
            parsed,
        )
        found.append(Candidate(person["id"], person.get("name", person["id"]), breaks))
    found.sort(key=lambda c: (len(c.breaks), c.code))
    return found


async def save_replacement(
    session: AsyncSession,
    month: Month,
    number: int,
    change: Replacement,
    *,
    accept_breaks: bool,
    now: datetime,
    by: str,
) -> RotaVersion:
    """A new draft with the change (flushed, not committed). Breaks must be accepted explicitly."""
    checked = await check_replacement(session, month, number, change, now=now)
    if checked.breaks and not accept_breaks:
        raise RotaConflict("rules: the change breaks " + "; ".join(checked.breaks))
    parent = await load_version(session, (await find_version(session, month, number)).id)
    reason = f"edit: {change.shift} {change.out} → {change.into}"
    if checked.breaks:
        reason += " (accepted breaks: " + "; ".join(checked.breaks) + ")"
    version = await store_version(
        session,
        parent.version.period,
        copy.deepcopy(parent.version.problem),
        checked.solution,
        now=now,
        by=by,
        reason=reason,
        parent=parent,
    )
    into = await session.scalar(select(Person.id).where(Person.code == change.into))
    shift = await session.scalar(
        select(RotaShift)
        .where(RotaShift.version_id == version.id, RotaShift.key == change.shift)
        .options(selectinload(RotaShift.assignments))
    )
    if shift is not None:
        for assignment in shift.assignments:
            if assignment.person_id == into:
                assignment.source = "manual"
    await session.flush()
    return version


async def set_locked(session: AsyncSession, month: Month, number: int, locked: bool) -> RotaVersion:
    """Lock a version against edits (or unlock it)."""
    version = await find_version(session, month, number)
    version.locked = locked
    await session.flush()
    return version
