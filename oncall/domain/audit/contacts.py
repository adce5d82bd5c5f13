"""The managers' list of contacts: filters, one page of rows, and what "missed" and "open" mean."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import (
    Alert,
    AlertKind,
    CallerType,
    Channel,
    Contact,
    FosterHousehold,
    KnownCaller,
    Line,
    LineKind,
    Person,
)
from oncall.domain.errors import Invalid
from oncall.domain.outcomes import FORWARDED

PAGE_SIZE = 50
# Alerts that chase a response (a missed call, a message); a no-outcome reminder chases paperwork.
NOT_ESCALATIONS = (AlertKind.NO_OUTCOME, AlertKind.SHIFT_UNCONFIRMED)


@dataclass(frozen=True, slots=True)
class ContactFilter:
    """What a manager asked for; every field is optional. Dates are local (Europe/Jersey) days."""

    date_from: date | None = None
    date_to: date | None = None  # inclusive
    line: str | None = None  # line kind: police, hospital, foster
    agency: str | None = None  # caller type: police, hospital, foster_carer, unverified, staff
    caller: str | None = None  # known caller name, household reference or number (contains)
    worker: str | None = None  # person code of whoever handled it
    outcome: str | None = None  # an outcome category, or "none"
    missed: bool = False
    escalated: bool = False
    open: bool = False


@dataclass(frozen=True, slots=True)
class ContactRow:
    id: int
    reference: str
    received_at: datetime
    line: str
    caller_type: str
    caller: str
    worker: str
    status: str
    outcome: str | None
    answer_seconds: float | None
    escalated: bool
    follow_up: bool


@dataclass(frozen=True, slots=True)
class ContactPage:
    rows: list[ContactRow]
    total: int
    page: int
    page_size: int
    filter: ContactFilter = field(default_factory=ContactFilter)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def local_day_bounds(day: date, zone: ZoneInfo) -> datetime:
    """The instant local midnight starts `day` (DST-safe: built in local time, then compared)."""
    return datetime.combine(day, time(0), zone)


def is_missed() -> ColumnElement[bool]:
    """A voice call nobody on duty accepted (calls forwarded to the day desk are not missed)."""
    return and_(
        Contact.channel == Channel.VOICE,
        Contact.answered_at.is_(None),
        or_(Contact.outcome.is_(None), Contact.outcome != FORWARDED),
    )


def is_escalated() -> ColumnElement[bool]:
    """At least one alert chasing the response was raised (not a no-outcome reminder)."""
    return exists().where(Alert.contact_id == Contact.id, Alert.kind.not_in(NOT_ESCALATIONS))


def _conditions(f: ContactFilter, zone: ZoneInfo) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if f.date_from is not None:
        where.append(Contact.received_at >= local_day_bounds(f.date_from, zone))
    if f.date_to is not None:
        where.append(Contact.received_at < local_day_bounds(f.date_to + timedelta(days=1), zone))
    if f.line:
        where.append(Contact.line_id.in_(select(Line.id).where(Line.kind == f.line)))
    if f.agency:
        where.append(Contact.caller_type == f.agency)
    if f.caller:
        text = f"%{f.caller.strip().lower()}%"
        where.append(
            or_(
                Contact.caller_number.contains(f.caller.strip()),
                Contact.known_caller_id.in_(
                    select(KnownCaller.id).where(func.lower(KnownCaller.name).like(text))
                ),
                Contact.household_id.in_(
                    select(FosterHousehold.id).where(
                        func.lower(FosterHousehold.reference).like(text)
                    )
                ),
            )
        )
    if f.worker:
        where.append(Contact.handled_by_id.in_(select(Person.id).where(Person.code == f.worker)))
    if f.outcome == "none":
        where.append(Contact.outcome.is_(None))
    elif f.outcome:
        where.append(Contact.outcome == f.outcome)
    if f.missed:
        where.append(is_missed())
    if f.escalated:
        where.append(is_escalated())
    if f.open:
        where.append(Contact.outcome.is_(None))
    return where


def filtered(f: ContactFilter, zone: ZoneInfo) -> Select[int]:
    """The ids of contacts matching `f` (for exports and counts)."""
    return select(Contact.id).where(*_conditions(f, zone))


async def list_contacts(
    session: AsyncSession,
    f: ContactFilter,
    *,
    zone: ZoneInfo,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> ContactPage:
    """One page of contacts matching `f`, newest first, with the total count."""
    where = _conditions(f, zone)
    total = await session.scalar(select(func.count()).select_from(Contact).where(*where)) or 0
    page = max(1, page)
    caller_name = func.coalesce(KnownCaller.name, FosterHousehold.reference, "")
    query = (
        select(
            Contact.id,
            Contact.reference,
            Contact.received_at,
            func.coalesce(Line.name, "unknown number"),
            Contact.caller_type,
            caller_name,
            func.coalesce(Person.code, ""),
            Contact.status,
            Contact.outcome,
            Contact.answered_at,
            is_escalated(),
            Contact.day_team_follow_up,
        )
        .outerjoin(Line, Line.id == Contact.line_id)
        .outerjoin(KnownCaller, KnownCaller.id == Contact.known_caller_id)
        .outerjoin(FosterHousehold, FosterHousehold.id == Contact.household_id)
        .outerjoin(Person, Person.id == Contact.handled_by_id)
        .where(*where)
        .order_by(Contact.received_at.desc(), Contact.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    rows = [
        ContactRow(
            id=cid,
            reference=ref,
            received_at=received,
            line=line,
            caller_type=caller_type,
            caller=caller,
            worker=worker,
            status=status,
            outcome=outcome,
            answer_seconds=(answered - received).total_seconds() if answered else None,
            escalated=bool(escalated),
            follow_up=bool(follow_up),
        )
        for (
            cid,
            ref,
            received,
            line,
            caller_type,
            caller,
            worker,
            status,
            outcome,
            answered,
            escalated,
            follow_up,
        ) in (await session.execute(query)).all()
    ]
    return ContactPage(rows, total, page, page_size, f)


def with_page_defaults(f: ContactFilter, *, today: date, days: int = 31) -> ContactFilter:
    """A filter with a date range: the last `days` days when none was given (keeps pages quick)."""
    if f.date_from is None and f.date_to is None:
        return replace(f, date_from=today - timedelta(days=days - 1), date_to=today)
    return f


class FilterError(Invalid):
    """A filter value is not understood; the message names the field."""


def _day(name: str, raw: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise FilterError(f"{name}: not a date (YYYY-MM-DD)") from None


def _flag(raw: str) -> bool:
    return raw.strip().lower() in ("1", "yes", "true", "on")


def parse_filter(query: Mapping[str, str]) -> ContactFilter:
    """A ContactFilter from a query string (pages, API, CLI); FilterError names the field."""

    def text(name: str, limit: int = 60) -> str | None:
        value = query.get(name, "").strip()[:limit]
        return value or None

    f = ContactFilter(
        date_from=_day("from", query.get("from", "").strip()),
        date_to=_day("to", query.get("to", "").strip()),
        line=text("line", 16),
        agency=text("agency", 16),
        caller=text("caller"),
        worker=text("worker", 32),
        outcome=text("outcome", 32),
        missed=_flag(query.get("missed", "")),
        escalated=_flag(query.get("escalated", "")),
        open=_flag(query.get("open", "")),
    )
    if f.date_from and f.date_to and f.date_to < f.date_from:
        raise FilterError("to: is before from")
    for name, value, allowed in (("line", f.line, LineKind), ("agency", f.agency, CallerType)):
        if value is not None and value not in set(allowed):
            raise FilterError(f"{name}: not one of {', '.join(allowed)}")
    return f


def filter_query(f: ContactFilter) -> dict[str, str]:
    """The query-string form of a filter (the inverse of parse_filter)."""
    names = {"date_from": "from", "date_to": "to"}
    out: dict[str, str] = {}
    for name in ContactFilter.__slots__:
        value = getattr(f, name)
        if value in (None, False, ""):
            continue
        out[names.get(name, name)] = "1" if value is True else str(value)
    return out
