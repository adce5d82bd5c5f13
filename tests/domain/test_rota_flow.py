"""Generate, publish, repair and export on the demo data with the real solver and databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

import rota_solver
from oncall.db.engine import Database
from oncall.db.models import Balance, Person, RotaShift, RotaVersion, Unavailability
from oncall.domain.rota import (
    RotaConflict,
    RotaInvalid,
    SolveProgress,
    build_problem,
    export_csv,
    export_ics,
    export_json,
    generate,
    load_version,
    publish,
    repair,
    version_diff,
)
from oncall.domain.rota.ical import ShiftEvent, calendar_document
from oncall.domain.setup import load_demo

JERSEY = ZoneInfo("Europe/Jersey")
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LIMIT = 30.0  # seconds per solve at most: each is proven in a few; CI is a loaded 2-core box
PLACES = {"worker": 42, "manager": 10}  # 20 weeknights, 10 weekend days, New Year's Day x2;
# managers: 5 weekend blocks, 4 weeknight blocks and New Year's Day's daytime


def assert_checks(version: RotaVersion) -> None:
    """The solver's independent checker finds no broken rule and no wrong figure."""
    problem = rota_solver.parse_problem(version.problem)
    solution = rota_solver.solution_from_json(version.solution)
    assert rota_solver.check(problem, solution) == []


async def demo(database: Database) -> None:
    async with database.sessions() as session:
        await load_demo(session, now=NOW, zone=JERSEY, anchor=date(2027, 1, 1))
        await session.commit()


async def generate_and_publish(database: Database) -> RotaVersion:
    heard: list[SolveProgress] = []
    async with database.sessions() as session:
        version = await generate(
            session, "2027-01", zone=JERSEY, now=NOW, by="test", progress=heard.append,
            time_limit_s=LIMIT,
        )  # fmt: skip
        await publish(session, "2027-01", now=NOW, by="coordinator")
        await session.commit()
    assert {p.stage for p in heard} >= {"fairness"} and all(p.elapsed_s >= 0 for p in heard)
    return version


async def test_generate_stores_a_checked_draft_and_publish_carries_balances(
    database: Database,
) -> None:
    await demo(database)
    async with database.sessions() as session:
        version = await generate(session, "2027-01", zone=JERSEY, now=NOW, time_limit_s=LIMIT)
        await session.commit()
    assert version.status == "draft" and version.number == 1
    assert version.solver_status in ("optimal", "feasible")
    assert_checks(version)
    async with database.sessions() as session:
        loaded = await load_version(session, version.id)
    shifts = loaded.version.shifts
    assert len(shifts) == 41
    for tier, places in PLACES.items():
        assert sum(len(s.assignments) for s in shifts if s.tier == tier) == places
    for shift in shifts:
        assert [a.position for a in shift.assignments] == list(range(shift.required))

    async with database.sessions() as session:
        published = await publish(session, "2027-01", now=NOW, by="coordinator")
        await session.commit()
    assert (published.status, published.published_by) == ("published", "coordinator")
    devs = {p["id"]: p for p in version.solution["people"]}
    async with database.sessions() as session:
        rows = (await session.execute(select(Person.code, Balance).join(Person))).all()
        february = await build_problem(session, "2027-02", JERSEY)
    assert len(rows) == 38
    for code, balance in rows:
        assert balance.load == pytest.approx(devs[code]["dev"])
        assert balance.categories["weekend"] == pytest.approx(
            devs[code]["categories"]["weekend"]["dev"]
        )
    carried = {p["id"]: p["balance"] for p in february["people"]}
    for code, figures in devs.items():
        assert carried[code].get("load", 0.0) == pytest.approx(figures["dev"])

    with pytest.raises(RotaConflict, match="no draft"):
        async with database.sessions() as session:
            await publish(session, "2027-01", now=NOW, by="coordinator")


async def test_an_infeasible_month_is_stored_explained_and_never_published(
    database: Database,
) -> None:
    await demo(database)
    async with database.sessions() as session:
        managers = (await session.scalars(select(Person).where(Person.tier == "manager"))).all()
        for manager in managers:  # every manager on leave for the whole of January
            session.add(
                Unavailability(
                    person_id=manager.id, start=datetime(2026, 12, 20, tzinfo=UTC),
                    end=datetime(2027, 2, 10, tzinfo=UTC), reason="annual_leave", created_at=NOW,
                )
            )  # fmt: skip
        version = await generate(session, "2027-01", zone=JERSEY, now=NOW, time_limit_s=LIMIT)
        await session.commit()
    assert version.solver_status == "infeasible" and version.solution["explanation"]
    assert "manager" in version.solution["explanation"][0]["message"]
    async with database.sessions() as session:
        with pytest.raises(RotaConflict, match="infeasible"):
            await publish(session, "2027-01", 1, now=NOW, by="coordinator")


async def test_repair_moves_only_the_sick_persons_future_places(database: Database) -> None:
    await demo(database)
    first = await generate_and_publish(database)
    now = datetime(2027, 1, 10, 12, tzinfo=UTC)
    given = first.solution["assignments"]
    starts = {s["id"]: datetime.fromisoformat(s["start"]) for s in first.problem["shifts"]}
    # The worker with the most shifts still to come is off sick from now to the end of the month.
    future = [a for a in given if starts[a["shift"]] >= now and a["person"].startswith("sw")]
    sick = max({a["person"] for a in future}, key=lambda c: sum(a["person"] == c for a in future))
    affected = {a["shift"] for a in future if a["person"] == sick}
    async with database.sessions() as session:
        result = await repair(
            session, "2027-01", person_code=sick, start=now, end=datetime(2027, 2, 2, tzinfo=UTC),
            now=now, by="coordinator", zone=JERSEY, time_limit_s=LIMIT,
        )  # fmt: skip
        await session.commit()
    version = result.version
    assert version.parent_id == first.id and version.reason.startswith(f"repair: {sick}")
    assert version.status == "draft" and version.solution["objective"]["changes"] == 2 * len(
        affected
    )
    assert_checks(version)
    assert {m.shift for m in result.moves} == affected
    assert all(m.out == [sick] and len(m.into) == 1 for m in result.moves)
    async with database.sessions() as session:
        before = await load_version(session, first.id)
        after = await load_version(session, version.id)
        moves = await version_diff(session, "2027-01", 1, 2)
        recorded = await session.scalar(
            select(func.count()).select_from(Unavailability).where(Unavailability.start == now)
        )
    assert moves == result.moves and recorded == 1
    # Publishing the repair supersedes the first version and rewrites the month's balances.
    async with database.sessions() as session:
        await publish(session, "2027-01", now=now, by="coordinator")
        await session.commit()
        statuses = (
            await session.scalars(select(RotaVersion.status).order_by(RotaVersion.number))
        ).all()
        balances = {
            code: b.load
            for code, b in (await session.execute(select(Person.code, Balance).join(Person)))
        }
    assert list(statuses) == ["superseded", "published"]
    assert balances == {p["id"]: pytest.approx(p["dev"]) for p in version.solution["people"]}
    old, new = before.assignments(), after.assignments()
    newcomer = {m.shift: m.into[0] for m in result.moves}
    for key, start in starts.items():
        if start < now:
            assert new[key] == old[key]  # history stays put
        else:
            # The newcomer takes the sick person's place; whoever stays keeps theirs.
            assert new[key] == [newcomer[key] if c == sick else c for c in old[key]]


@pytest.mark.parametrize("short", [False, True], ids=["one-transaction", "short-transactions"])
async def test_repair_refuses_bad_input_naming_the_field(database: Database, short: bool) -> None:
    # The same errors whether the caller gives its session (the command line) or a session
    # factory (a web job), and nothing is recorded.
    await demo(database)
    async with database.sessions() as session:
        absences = await session.scalar(select(func.count()).select_from(Unavailability))
    start = datetime(2027, 1, 10, tzinfo=UTC)
    cases: list[tuple[dict[str, Any], type[Exception], str]] = [
        ({"person_code": "sw004"}, RotaConflict, r"^month: 2027-01 has no published rota"),
        ({"person_code": "zz999"}, RotaInvalid, r"^person: nobody has the code 'zz999'"),
        ({"person_code": "sw004", "end": start}, RotaInvalid, r"^end: "),
        ({"person_code": "sw004", "reason": "boredom"}, RotaInvalid, r"^reason: "),
    ]
    for overrides, error, message in cases:
        kwargs: dict[str, Any] = {"start": start, "end": start + timedelta(days=2)} | overrides
        async with database.sessions() as session:
            with pytest.raises(error, match=message):
                await repair(
                    database.sessions if short else session, "2027-01", now=start, by="c",
                    zone=JERSEY, time_limit_s=1, **kwargs,
                )  # fmt: skip
    async with database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Unavailability)) == absences


async def test_exports_and_a_repair_nobody_can_cover(sqlite_url: str) -> None:
    # Exports and this repair path use only what the tests above store on both databases.
    database = Database.connect(sqlite_url)
    await demo(database)
    version = await generate_and_publish(database)
    paris = ZoneInfo("Europe/Paris")  # an hour ahead of Jersey in winter: shows local times
    async with database.sessions() as session:
        csv_text = await export_csv(session, "2027-01", zone=paris)
        document = await export_json(session, "2027-01", zone=JERSEY)
        ics = await export_ics(session, "2027-01", zone=JERSEY)
        shifts = await session.scalar(select(func.count()).select_from(RotaShift))
    rows = csv_text.splitlines()
    assert rows[0].startswith("month,version,tier,shift,date,start,end")
    assert len(rows) == 1 + sum(PLACES.values())
    assert ",2027-01-04-w,2027-01-04,2027-01-04T18:00:00+01:00,2027-01-05T10:00:00+01:00,16,1," in (
        csv_text
    )
    assert document["solution"] == version.solution and len(document["shifts"]) == shifts == 41
    assert document["shifts"][0]["people"] and document["status"] == "published"

    assert ics.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and ics.endswith(
        "END:VCALENDAR\r\n"
    )
    lines = ics.split("\r\n")[:-1]
    assert all(len(line.encode()) <= 75 for line in lines)
    assert "\n" not in ics.replace("\r\n", "")
    unfolded = ics.replace("\r\n ", "")
    assert "DTSTART:20270104T170000Z\r\nDTEND:20270105T090000Z" in unfolded  # UTC, no TZID
    # Read back by the library, as a calendar app would.
    calendar = Calendar.from_ical(ics)
    assert str(calendar["X-WR-CALNAME"]) == "Out-of-hours rota 2027-01"
    events = calendar.walk("VEVENT")
    uids = [str(e["UID"]) for e in events]
    assert len(uids) == len(set(uids)) == sum(PLACES.values())
    assert unfolded.count("BEGIN:VEVENT") == unfolded.count("END:VEVENT") == len(uids)
    monday = next(s for s in document["shifts"] if s["id"] == "2027-01-04-w")
    [person] = monday["people"]
    event = next(e for e in events if e["UID"] == f"2027-01-04-w.{person['id']}@oncall.rota")
    assert event.decoded("DTSTART") == datetime(2027, 1, 4, 17, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2027, 1, 5, 9, tzinfo=UTC)
    assert str(event["SUMMARY"]) == f"On call, first tier: {person['name']}"
    assert str(event["DESCRIPTION"]) == (
        "Shift 2027-01-04-w, 1 of 1: Mon 04 Jan 17:00 to Tue 05 Jan 09:00 (Europe/Jersey)."
    )
    assert (event["STATUS"], event["SEQUENCE"]) == ("CONFIRMED", version.number)

    # When nobody can cover, the repair is stored as infeasible and nobody moves.
    block = next(a for a in version.solution["assignments"] if a["shift"] == "2027-01-18-m")
    leave_start, leave_end = datetime(2027, 1, 18, tzinfo=UTC), datetime(2027, 1, 23, tzinfo=UTC)
    async with database.sessions() as session:
        managers = (await session.scalars(select(Person).where(Person.tier == "manager"))).all()
        for manager in managers:  # every other manager is away that week
            if manager.code != block["person"]:
                session.add(
                    Unavailability(
                        person_id=manager.id, start=leave_start, end=leave_end,
                        reason="training", created_at=NOW,
                    )
                )  # fmt: skip
        result = await repair(
            session, "2027-01", person_code=block["person"], start=leave_start, end=leave_end,
            now=datetime(2027, 1, 10, tzinfo=UTC), by="c", zone=JERSEY, time_limit_s=LIMIT,
        )  # fmt: skip
        await session.commit()
        statuses = (
            await session.scalars(select(RotaVersion.status).order_by(RotaVersion.number))
        ).all()
    assert result.version.solver_status == "infeasible" and result.moves == []
    assert "manager" in result.version.solution["explanation"][0]["message"]
    assert list(statuses) == ["published", "draft"]
    await database.dispose()


def test_the_calendar_writer_folds_long_lines_and_escapes_text() -> None:
    start = datetime(2027, 3, 27, 17, tzinfo=UTC)  # the night the clocks go forward
    long_name = "Querée Egré, Le Maistre; Ozouf \\ " * 5
    event = ShiftEvent(
        "2027-03-27-w", "sw001", start, start + timedelta(hours=15),
        summary=f"On call, first tier: {long_name}", description="Shift 2027-03-27-w.",
        tentative=True, sequence=3,
    )  # fmt: skip
    ics = calendar_document(f"On call: {long_name}", [event], stamp=NOW, refresh=timedelta(hours=6))
    lines = ics.split("\r\n")
    assert lines[-1] == "" and all(len(line.encode()) <= 75 for line in lines)
    assert any(line.startswith(" ") for line in lines)  # the long ones were folded
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT6H" in lines and "X-PUBLISHED-TTL:PT6H" in lines
    calendar = Calendar.from_ical(ics)
    [read] = calendar.walk("VEVENT")
    assert str(read["SUMMARY"]) == f"On call, first tier: {long_name}"  # escaped, then unescaped
    assert read["UID"] == "2027-03-27-w.sw001@oncall.rota"
    assert (read["STATUS"], read["SEQUENCE"]) == ("TENTATIVE", 3)
    assert read.decoded("DTSTART") == start and read.decoded("DTSTAMP") == NOW
    # X-WR-CALNAME has no type the library knows, so the writer escapes it as TEXT itself.
    unfolded = ics.replace("\r\n ", "")
    assert "\r\nX-WR-CALNAME:On call: Querée Egré\\, Le Maistre\\; Ozouf \\\\ Q" in unfolded
