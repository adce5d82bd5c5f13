"""Lines and callers for the web app: line numbers, greetings and routing; known agency callers
and foster carer households with their numbers (validated to E.164, each number used once)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from oncall.db.models import Agency, CallerNumber, FosterHousehold, KnownCaller, Line
from oncall.domain.errors import Invalid
from oncall.phones import InvalidPhoneNumber, normalise_phone

ROUTING_POLICIES = ("default", "foster")
_REFERENCE = re.compile(r"[A-Z]{1,6}-[0-9]{1,6}")


@dataclass(frozen=True, slots=True)
class Directory:
    lines: list[Line]
    callers: list[KnownCaller]
    households: list[FosterHousehold]


async def directory(session: AsyncSession) -> Directory:
    lines = (await session.scalars(select(Line).order_by(Line.id))).all()
    callers = (
        await session.scalars(
            select(KnownCaller)
            .options(selectinload(KnownCaller.numbers))
            .order_by(KnownCaller.name)
        )
    ).all()
    households = (
        await session.scalars(
            select(FosterHousehold)
            .options(selectinload(FosterHousehold.numbers))
            .order_by(FosterHousehold.reference)
        )
    ).all()
    return Directory(list(lines), list(callers), list(households))


def _phone(raw: str, field: str, errors: dict[str, str]) -> str:
    try:
        return normalise_phone(raw)
    except InvalidPhoneNumber as exc:
        errors[field] = str(exc)
        return ""


async def _number_free(session: AsyncSession, number: str, errors: dict[str, str]) -> None:
    if number and await session.scalar(select(CallerNumber).where(CallerNumber.number == number)):
        errors["number"] = "that number is already registered to a caller or household"


async def update_line(
    session: AsyncSession,
    line_id: int,
    *,
    name: str,
    number: str,
    greeting: str,
    routing_policy: str,
    offers_menu: bool,
    active: bool,
) -> Line:
    line = await session.get(Line, line_id)
    if line is None:
        raise Invalid({"line": "no such line"})
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "give the line a name"
    e164 = _phone(number, "number", errors)
    if e164 and await session.scalar(
        select(Line).where(Line.twilio_number == e164, Line.id != line_id)
    ):
        errors["number"] = "another line has that number"
    if not greeting.strip():
        errors["greeting"] = "callers must hear something: write a greeting"
    elif len(greeting) > 500:
        errors["greeting"] = "at most 500 characters (it is read aloud)"
    if routing_policy not in ROUTING_POLICIES:
        errors["routing_policy"] = f"one of {', '.join(ROUTING_POLICIES)}"
    if errors:
        raise Invalid(errors)
    line.name, line.twilio_number, line.greeting = name.strip(), e164, greeting.strip()
    line.routing_policy, line.offers_menu, line.active = routing_policy, offers_menu, active
    await session.flush()
    return line


async def add_caller(
    session: AsyncSession, *, agency: str, name: str, number: str, label: str
) -> KnownCaller:
    errors: dict[str, str] = {}
    if agency not in {a.value for a in Agency}:
        errors["agency"] = "choose police, hospital or other"
    if not name.strip():
        errors["name"] = "give the caller's name, e.g. Police control room"
    e164 = _phone(number, "number", errors)
    await _number_free(session, e164, errors)
    if errors:
        raise Invalid(errors)
    caller = KnownCaller(agency=agency, name=name.strip(), active=True)
    caller.numbers.append(CallerNumber(number=e164, label=label.strip()[:60]))
    session.add(caller)
    await session.flush()
    return caller


async def add_household(
    session: AsyncSession, *, reference: str, carer_names: str, number: str, label: str
) -> FosterHousehold:
    """A foster household: carers' names and numbers only, never a child's details."""
    errors: dict[str, str] = {}
    reference = reference.strip().upper()
    if not _REFERENCE.fullmatch(reference):
        errors["reference"] = "like FC-014"
    elif await session.scalar(
        select(FosterHousehold).where(FosterHousehold.reference == reference)
    ):
        errors["reference"] = f"{reference} already exists"
    if not carer_names.strip():
        errors["carer_names"] = "give the carers' names"
    e164 = _phone(number, "number", errors)
    await _number_free(session, e164, errors)
    if errors:
        raise Invalid(errors)
    household = FosterHousehold(reference=reference, carer_names=carer_names.strip(), active=True)
    household.numbers.append(CallerNumber(number=e164, label=label.strip()[:60]))
    session.add(household)
    await session.flush()
    return household


async def add_number(
    session: AsyncSession,
    *,
    caller_id: int | None = None,
    household_id: int | None = None,
    number: str,
    label: str,
) -> CallerNumber:
    errors: dict[str, str] = {}
    e164 = _phone(number, "number", errors)
    await _number_free(session, e164, errors)
    if caller_id is not None and await session.get(KnownCaller, caller_id) is None:
        errors["caller"] = "no such caller"
    if household_id is not None and await session.get(FosterHousehold, household_id) is None:
        errors["household"] = "no such household"
    if errors:
        raise Invalid(errors)
    row = CallerNumber(
        number=e164, label=label.strip()[:60], known_caller_id=caller_id, household_id=household_id
    )
    session.add(row)
    await session.flush()
    return row


async def remove_number(session: AsyncSession, number_id: int) -> bool:
    row = await session.get(CallerNumber, number_id)
    if row is None:
        return False
    await session.delete(row)
    await session.flush()
    return True


async def set_active(
    session: AsyncSession, *, caller_id: int | None = None, household_id: int | None = None,
    active: bool,
) -> bool:  # fmt: skip
    row: KnownCaller | FosterHousehold | None = None
    if caller_id is not None:
        row = await session.get(KnownCaller, caller_id)
    elif household_id is not None:
        row = await session.get(FosterHousehold, household_id)
    if row is None:
        return False
    row.active = active
    await session.flush()
    return True


def parse_policy_steps(text: str) -> list[dict[str, object]]:
    """Steps typed one per line as `targets | channels | wait minutes`, e.g.
    `duty_worker, second_worker | sms, voice | 10`. The escalation domain validates the rest."""
    steps: list[dict[str, object]] = []
    for number, line in enumerate(text.strip().splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 3:
            raise Invalid({"steps": f"line {number}: write targets | channels | minutes"})
        try:
            wait = int(parts[2])
        except ValueError:
            raise Invalid(
                {"steps": f"line {number}: {parts[2]!r} is not a number of minutes"}
            ) from None
        steps.append(
            {
                "targets": [t.strip() for t in parts[0].split(",") if t.strip()],
                "channels": [c.strip() for c in parts[1].split(",") if c.strip()],
                "wait_minutes": wait,
            }
        )
    return steps
