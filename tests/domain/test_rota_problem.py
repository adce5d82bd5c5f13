"""Building the solver's problem from the database: shifts, holidays, DST, leave, balances."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

import rota_solver
from oncall.db.engine import Database
from oncall.db.models import (
    Balance,
    Person,
    RotaPeriod,
    RotaRequest,
    RotaVersion,
    ShiftTemplate,
    Unavailability,
)
from oncall.domain.rota import (
    Month,
    RotaInvalid,
    build_problem,
    cut_shifts,
    default_templates,
    island_holidays,
)
from oncall.domain.setup import load_demo

JERSEY = ZoneInfo("Europe/Jersey")
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SHIFT_KEYS = {"id", "start", "end", "tier", "required", "weight", "categories", "skills"}
PERSON_KEYS = {"id", "name", "tier", "fte", "skills", "balance", "unavailable"}


def hours(shift: dict[str, Any]) -> float:
    start = datetime.fromisoformat(shift["start"])
    end = datetime.fromisoformat(shift["end"])
    return (end - start).total_seconds() / 3600


def assert_valid_problem(problem: dict[str, Any]) -> None:
    """The spec's rules checked by hand, then by the solver's own parser."""
    assert problem["format"] == "oncall-rota-problem/1"
    assert set(problem) <= {"format", "name", "tiers", "categories", "shifts", "people"} | {
        "requests",
        "rules",
        "pinned",
        "baseline",
    }
    shift_ids = [s["id"] for s in problem["shifts"]]
    person_ids = [p["id"] for p in problem["people"]]
    assert len(set(shift_ids)) == len(shift_ids) and len(set(person_ids)) == len(person_ids)
    for shift in problem["shifts"]:
        assert set(shift) == SHIFT_KEYS
        assert datetime.fromisoformat(shift["start"]).utcoffset() is not None
        assert hours(shift) > 0
        assert shift["tier"] in problem["tiers"] and shift["required"] >= 1 and shift["weight"] > 0
        assert set(shift["categories"]) <= set(problem["categories"])
    for person in problem["people"]:
        assert set(person) == PERSON_KEYS and person["tier"] in problem["tiers"]
        assert set(person["balance"]) <= {"load", *problem["categories"]}
        for gap in person["unavailable"]:
            assert datetime.fromisoformat(gap["end"]) > datetime.fromisoformat(gap["start"])
    for request in problem.get("requests", []):
        assert request["person"] in person_ids and request["kind"] in ("avoid", "prefer")
    assert set(problem["rules"]) == {"min_rest_hours", "windows", "spread_hours"}
    parsed = rota_solver.parse_problem(problem)
    assert len(parsed.shifts) == len(shift_ids) and len(parsed.people) == len(person_ids)


async def load(database: Database) -> None:
    async with database.sessions() as session:
        await load_demo(session, now=NOW, zone=JERSEY, anchor=date(2027, 1, 1))
        await session.commit()


async def problem_for(database: Database, month: str) -> dict[str, Any]:
    async with database.sessions() as session:
        return await build_problem(session, month, JERSEY)


async def test_january_on_the_demo_data(database: Database) -> None:
    await load(database)
    problem = await problem_for(database, "2027-01")
    assert_valid_problem(problem)
    shifts = {s["id"]: s for s in problem["shifts"]}
    # One first-tier shift a day; managers: five weekend blocks (from Fri 1 Jan), four
    # weeknight blocks (from Mondays 4, 11, 18, 25) and New Year's Day's daytime.
    assert Counter(s["tier"] for s in shifts.values()) == {"worker": 31, "manager": 10}
    new_year = shifts["2027-01-01-w"]
    assert new_year["categories"] == ["christmas"] and new_year["weight"] == 3.0
    assert new_year["required"] == 2 and new_year["start"] == "2027-01-01T09:00:00+00:00"
    assert shifts["2027-01-01-m"]["end"] == "2027-01-01T17:00:00+00:00"  # the holiday daytime
    assert shifts["2027-01-01-m2"]["end"] == "2027-01-04T09:00:00+00:00"  # the managers' weekend
    weekends = [s for s in shifts.values() if s["categories"] == ["weekend"]]
    assert len([s for s in weekends if s["tier"] == "worker"]) == 10
    for shift in weekends:
        if shift["tier"] == "worker":
            assert shift["skills"] == [{"skill": "fostering", "min": 1}] and shift["required"] == 2
    assert shifts["2027-01-04-w"]["start"] == "2027-01-04T17:00:00+00:00" and hours(
        shifts["2027-01-04-w"]
    ) == pytest.approx(16)
    # The last shift starting in January ends in February; nothing starts in February.
    assert max(s["start"] for s in shifts.values()) < "2027-02-01"
    people = {p["id"]: p for p in problem["people"]}
    assert len(people) == 38 and people["sw008"]["fte"] == 0.5
    assert "fostering" in people["sw001"]["skills"] and people["sm001"]["tier"] == "manager"
    assert problem["rules"] == {
        "min_rest_hours": 24,
        "windows": [{"hours": 168, "max": 2}],
        "spread_hours": 96,
    }


async def test_leave_overlapping_the_month_is_unavailable(database: Database) -> None:
    await load(database)
    problem = await problem_for(database, "2027-01")
    # Leave counts when it overlaps any shift: from the first start to the last end (1 Feb 09:00).
    first = min(datetime.fromisoformat(s["start"]) for s in problem["shifts"])
    last = max(datetime.fromisoformat(s["end"]) for s in problem["shifts"])
    async with database.sessions() as session:
        rows = (await session.execute(select(Person.code, Unavailability).join(Person))).all()
    expected = Counter(code for code, u in rows if u.start < last and u.end > first)
    found = Counter({p["id"]: len(p["unavailable"]) for p in problem["people"] if p["unavailable"]})
    assert found == expected and sum(found.values()) > 5
    one = next(p for p in problem["people"] if p["unavailable"])["unavailable"][0]
    assert set(one) == {"start", "end", "reason"} and one["reason"] in ("annual_leave", "training")


async def test_clock_changes_give_nights_of_15_and_17_hours(database: Database) -> None:
    await load(database)
    async with database.sessions() as session:
        await session.execute(update(ShiftTemplate).values(active=False))
        session.add(
            ShiftTemplate(
                name="Every night", tier="worker", day_type="weekday", start_days=list(range(7)),
                start_time=time(17), end_time=time(9), end_day_offset=1, weight=1.0, required=1,
                categories=[], skills=[], holidays_replace=False, active=True,
            )
        )  # fmt: skip
        await session.commit()
    march_problem = await problem_for(database, "2027-03")
    october_problem = await problem_for(database, "2027-10")
    assert_valid_problem(march_problem)
    assert_valid_problem(october_problem)
    march = {s["id"]: s for s in march_problem["shifts"]}
    october = {s["id"]: s for s in october_problem["shifts"]}
    assert hours(march["2027-03-27-w"]) == 15  # clocks go forward early on Sun 28 March
    assert hours(october["2027-10-30-w"]) == 17  # and back early on Sun 31 October
    assert hours(march["2027-03-28-w"]) == hours(october["2027-10-31-w"]) == 16
    assert march["2027-03-28-w"]["start"] == "2027-03-28T16:00:00+00:00"  # 17:00 BST
    assert len(march) == 31 and len(october) == 31


async def test_default_templates_across_the_clock_changes(database: Database) -> None:
    await load(database)
    march = {s["id"]: s for s in (await problem_for(database, "2027-03"))["shifts"]}
    october = {s["id"]: s for s in (await problem_for(database, "2027-10"))["shifts"]}
    assert hours(march["2027-03-27-w"]) == 23 and hours(october["2027-10-30-w"]) == 25
    # Good Friday (26 March) is a bank holiday: a manager covers its daytime, and the
    # managers' weekend block still runs from 17:00.
    assert march["2027-03-26-w"]["categories"] == ["bank_holiday"]
    assert hours(march["2027-03-26-m"]) == 8
    assert hours(march["2027-03-26-m2"]) == 63 and hours(october["2027-10-29-m"]) == 65


def test_island_holidays_and_their_day_types() -> None:
    days = island_holidays([2026, 2027, 2028])
    assert days[date(2027, 1, 1)].day_type == "christmas"
    assert days[date(2027, 12, 25)].day_type == days[date(2027, 12, 26)].day_type == "christmas"
    # Substitute days are bank holidays, not Christmas.
    assert days[date(2027, 12, 27)].day_type == "bank_holiday"
    assert days[date(2028, 1, 3)].day_type == "bank_holiday"
    assert days[date(2026, 5, 9)].name == "Liberation Day"
    assert days[date(2028, 5, 9)].day_type == "bank_holiday"
    assert days[date(2027, 3, 29)].day_type == "bank_holiday"  # Easter Monday


def test_holiday_templates_replace_weekday_ones_but_not_manager_blocks() -> None:
    december = Month(2027, 12)
    shifts = {
        s.id: s for s in cut_shifts(december, default_templates(), JERSEY, island_holidays([2027]))
    }
    assert shifts["2027-12-25-w"].categories == ["christmas"]  # a Saturday
    assert shifts["2027-12-27-w"].categories == ["bank_holiday"]  # substitute Monday, 09:00
    assert shifts["2027-12-27-w"].start == datetime(2027, 12, 27, 9, tzinfo=UTC)
    assert shifts["2027-12-27-m"].weight == 1.0  # a manager for the holiday's daytime
    assert shifts["2027-12-27-m2"].weight == 2.0  # and the weeknight block still starts
    assert "2027-12-27-w2" not in shifts  # the weeknight gave way rather than doubling up
    assert shifts["2027-12-24-m"].categories == ["weekend"]


def test_weekday_bank_holidays_have_a_manager_in_the_daytime() -> None:
    spring = {
        s.id: s
        for s in cut_shifts(Month(2027, 3), default_templates(), JERSEY, island_holidays([2027]))
    }
    easter_monday = [s for s in spring.values() if s.day.isoformat() == "2027-03-29"]
    managers = sorted((s.start, s.end) for s in easter_monday if s.tier == "manager")
    assert managers == [
        (datetime(2027, 3, 29, 8, tzinfo=UTC), datetime(2027, 3, 29, 16, tzinfo=UTC)),  # BST
        (datetime(2027, 3, 29, 16, tzinfo=UTC), datetime(2027, 4, 2, 8, tzinfo=UTC)),
    ]
    december = {
        s.id
        for s in cut_shifts(Month(2027, 12), default_templates(), JERSEY, island_holidays([2027]))
        if s.tier == "manager" and s.day.isoformat() in ("2027-12-25", "2027-12-26")
    }
    assert len(december) == 0  # a weekend Christmas is inside the managers' weekend block


async def test_balances_carry_from_the_last_published_month(database: Database) -> None:
    await load(database)
    async with database.sessions() as session:
        people = {p.code: p for p in (await session.scalars(select(Person))).all()}
        numbers: Counter[str] = Counter()
        loads = {"2026-11": 5.0, "2026-12": -1.5, "2027-02": 7.0}
        for month, status in (
            ("2026-11", "published"),
            ("2026-12", "superseded"),
            ("2026-12", "published"),
            ("2027-02", "published"),
        ):
            period = await session.scalar(select(RotaPeriod).where(RotaPeriod.month == month))
            if period is None:
                period = RotaPeriod(month=month, start=NOW, end=NOW, created_at=NOW)
                session.add(period)
                await session.flush()
                session.add(
                    Balance(
                        person_id=people["sw004"].id, period_id=period.id, load=loads[month],
                        categories={"weekend": 0.5, "retired": 2.0}, created_at=NOW,
                    )
                )  # fmt: skip
            numbers[month] += 1
            session.add(
                RotaVersion(
                    period_id=period.id, number=numbers[month], status=status,
                    created_at=NOW,
                )
            )  # fmt: skip
            await session.flush()
        await session.commit()
    people_in = {p["id"]: p for p in (await problem_for(database, "2027-01"))["people"]}
    assert people_in["sw004"]["balance"] == {"load": -1.5, "weekend": 0.5}
    assert people_in["sw005"]["balance"] == {}


async def test_coordinators_requests_become_interval_requests(database: Database) -> None:
    await load(database)
    async with database.sessions() as session:
        people = {p.code: p for p in (await session.scalars(select(Person))).all()}
        start = datetime(2027, 1, 15, 17, tzinfo=UTC)
        session.add_all(
            [
                RotaRequest(
                    person_id=people["sw002"].id, kind="avoid", start=start,
                    end=start + timedelta(days=3), weight=2.0, note="wedding", created_at=NOW,
                ),
                RotaRequest(
                    person_id=people["sw003"].id, kind="prefer", start=start - timedelta(days=60),
                    end=start - timedelta(days=50), weight=1.0, created_at=NOW,
                ),
            ]
        )  # fmt: skip
        await session.commit()
    problem = await problem_for(database, "2027-01")
    assert problem["requests"] == [
        {
            "person": "sw002",
            "kind": "avoid",
            "weight": 2.0,
            "start": "2027-01-15T17:00:00+00:00",
            "end": "2027-01-18T17:00:00+00:00",
        }
    ]
    assert_valid_problem(problem)


@pytest.mark.parametrize("text", ["2027-13", "Jan 2027", "2027-1", "27-01", ""])
def test_a_bad_month_names_the_field(text: str) -> None:
    with pytest.raises(RotaInvalid, match=r"^month: expected YYYY-MM"):
        Month.parse(text)


async def test_no_templates_is_refused_naming_templates(database: Database) -> None:
    with pytest.raises(RotaInvalid, match=r"^templates: "):
        await problem_for(database, "2027-01")
