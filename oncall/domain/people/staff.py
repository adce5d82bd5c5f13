"""Staff management for the web app: people, their leave and unavailability, rota requests and
shift templates. Validation names the field in every message; nothing here commits."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import (
    Person,
    RequestKind,
    RotaRequest,
    Tier,
    Unavailability,
    UnavailabilityReason,
)
from oncall.domain.errors import Invalid
from oncall.domain.inputs import FIRST_DAY, LAST_DAY, check_name
from oncall.phones import InvalidPhoneNumber, normalise_phone

_CODE = re.compile(r"[a-z][a-z0-9_-]{1,31}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_SKILL = re.compile(r"[a-z][a-z0-9_-]{0,39}")
# The fixed pages under /staff/: a person with one of these codes would have no page of their own.
RESERVED_CODES = frozenset({"new", "templates", "leave-import"})


class StaffInvalid(Invalid):
    """A person, their leave or request that cannot be saved; `errors` names every bad field."""


@dataclass(frozen=True, slots=True)
class PersonInput:
    """A person as typed into the form (all text)."""

    code: str
    name: str
    tier: str
    job_title: str
    phone: str
    email: str = ""
    fte: str = "1"
    skills: str = ""
    active: bool = True


@dataclass(frozen=True, slots=True)
class PersonValues:
    code: str
    name: str
    tier: str
    job_title: str
    phone: str
    email: str
    fte: float
    skills: list[str] = field(default_factory=list)
    active: bool = True


def parse_skills(text: str) -> list[str]:
    return sorted({s.strip().lower() for s in re.split(r"[,;]", text) if s.strip()})


def validate_person(data: PersonInput) -> PersonValues:
    """The values to store, or StaffInvalid naming every bad field."""
    errors: dict[str, str] = {}
    code = data.code.strip().lower()
    if not _CODE.fullmatch(code):
        errors["code"] = "2 to 32 lower-case letters, digits, - or _, starting with a letter"
    elif code in RESERVED_CODES:
        errors["code"] = f"{code} names a page of the staff list; choose another code"
    name = data.name.strip()
    if not name:
        errors["name"] = "give the person's name"
    for label, text in (("name", name), ("job_title", data.job_title.strip())):
        try:
            check_name(label, text)
        except Invalid as exc:
            errors[label] = exc.errors[label]
    if data.tier not in {t.value for t in Tier}:
        errors["tier"] = "choose the first tier (worker) or senior manager"
    phone = ""
    try:
        phone = normalise_phone(data.phone)
    except InvalidPhoneNumber as exc:
        errors["phone"] = f"{exc}; give a number like 07797 123456 or +44 1534 612612"
    email = data.email.strip()
    if email and not _EMAIL.fullmatch(email):
        errors["email"] = "not an e-mail address"
    fte = 0.0
    try:
        fte = float(data.fte.strip() or "1")
        if not 0 <= fte <= 1:
            errors["fte"] = "between 0 and 1 (0 means never rostered)"
    except ValueError:
        errors["fte"] = f"{data.fte!r} is not a number"
    skills = parse_skills(data.skills)
    bad = [s for s in skills if not _SKILL.fullmatch(s)]
    if bad:
        errors["skills"] = f"not a skill name: {', '.join(bad)} (letters, digits, - or _)"
    if errors:
        raise StaffInvalid(errors)
    return PersonValues(
        code, name, data.tier, data.job_title.strip(), phone, email, fte, skills, data.active
    )


async def list_people(session: AsyncSession) -> list[Person]:
    return list(await session.scalars(select(Person).order_by(Person.tier.desc(), Person.code)))


async def person_by_code(session: AsyncSession, code: str) -> Person | None:
    found: Person | None = await session.scalar(select(Person).where(Person.code == code))
    return found


async def names_by_code(session: AsyncSession) -> dict[str, str]:
    """Everyone's name by their code, for pages that show codes as names."""
    return {code: name for code, name in (await session.execute(select(Person.code, Person.name)))}


async def save_person(
    session: AsyncSession, values: PersonValues, *, now: datetime, existing: Person | None = None
) -> Person:
    """Create a person, or update `existing`; codes and phones must be unique (flushed)."""
    errors: dict[str, str] = {}
    others = select(Person).where(Person.id != (existing.id if existing else -1))
    if await session.scalar(others.where(Person.code == values.code)) is not None:
        errors["code"] = f"{values.code} is already someone's code"
    if await session.scalar(others.where(Person.phone == values.phone)) is not None:
        errors["phone"] = "that number is already someone else's"
    if errors:
        raise StaffInvalid(errors)
    person = existing or Person(created_at=now)
    person.code, person.name, person.tier = values.code, values.name, Tier(values.tier)
    person.job_title, person.phone, person.email = values.job_title, values.phone, values.email
    person.fte, person.skills, person.active = values.fte, list(values.skills), values.active
    if existing is None:
        session.add(person)
    await session.flush()
    return person


def local_range(start: str, end: str, zone: Any) -> tuple[datetime, datetime]:
    """Local dates (FROM at its start, TO at its end) or date-times, as aware UTC instants."""
    errors: dict[str, str] = {}
    begin = _instant(start, zone, end_of_day=False, name="start", errors=errors)
    finish = _instant(end, zone, end_of_day=True, name="end", errors=errors)
    if begin and finish and finish <= begin:
        errors["end"] = "must be after the start"
    if errors or begin is None or finish is None:
        raise StaffInvalid(errors)
    return begin, finish


_DMY = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")


def _instant(
    text: str, zone: Any, *, end_of_day: bool, name: str, errors: dict[str, str]
) -> datetime | None:
    from datetime import date, timedelta

    text = text.strip()
    moment: datetime | None = None
    try:
        match = _DMY.fullmatch(text)
        if match:  # a spreadsheet's 12/01/2027 is the 12th of January here
            day = date(int(match[3]), int(match[2]), int(match[1]))
        elif len(text) == 10:
            day = date.fromisoformat(text)
        else:
            moment = datetime.fromisoformat(text).replace(tzinfo=zone)
            day = moment.date()
    except ValueError:
        errors[name] = f"{text[:40]!r} is not a date (use 2027-01-12 or 12/01/2027)"
        return None
    if not FIRST_DAY <= day <= LAST_DAY:
        errors[name] = f"dates run from {FIRST_DAY} to {LAST_DAY}"
        return None
    if moment is not None:
        return moment
    if end_of_day:
        day += timedelta(days=1)
    return datetime.combine(day, time(0), tzinfo=zone)


def parse_reason(text: str) -> str:
    reason = text.strip().lower().replace(" ", "_").replace("-", "_") or "annual_leave"
    aliases = {"leave": "annual_leave", "al": "annual_leave", "sick": "sickness"}
    reason = aliases.get(reason, reason)
    if reason not in {r.value for r in UnavailabilityReason}:
        allowed = ", ".join(r.value.replace("_", " ") for r in UnavailabilityReason)
        raise StaffInvalid({"reason": f"{text!r} is not one of {allowed}"})
    return reason


async def add_unavailability(
    session: AsyncSession,
    person: Person,
    *,
    start: datetime,
    end: datetime,
    reason: str,
    note: str,
    now: datetime,
) -> Unavailability:
    row = Unavailability(
        person_id=person.id, start=start, end=end, reason=reason, note=note, created_at=now
    )
    session.add(row)
    await session.flush()
    return row


async def unavailability_of(session: AsyncSession, person: Person) -> list[Unavailability]:
    return list(
        await session.scalars(
            select(Unavailability)
            .where(Unavailability.person_id == person.id)
            .order_by(Unavailability.start)
        )
    )


async def delete_unavailability(session: AsyncSession, person: Person, row_id: int) -> bool:
    row = await session.get(Unavailability, row_id)
    if row is None or row.person_id != person.id:
        return False
    await session.delete(row)
    await session.flush()
    return True


async def requests_of(session: AsyncSession, person: Person) -> list[RotaRequest]:
    return list(
        await session.scalars(
            select(RotaRequest)
            .where(RotaRequest.person_id == person.id)
            .order_by(RotaRequest.start)
        )
    )


async def add_request(
    session: AsyncSession,
    person: Person,
    *,
    kind: str,
    start: datetime,
    end: datetime,
    weight: str,
    note: str,
    now: datetime,
) -> RotaRequest:
    errors: dict[str, str] = {}
    if kind not in {k.value for k in RequestKind}:
        errors["kind"] = "choose avoid or prefer"
    try:
        value = float(weight or "1")
        if value <= 0:
            errors["weight"] = "must be more than 0"
    except ValueError:
        errors["weight"] = f"{weight!r} is not a number"
        value = 1.0
    if errors:
        raise StaffInvalid(errors)
    row = RotaRequest(
        person_id=person.id, kind=kind, start=start, end=end, weight=value, note=note,
        created_at=now,
    )  # fmt: skip
    session.add(row)
    await session.flush()
    return row


async def delete_request(session: AsyncSession, person: Person, row_id: int) -> bool:
    row = await session.get(RotaRequest, row_id)
    if row is None or row.person_id != person.id:
        return False
    await session.delete(row)
    await session.flush()
    return True


async def count_people(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Person)) or 0)
