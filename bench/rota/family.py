"""A family of random rota problems per size, cut from the service's own templates and holidays.

Each instance is named by its size and seed and rebuilt from them alone, so a figure in
bench/results can always be reproduced. Shifts come from the island's default templates (weekend
and holiday pairs needing a fostering-trained worker, Christmas premium, the managers' blocks)
and Jersey's bank holidays, exactly as the service cuts a month.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bench.rota.baselines import greedy_legal
from oncall.domain.rota.default_templates import default_templates
from oncall.domain.rota.months import Month, cut_shifts, island_holidays
from oncall.domain.rota.problem import CATEGORIES, DEFAULT_RULES
from rota_solver import parse_problem

JERSEY = ZoneInfo("Europe/Jersey")
NAMES = ["Tom", "Anne", "Luis", "Uma", "Owen", "Zoe", "Maya", "Sian", "Ben", "Femi", "Jon", "Elin"]
SURNAMES = ["Blampied", "Carrel", "Journeaux", "Touzel", "Hamon", "Le Feuvre", "Renouf", "Vibert"]
ORDINARY_MONTHS = (1, 2, 4, 5, 6, 7, 8, 9, 11)  # neither a clock change nor Christmas
YEARS = (2026, 2027, 2028, 2029)


@dataclass(frozen=True, slots=True)
class Size:
    """One size of problem: how long, how many people, and how many on a night."""

    name: str
    workers: int
    managers: int
    per_night: int  # first-line workers on a weeknight; weekends and holidays need one more
    year: bool  # a whole calendar year, else one month
    months: tuple[int, ...] = ()  # the months a month-sized instance is drawn from
    repair_share: float = 0.0  # how many of its instances repair a published rota


SIZES = {
    s.name: s
    for s in (
        Size("month", 30, 8, 1, False, ORDINARY_MONTHS, repair_share=0.3),
        Size("dst_month", 30, 8, 1, False, (3, 10), repair_share=0.3),
        Size("christmas_month", 30, 8, 1, False, (12,), repair_share=0.2),
        Size("county_month", 150, 20, 3, False, (*ORDINARY_MONTHS, 3, 10, 12)),
        Size("year", 30, 8, 1, True),
        Size("county_year", 150, 20, 3, True),
    )
}


def _at(day: date, hour: int = 0) -> str:
    return datetime.combine(day, time(hour), JERSEY).isoformat()


def _shifts(months: list[Month], per_night: int) -> list[dict[str, Any]]:
    shifts = []
    for month in months:
        holidays = island_holidays([month.year])
        for cut in cut_shifts(month, default_templates(), JERSEY, holidays):
            shift = cut.to_problem()
            if shift["tier"] == "worker" and per_night > 1:
                shift["required"] += per_night - 1
                # A bigger team needs more fostering-trained workers on its busy days.
                for need in shift["skills"]:
                    need["min"] += (per_night - 1) // 2
            shifts.append(shift)
    return shifts


def _leave(rng: random.Random, first: date, days: int) -> list[dict[str, str]]:
    leave = []
    if days > 60:
        blocks = rng.randint(2, 6)  # annual leave spread through the year
        longest = 14
    else:
        blocks = rng.choice([0, 0, 0, 1, 1, 2])
        longest = 12
    for _ in range(blocks):
        start = first + timedelta(days=rng.randrange(days))
        end = start + timedelta(days=rng.randint(2, longest))
        leave.append({"start": _at(start), "end": _at(end), "reason": "annual leave"})
    if days > 60 and rng.random() < 0.06:  # a long absence: the share follows availability
        start = first + timedelta(days=rng.randrange(days))
        end = start + timedelta(days=rng.randint(60, 150))
        leave.append({"start": _at(start), "end": _at(end), "reason": "long absence"})
    for _ in range(rng.choice([0, 0, 1, 1 if days <= 60 else 4])):
        day = first + timedelta(days=rng.randrange(days))
        leave.append(
            {"start": _at(day, 12), "end": _at(day + timedelta(days=1), 12), "reason": "training"}
        )
    return leave


def _person(
    rng: random.Random, ident: str, tier: str, first: date, days: int, fostering: float
) -> dict[str, Any]:
    skills = []
    if tier == "worker" and rng.random() < fostering:
        skills.append("fostering")
    if tier == "worker" and rng.random() < 0.2:
        skills.append("amhp")
    balance: dict[str, float] = {}
    load = rng.choice([-2.0, -1.5, -1.0, -0.5, 0.0, 0.0, 0.0, 0.5, 1.0, 1.5, 2.5])
    if load:
        balance["load"] = load
    for category in CATEGORIES:
        if rng.random() < 0.3:
            balance[category] = rng.choice([-2, -1, -1, 1, 1, 2]) * (
                0.5 if category != "weekend" else 1
            )
    person: dict[str, Any] = {
        "id": ident,
        "name": f"{rng.choice(NAMES)} {rng.choice(SURNAMES)}",
        "tier": tier,
        "fte": rng.choice([1.0] * 8 + [0.9, 0.8, 0.8, 0.6, 0.5, 0.5, 0.4] + [0.0]),
        "skills": skills,
        "balance": balance,
        "unavailable": _leave(rng, first, days),
    }
    return person


def _requests(
    rng: random.Random, people: list[dict[str, Any]], shifts: list[dict[str, Any]], count: int
) -> list[dict[str, Any]]:
    asks = []
    for _ in range(count):
        person = rng.choice(people)
        mine = [s for s in shifts if s["tier"] == person["tier"]]
        ask: dict[str, Any] = {
            "person": person["id"],
            "kind": rng.choice(["avoid", "avoid", "avoid", "prefer"]),
            "weight": rng.choice([1, 1, 2, 5]),
        }
        if rng.random() < 0.6:
            ask["shift"] = rng.choice(mine)["id"]
        else:  # a day or a few: "not the week of my daughter's wedding"
            start = datetime.fromisoformat(rng.choice(mine)["start"]).replace(hour=0, minute=0)
            ask["start"] = start.isoformat()
            ask["end"] = (start + timedelta(days=rng.randint(1, 5))).isoformat()
        asks.append(ask)
    return asks


def _repair(rng: random.Random, document: dict[str, Any]) -> None:
    """Turn a month into a repair: a published rota (a careful hand-made one), history frozen
    from a day in the month, and one first-line worker off sick for a few days from then."""
    published = greedy_legal(parse_problem(document))
    first = datetime.fromisoformat(document["shifts"][0]["start"]).date()
    frozen = first + timedelta(days=rng.randint(4, 20))
    sick_to = frozen + timedelta(days=rng.randint(2, 5))
    starts = {s["id"]: datetime.fromisoformat(s["start"]).date() for s in document["shifts"]}
    tier = {s["id"]: s["tier"] for s in document["shifts"]}
    hit = sorted(
        {
            a.person
            for a in published
            if tier[a.shift] == "worker" and frozen <= starts[a.shift] < sick_to
        }
    )
    if hit:
        sick = rng.choice(hit)
        for person in document["people"]:
            if person["id"] == sick:
                reason = {"start": _at(frozen, 12), "end": _at(sick_to, 12), "reason": "sick"}
                person["unavailable"].append(reason)
    document["baseline"] = {
        "assignments": [{"shift": a.shift, "person": a.person} for a in published],
        "frozen_before": _at(frozen, 12),
    }


def instance(size: str, seed: int) -> dict[str, Any]:
    """The problem document for (size, seed): the same every time."""
    spec = SIZES[size]
    rng = random.Random(f"{size}:{seed}")
    year = rng.choice(YEARS)
    months = (
        [Month(year, m) for m in range(1, 13)]
        if spec.year
        else [Month(year, rng.choice(spec.months))]
    )
    first = months[0].first_day
    days = (months[-1].next_first_day - first).days
    shifts = _shifts(months, spec.per_night)
    fostering = rng.uniform(0.3, 0.6)
    people = [
        _person(rng, f"sw{i:03d}", "worker", first, days, fostering)
        for i in range(1, spec.workers + 1)
    ]
    people += [
        _person(rng, f"sm{i:03d}", "manager", first, days, fostering)
        for i in range(1, spec.managers + 1)
    ]
    people = [p for p in people if p["fte"] > 0 or rng.random() < 0.5]  # some FTE 0 stay listed
    rostered = [p for p in people if p["fte"] > 0]
    scale = (12 if spec.year else 1) * (spec.workers // 30)
    count = rng.randint(0, 25) * scale
    document: dict[str, Any] = {
        "format": "oncall-rota-problem/1",
        "name": f"bench family {size} seed {seed} ({months[0].key}, {len(months)} months)",
        "tiers": ["worker", "manager"],
        "categories": list(CATEGORIES),
        "shifts": shifts,
        "people": people,
        "requests": _requests(rng, rostered, shifts, count),
        "rules": DEFAULT_RULES.to_problem(),
    }
    if rng.random() < spec.repair_share:
        _repair(rng, document)
    return document
