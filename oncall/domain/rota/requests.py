"""A worker's own shifts and their requests: swaps (approved by the coordinator, checked against
the rota's hard rules) and leave (approved into unavailability). Nothing here commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from oncall.db.models import (
    LeaveRequest,
    Person,
    RequestStatus,
    RotaPeriod,
    RotaShift,
    RotaVersion,
    SwapRequest,
    Unavailability,
    VersionStatus,
)
from oncall.domain.people import parse_reason
from oncall.domain.rota.edits import EditCheck, Replacement, check_replacement, save_replacement
from oncall.domain.rota.errors import RotaConflict, RotaInvalid
from oncall.domain.rota.months import Month
from oncall.domain.rota.publishing import publish


@dataclass(frozen=True, slots=True)
class MyShift:
    month: str
    key: str
    tier: str
    start: datetime
    end: datetime
    colleagues: list[str]  # names of the others on the shift


async def upcoming_shifts(session: AsyncSession, person_id: int, now: datetime) -> list[MyShift]:
    """The person's shifts in published rotas that have not ended yet, soonest first."""
    shifts = (
        await session.scalars(
            select(RotaShift)
            .join(RotaVersion, RotaShift.version_id == RotaVersion.id)
            .where(RotaVersion.status == VersionStatus.PUBLISHED, RotaShift.end > now)
            .options(
                selectinload(RotaShift.assignments),
                selectinload(RotaShift.version).selectinload(RotaVersion.period),
            )
            .order_by(RotaShift.start)
        )
    ).all()
    mine = [s for s in shifts if any(a.person_id == person_id for a in s.assignments)]
    ids = {a.person_id for s in mine for a in s.assignments}
    names = dict(
        (await session.execute(select(Person.id, Person.name).where(Person.id.in_(ids)))).all()
    )
    return [
        MyShift(
            s.version.period.month,
            s.key,
            s.tier,
            s.start,
            s.end,
            [names[a.person_id] for a in s.assignments if a.person_id != person_id],
        )
        for s in mine
    ]


async def _published_number(session: AsyncSession, month: str) -> int:
    number = await session.scalar(
        select(RotaVersion.number)
        .join(RotaPeriod, RotaVersion.period_id == RotaPeriod.id)
        .where(RotaPeriod.month == month, RotaVersion.status == VersionStatus.PUBLISHED)
    )
    if number is None:
        raise RotaConflict(f"month: {month} has no published rota")
    return int(number)


async def colleagues_for(session: AsyncSession, person: Person) -> list[Person]:
    """Active people of the same tier who could be asked to take a shift."""
    return list(
        await session.scalars(
            select(Person)
            .where(Person.tier == person.tier, Person.active, Person.id != person.id)
            .order_by(Person.name)
        )
    )


async def request_swap(
    session: AsyncSession,
    person: Person,
    *,
    month: str,
    shift_key: str,
    colleague_code: str,
    note: str,
    now: datetime,
) -> SwapRequest:
    """Ask for a published shift of `person` to go to a colleague (pending until decided)."""
    mine = {(s.month, s.key) for s in await upcoming_shifts(session, person.id, now)}
    if (month, shift_key) not in mine:
        raise RotaInvalid(f"shift: {shift_key} is not one of your upcoming shifts")
    colleague = await session.scalar(select(Person).where(Person.code == colleague_code))
    if colleague is None or colleague.tier != person.tier or colleague.id == person.id:
        raise RotaInvalid("colleague: choose someone of your own tier")
    duplicate = await session.scalar(
        select(SwapRequest).where(
            SwapRequest.requester_id == person.id,
            SwapRequest.shift_key == shift_key,
            SwapRequest.status == RequestStatus.PENDING,
        )
    )
    if duplicate is not None:
        raise RotaConflict(f"shift: you already asked to swap {shift_key}")
    swap = SwapRequest(
        month=month, shift_key=shift_key, requester_id=person.id, colleague_id=colleague.id,
        note=note[:500], status=RequestStatus.PENDING, created_at=now, decision_note="",
    )  # fmt: skip
    session.add(swap)
    await session.flush()
    return swap


@dataclass(frozen=True, slots=True)
class SwapView:
    swap: SwapRequest
    requester: Person
    colleague: Person
    check: EditCheck | None  # None when it can no longer be checked (the shift changed)
    problem: str


async def swap_requests(
    session: AsyncSession,
    *,
    person_id: int | None = None,
    pending_only: bool = False,
    now: datetime | None = None,
    check_rules: bool = True,
) -> list[SwapView]:
    """Swap requests (a person's, or everyone's); with `check_rules`, each pending one is
    checked against the published rota's hard rules."""
    query = select(SwapRequest).order_by(SwapRequest.created_at.desc())
    if person_id is not None:
        query = query.where(SwapRequest.requester_id == person_id)
    if pending_only:
        query = query.where(SwapRequest.status == RequestStatus.PENDING)
    swaps = (await session.scalars(query)).all()
    views = []
    for swap in swaps:
        requester = await session.get(Person, swap.requester_id)
        colleague = await session.get(Person, swap.colleague_id)
        assert requester is not None and colleague is not None
        check, problem = None, ""
        if check_rules and swap.status == RequestStatus.PENDING:
            try:
                number = await _published_number(session, swap.month)
                check = await check_replacement(
                    session,
                    Month.parse(swap.month),
                    number,
                    Replacement(swap.shift_key, requester.code, colleague.code),
                    now=now,
                )
            except (RotaInvalid, RotaConflict) as exc:
                problem = str(exc)
        views.append(SwapView(swap, requester, colleague, check, problem))
    return views


async def decide_swap(
    session: AsyncSession,
    swap_id: int,
    *,
    approve: bool,
    accept_breaks: bool,
    note: str,
    now: datetime,
    by: str,
) -> SwapRequest:
    """Approve (a new version with the swap is stored and published) or decline (flushed)."""
    swap = await session.get(SwapRequest, swap_id)
    if swap is None or swap.status != RequestStatus.PENDING:
        raise RotaConflict("swap: this request was already decided or withdrawn")
    if approve:
        requester = await session.get(Person, swap.requester_id)
        colleague = await session.get(Person, swap.colleague_id)
        assert requester is not None and colleague is not None
        month = Month.parse(swap.month)
        number = await _published_number(session, swap.month)
        version = await save_replacement(
            session,
            month,
            number,
            Replacement(swap.shift_key, requester.code, colleague.code),
            accept_breaks=accept_breaks,
            now=now,
            by=by,
        )
        version.reason = f"swap #{swap.id}: " + version.reason
        await publish(session, month, version.number, now=now, by=by)
        swap.result_version_id = version.id
    swap.status = RequestStatus.APPROVED if approve else RequestStatus.DECLINED
    swap.decided_at, swap.decided_by, swap.decision_note = now, by, note[:500]
    await session.flush()
    return swap


async def cancel_swap(session: AsyncSession, person: Person, swap_id: int) -> bool:
    swap = await session.get(SwapRequest, swap_id)
    if swap is None or swap.requester_id != person.id:
        return False
    if swap.status != RequestStatus.PENDING:
        return False
    swap.status = RequestStatus.CANCELLED
    await session.flush()
    return True


async def request_leave(
    session: AsyncSession,
    person: Person,
    *,
    start: datetime,
    end: datetime,
    reason: str,
    note: str,
    now: datetime,
) -> LeaveRequest:
    row = LeaveRequest(
        person_id=person.id, start=start, end=end, reason=parse_reason(reason), note=note[:500],
        status=RequestStatus.PENDING, created_at=now,
    )  # fmt: skip
    session.add(row)
    await session.flush()
    return row


async def leave_requests(
    session: AsyncSession, *, person_id: int | None = None, pending_only: bool = False
) -> list[tuple[LeaveRequest, Person]]:
    query = (
        select(LeaveRequest, Person)
        .join(Person, LeaveRequest.person_id == Person.id)
        .order_by(LeaveRequest.start)
    )
    if person_id is not None:
        query = query.where(LeaveRequest.person_id == person_id)
    if pending_only:
        query = query.where(LeaveRequest.status == RequestStatus.PENDING)
    return [(r, p) for r, p in (await session.execute(query)).all()]


async def decide_leave(
    session: AsyncSession, request_id: int, *, approve: bool, now: datetime, by: str
) -> LeaveRequest:
    """Approve (recorded as unavailability, honoured by the next generate or repair) or decline."""
    row = await session.get(LeaveRequest, request_id)
    if row is None or row.status != RequestStatus.PENDING:
        raise RotaConflict("leave: this request was already decided or withdrawn")
    if approve:
        gap = Unavailability(
            person_id=row.person_id, start=row.start, end=row.end, reason=row.reason,
            note=row.note or f"leave request #{row.id}", created_at=now,
        )  # fmt: skip
        session.add(gap)
        await session.flush()
        row.unavailability_id = gap.id
    row.status = RequestStatus.APPROVED if approve else RequestStatus.DECLINED
    row.decided_at, row.decided_by = now, by
    await session.flush()
    return row
