"""Realistic rota problems for the bench: a Jersey-style out-of-hours rota of any size."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

JERSEY = ZoneInfo("Europe/Jersey")
FIRST_NAMES = ["Tom", "Anne", "Luis", "Uma", "Owen", "Zoe", "Maya", "Sian", "Ben", "Femi", "Jon"]
FIRST_NAMES += ["Elin", "Yara", "Kai", "Rosa", "Ivan", "Lena", "Amir", "Nia", "Paul", "Ines"]
SURNAMES = ["Blampied", "Carrel", "Journeaux", "Touzel", "Hamon", "Le Feuvre", "Le Marquand"]
SURNAMES += ["Le Brocq", "Du Feu", "Picot", "Amy", "Egré", "Renouf", "Vibert", "Gallichan"]
BANK_HOLIDAYS = {(1, 1), (5, 3), (5, 9), (5, 31), (8, 30), (12, 25), (12, 26)}


def _at(day: date, hour: int) -> str:
    """A local Jersey time with the offset in force then (+00:00 or +01:00)."""
    return datetime.combine(day, time(hour), JERSEY).isoformat()


def _categories(day: date) -> list[str]:
    cats = ["weekend"] if day.weekday() >= 5 else []
    if (day.month, day.day) in BANK_HOLIDAYS:
        cats.append("bank_holiday")
    if day.month == 12 and day.day in (24, 25, 26):
        cats.append("christmas")
    return cats


def _shifts(first: date, days: int, per_night: int) -> list[dict[str, object]]:
    shifts: list[dict[str, object]] = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        cats = _categories(day)
        weekend = day.weekday() >= 5
        shift: dict[str, object] = {
            "id": f"{day.isoformat()}-w",
            "start": _at(day, 9 if weekend else 17),
            "end": _at(day + timedelta(days=1), 9),
            "tier": "worker",
            "required": per_night + (1 if weekend else 0),
            "weight": 2.0 if "bank_holiday" in cats else 1.5 if weekend else 1.0,
            "categories": cats,
            "skills": [{"skill": "fostering", "min": 1}] if weekend else [],
        }
        shifts.append(shift)
        if day.weekday() in (0, 4):  # managers: Mon 17:00 to Fri 09:00, Fri 17:00 to Mon 09:00
            length = 3 if day.weekday() == 0 else 2
            end = day + timedelta(days=length + 1)
            if end > first + timedelta(days=days):
                end = first + timedelta(days=days)
            shifts.append(
                {
                    "id": f"{day.isoformat()}-m",
                    "start": _at(day, 17),
                    "end": _at(end, 9),
                    "tier": "manager",
                    "required": 1,
                    "weight": 2.5 if day.weekday() == 4 else 2.0,
                    "categories": ["weekend"] if day.weekday() == 4 else [],
                    "skills": [],
                }
            )
    return shifts


def _person(rng: random.Random, ident: str, tier: str, first: date, days: int) -> dict[str, object]:
    leave = []
    blocks = max(1, days // 60) if days > 60 else rng.choice([0, 0, 1, 1, 2])
    for _ in range(blocks):
        start = first + timedelta(days=rng.randrange(days))
        length = rng.randint(3, 10) if days <= 60 else rng.randint(5, 14)
        leave.append(
            {
                "start": _at(start, 0),
                "end": _at(start + timedelta(days=length), 0),
                "reason": "annual leave",
            }
        )
    if rng.random() < 0.3:
        day = first + timedelta(days=rng.randrange(days))
        leave.append(
            {"start": _at(day, 12), "end": _at(day + timedelta(days=1), 12), "reason": "training"}
        )
    skills = ["fostering"] if rng.random() < 0.45 else []
    if rng.random() < 0.2:
        skills.append("amhp")
    balance: dict[str, float] = {"load": rng.choice([-1.5, -1.0, -0.5, 0.0, 0.0, 0.5, 1.0])}
    if rng.random() < 0.5:
        balance["weekend"] = rng.choice([-1, 1])
    return {
        "id": ident,
        "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}",
        "tier": tier,
        "fte": rng.choice([1.0, 1.0, 1.0, 1.0, 0.8, 0.5]),
        "skills": skills if tier == "worker" else [],
        "balance": balance,
        "unavailable": leave,
    }


def problem(
    *,
    first: date = date(2027, 3, 1),
    days: int = 31,
    workers: int = 30,
    managers: int = 8,
    per_night: int = 1,
    requests: int = 12,
    seed: int = 1,
) -> dict[str, Any]:
    """A problem document with leave, balances, requests and weekend fostering minimums."""
    rng = random.Random(seed)
    shifts = _shifts(first, days, per_night)
    people = [_person(rng, f"sw{i:03d}", "worker", first, days) for i in range(1, workers + 1)]
    people += [_person(rng, f"sm{i:03d}", "manager", first, days) for i in range(1, managers + 1)]
    asks = []
    for _ in range(requests):
        person = rng.choice(people[:workers])
        shift = rng.choice([s for s in shifts if s["tier"] == "worker"])
        asks.append(
            {
                "person": person["id"],
                "kind": rng.choice(["avoid", "avoid", "prefer"]),
                "shift": shift["id"],
                "weight": rng.choice([1, 2, 5]),
            }
        )
    return {
        "format": "oncall-rota-problem/1",
        "name": f"bench rota {first.isoformat()} +{days}d, {workers}+{managers}, seed {seed}",
        "tiers": ["worker", "manager"],
        "categories": ["weekend", "bank_holiday", "christmas"],
        "shifts": shifts,
        "people": people,
        "requests": asks,
        "rules": {"min_rest_hours": 24, "windows": [{"hours": 168, "max": 2}], "spread_hours": 96},
        "pinned": [],
    }
