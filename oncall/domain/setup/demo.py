"""The synthetic demo data set: staff, lines, callers, foster households, leave and users.

Everything here is invented. Names are made by pairing common island first names and surnames at
random (with a fixed seed), and numbers are in blocks no real service uses here. The same anchor
month always gives the same data.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import (
    Agency,
    CallerNumber,
    FosterHousehold,
    KnownCaller,
    Line,
    LineKind,
    Person,
    Role,
    Tier,
    Unavailability,
    UnavailabilityReason,
)
from oncall.domain.errors import Invalid
from oncall.domain.escalation import ensure_default_policies
from oncall.domain.people import hash_password, new_user
from oncall.domain.rota import default_templates
from oncall.domain.setup.service import service_calendar, standard_line
from oncall.phones import normalise_phone

DEMO_PASSWORD = "oncall-demo"  # noqa: S105  (printed by `make run`; demo data only)


@functools.cache
def _demo_password_hash() -> str:
    """The demo users' one published password, hashed once a process (an argon2 hash costs
    about 100 ms of CPU; every test and every `demo load` lays down four demo users). They share
    the hash and its salt, which tells nobody anything: the password is printed by `make run`."""
    return hash_password(DEMO_PASSWORD)


SEED = 2027

FIRST_NAMES = [
    "Alice", "Ben", "Cara", "Dan", "Elin", "Femi", "Gina", "Hugo", "Isla", "Jon", "Kira", "Luis",
    "Maya", "Nia", "Owen", "Priya", "Quinn", "Rhys", "Sian", "Tom", "Uma", "Vic", "Will", "Yara",
    "Zoe", "Anne", "Cole", "Dina", "Ezra", "Fay",
]  # fmt: skip
SURNAMES = [
    "Le Brocq", "Blampied", "Carrel", "Journeaux", "Touzel", "Hamon", "Le Feuvre", "Le Marquand",
    "Picot", "Du Feu", "Amy", "Egré", "Renouf", "Le Cornu", "Vibert", "Gallichan", "Mauger",
    "Querée", "Romeril", "Syvret",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class DemoSummary:
    people: int
    lines: int
    known_callers: int
    households: int
    leave_periods: int
    users: int


class DemoDataInvalid(Invalid):
    """A value in the demo data set is invalid (e.g. a malformed phone number)."""


def _phone(raw: str, where: str) -> str:
    try:
        return normalise_phone(raw)
    except ValueError as exc:
        raise DemoDataInvalid(f"{where}: {exc}") from None


async def database_is_empty(session: AsyncSession) -> bool:
    """True when no person and no line exists yet."""
    people = await session.scalar(select(func.count()).select_from(Person))
    lines = await session.scalar(select(func.count()).select_from(Line))
    return not people and not lines


def _names(rng: random.Random, count: int) -> list[str]:
    pairs = [f"{f} {s}" for f in FIRST_NAMES for s in SURNAMES]
    rng.shuffle(pairs)
    return pairs[:count]


def _people(rng: random.Random, now: datetime) -> list[Person]:
    names = _names(rng, 38)
    people: list[Person] = []
    for i in range(30):
        skills = []
        if i % 3 == 0:
            skills.append("fostering")
        if i in (4, 11, 19, 26):
            skills.append("amhp")
        title = "Senior Practitioner" if i % 5 == 0 else "Social Worker"
        fte = {7: 0.5, 13: 0.8, 18: 0.8, 22: 0.6, 27: 0.8}.get(i, 1.0)
        people.append(
            Person(
                code=f"sw{i + 1:03d}", name=names[i], tier=Tier.WORKER, job_title=title,
                phone=_phone(f"+44 7797 9{10000 + i:05d}", f"people[sw{i + 1:03d}].phone"),
                email=f"sw{i + 1:03d}@example.invalid", fte=fte, skills=skills,
                active=True, created_at=now,
            )
        )  # fmt: skip
    titles = ["Head of Service", "Service Manager", "Team Manager"]
    for j in range(8):
        code = f"sm{j + 1:03d}"
        people.append(
            Person(
                code=code, name=names[30 + j], tier=Tier.MANAGER,
                job_title=titles[j % 3],
                phone=_phone(f"+44 7797 9{20000 + j:05d}", f"people[{code}].phone"),
                email=f"{code}@example.invalid", fte=0.5 if j == 6 else 1.0, skills=[],
                active=True, created_at=now,
            )
        )  # fmt: skip
    return people


def _leave(
    rng: random.Random, people: list[Person], anchor: date, zone: ZoneInfo, now: datetime
) -> list[Unavailability]:
    """One or two blocks of annual leave per person in the four months from `anchor`, and
    occasional training days."""
    periods: list[Unavailability] = []

    def local_midnight(day: date) -> datetime:
        return datetime.combine(day, time(0), zone).astimezone(UTC)

    for person in people:
        for _ in range(rng.choice((1, 1, 2))):
            first = anchor + timedelta(days=rng.randrange(0, 115))
            length = rng.choice((3, 5, 7, 10, 14))
            periods.append(
                Unavailability(
                    person=person, start=local_midnight(first),
                    end=local_midnight(first + timedelta(days=length)),
                    reason=UnavailabilityReason.ANNUAL_LEAVE, note="", created_at=now,
                )
            )  # fmt: skip
        if rng.random() < 0.4:
            day = anchor + timedelta(days=rng.randrange(0, 120))
            start = datetime.combine(day, time(12), zone).astimezone(UTC)
            periods.append(
                Unavailability(
                    person=person, start=start, end=start + timedelta(hours=24),
                    reason=UnavailabilityReason.TRAINING, note="course", created_at=now,
                )
            )  # fmt: skip
    return periods


def _lines() -> list[Line]:
    return [
        standard_line(kind, _phone(f"+44 1534 70010{n}", f"lines[{kind.value}].twilio_number"))
        for n, kind in enumerate((LineKind.POLICE, LineKind.HOSPITAL, LineKind.FOSTER), start=1)
    ]


def _known_callers() -> list[KnownCaller]:
    police = KnownCaller(agency=Agency.POLICE, name="Police HQ control room")
    police.numbers = [
        CallerNumber(number=_phone(f"+44 1534 7002{n:02d}", "police.numbers"), label=label)
        for n, label in ((1, "control room"), (2, "control room 2"), (3, "custody desk"))
    ]
    hospital = KnownCaller(agency=Agency.HOSPITAL, name="General Hospital")
    hospital.numbers = [
        CallerNumber(number=_phone(f"+44 1534 7003{n:02d}", "hospital.numbers"), label=label)
        for n, label in ((1, "switchboard"), (2, "emergency department"), (3, "paediatric ward"))
    ]
    return [police, hospital]


def _households(rng: random.Random) -> list[FosterHousehold]:
    households: list[FosterHousehold] = []
    for i in range(20):
        first, second = rng.sample(FIRST_NAMES, 2)
        surname = rng.choice(SURNAMES)
        carers = f"{first} and {second} {surname}" if i % 4 else f"{first} {surname}"
        household = FosterHousehold(reference=f"FC-{i + 1:03d}", carer_names=carers)
        household.numbers = [
            CallerNumber(
                number=_phone(f"+44 7797 95{i:04d}", f"households[FC-{i + 1:03d}].numbers"),
                label="mobile",
            )
        ]
        households.append(household)
    return households


async def load_demo(
    session: AsyncSession, *, now: datetime, zone: ZoneInfo, anchor: date | None = None
) -> DemoSummary:
    """Add the demo data set to an empty database (the caller commits)."""
    rng = random.Random(SEED)
    start = anchor or now.astimezone(zone).date().replace(day=1)
    people = _people(rng, now)
    leave = _leave(rng, people, start, zone, now)
    lines = _lines()
    callers = _known_callers()
    households = _households(rng)
    session.add_all([*people, *leave, *lines, *callers, *households, *default_templates()])
    session.add(
        service_calendar(_phone("+44 1534 700100", "service_calendar.day_desk_number"), now)
    )
    await session.flush()
    by_code = {p.code: p for p in people}
    secret = _demo_password_hash()
    users = [
        new_user(username="admin", display_name="Demo administrator", password_hash=secret,
                 roles=[Role.ADMIN], now=now),
        # Linked to a manager's rota record so shift alerts reach the coordinator's phone.
        new_user(username="coordinator", display_name="Demo rota coordinator",
                 password_hash=secret, roles=[Role.COORDINATOR], now=now,
                 person_id=by_code["sm008"].id),
        new_user(username="manager", display_name=by_code["sm001"].name, password_hash=secret,
                 roles=[Role.MANAGER, Role.WORKER], now=now, person_id=by_code["sm001"].id),
        new_user(username="worker", display_name=by_code["sw001"].name, password_hash=secret,
                 roles=[Role.WORKER], now=now, person_id=by_code["sw001"].id),
    ]  # fmt: skip
    session.add_all(users)
    await session.flush()
    await ensure_default_policies(session, now)
    return DemoSummary(
        people=len(people),
        lines=len(lines),
        known_callers=len(callers),
        households=len(households),
        leave_periods=len(leave),
        users=len(users),
    )
