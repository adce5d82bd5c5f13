"""The senior leaders' figures for 4-17 January 2027, against figures worked out by hand from the
table below (local time is UTC in January). SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from oncall.db.engine import Database
from oncall.domain.missing import (
    dashboard,
    dashboard_csv,
    default_period,
    open_episode,
    record_interview,
    record_return,
    withdraw_episode,
)
from tests.missing.support import RULES, WEB, jan, local
from tests.support import JERSEY, load_demo_data

NOW = jan(18, 12, 0)  # Monday 18 January


@dataclass(frozen=True)
class Row:
    case: str
    risk: str
    reported: datetime
    acted_after: int  # minutes: the episode recorded (no contact, so the first action)
    back: datetime | None = None
    interview: tuple[str, datetime] | None = None


ROWS = [
    # E1: 180 min missing, acted after 30; due Thu 7 23:00, offered Wed 6: in time
    Row("JY-000001", "high", jan(4, 20, 0), 30, jan(4, 23, 0), ("offered", jan(6, 10, 0))),
    # E2: 480 min, acted after 10; due Sun 10 06:00, offered Mon 11: late
    Row("JY-000002", "medium", jan(6, 22, 0), 10, jan(7, 6, 0), ("offered", jan(11, 9, 0))),
    # E3: 60 min, acted after 45; due Tue 12 02:00, never offered: counted, not in time
    Row("JY-000003", "low", jan(9, 1, 0), 45, jan(9, 2, 0)),
    # E4: 1440 min, acted after 5; due Sat 16 21:00, completed Fri 15: in time
    Row("JY-000004", "high", jan(12, 21, 0), 5, jan(13, 21, 0), ("completed", jan(15, 14, 0))),
    # E5: 1800 min, acted after 20; due Wed 20 05:00, after NOW: not counted
    Row("JY-000005", "medium", jan(15, 23, 0), 20, jan(17, 5, 0)),
    # E6: still missing, acted after 2; a repeat of its December episode (27 days before)
    Row("JY-000006", "low", jan(16, 20, 0), 2),
    # E7: 180 min, acted after 30; declined Sat 16 before its due Sun 17 22:00: in time; a
    # repeat of E1 (10 days before)
    Row("JY-000001", "medium", jan(14, 19, 0), 30, jan(14, 22, 0), ("declined", jan(16, 12, 0))),
]
BEFORE_THE_PERIOD = [
    Row("JY-000006", "low", local(2026, 12, 20, 21, 0), 5, local(2026, 12, 21, 3, 0)),
    Row("JY-000008", "high", local(2026, 12, 30, 21, 0), 5),  # still missing: open now
]


async def _write(database: Database) -> None:
    async with database.sessions() as session:
        for row in sorted([*ROWS, *BEFORE_THE_PERIOD], key=lambda r: r.reported):
            acted = row.reported + timedelta(minutes=row.acted_after)
            opened = await open_episode(
                session, RULES, case_reference=row.case, risk=row.risk, by=WEB, at=acted,
                reported_at=row.reported,
            )  # fmt: skip
            if row.back is not None:
                await record_return(
                    session, RULES, opened.episode, returned_at=row.back, by=WEB, at=row.back
                )
            if row.interview is not None:
                step, on = row.interview
                await record_interview(session, opened.episode.id, step=step, on=on, by=WEB, at=on)
        withdrawn = await open_episode(
            session, RULES, case_reference="JY-000009", risk="high", by=WEB, at=jan(10, 20, 0)
        )
        await withdraw_episode(
            session, withdrawn.episode.id, reason="test", by=WEB, at=jan(10, 21, 0)
        )
        await session.commit()


async def test_the_figures_equal_the_hand_computed_ones(database: Database) -> None:
    await load_demo_data(database)
    await _write(database)
    async with database.sessions() as session:
        d = await dashboard(
            session, first=date(2027, 1, 4), last=date(2027, 1, 17), now=NOW, zone=JERSEY
        )
    assert d.weeks == [(date(2027, 1, 4), 3), (date(2027, 1, 11), 4)]  # E1-E3; E4-E7
    assert d.episodes == 7  # the withdrawn one left out
    assert d.open_now == 2  # E6, and the one missing since 30 December
    assert d.returned == 6
    # Minutes missing, sorted: 60, 180, 180, 480, 1440, 1800: the nearest-rank median is the 3rd.
    assert d.median_missing == timedelta(minutes=180)
    # Minutes to the first action, sorted: 2, 5, 10, 20, 30, 30, 45: the 4th.
    assert d.median_first_action == timedelta(minutes=20)
    # Counted: E1, E2, E3 (due passed), E4, E7; in time: E1, E4, E7.
    assert (d.interviews_counted, d.interviews_in_time) == (5, 3)
    assert d.in_time_percent == 60.0
    assert (d.repeat_episodes, d.repeat_cases) == (2, 2)  # E6 and E7
    assert d.by_risk == {"high": 2, "low": 2, "medium": 3}
    # The charts' weeks. Week of 4 Jan: E1-E3, missing 60/180/480 min (median 180), first action
    # 10/30/45 (30). Week of 11 Jan: E4-E7, missing 180/1440/1800 (1440; E6 still missing),
    # first action 2/5/20/30 (5).
    weeks = [(w.monday, w.by_risk, w.median_missing, w.median_first_action) for w in d.week_rows]
    minutes = [timedelta(minutes=m) for m in (180, 30, 1440, 5)]
    assert weeks == [
        (date(2027, 1, 4), {"high": 1, "medium": 1, "low": 1}, minutes[0], minutes[1]),
        (date(2027, 1, 11), {"high": 1, "medium": 2, "low": 1}, minutes[2], minutes[3]),
    ]
    figures = dict(row for row in csv.reader(io.StringIO(dashboard_csv(d, JERSEY))))
    assert figures["median_minutes_missing"] == "180"
    assert figures["median_minutes_to_first_action"] == "20"
    assert figures["interviews_offered_in_time_percent"] == "60.0"
    assert figures["week_of_2027-01-11"] == "4"
    assert (figures["period_from"], figures["period_to"]) == ("2027-01-04", "2027-01-17")


async def test_an_empty_period_has_no_medians_and_no_percentage(database: Database) -> None:
    async with database.sessions() as session:
        d = await dashboard(
            session, first=date(2027, 1, 4), last=date(2027, 1, 10), now=NOW, zone=JERSEY
        )
    assert (d.episodes, d.median_missing, d.median_first_action, d.in_time_percent) == (
        0, None, None, None,
    )  # fmt: skip
    assert d.weeks == [(date(2027, 1, 4), 0)]


def test_the_default_period_is_the_last_twelve_weeks_to_today() -> None:
    # this week (from Monday 18 January) and the eleven before it
    assert default_period(NOW, JERSEY) == (date(2026, 11, 2), date(2027, 1, 18))
