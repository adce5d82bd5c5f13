"""KPIs against figures worked out by hand from the known night in tests/audit/night.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from oncall.db.engine import Database
from oncall.domain.audit import (
    Figures,
    kpi_report,
    latest_handover_day,
    next_handover_at,
    night_of,
    night_window,
    percentile,
)
from tests.audit.night import at, write_night
from tests.support import JERSEY, load_demo_data


def test_percentiles_are_nearest_rank() -> None:
    assert percentile([], 50) is None
    assert percentile([10, 20, 30, 45, 90], 50) == 30  # rank ceil(2.5) = 3
    assert percentile([10, 20, 30, 45, 90], 90) == 90  # rank ceil(4.5) = 5
    assert percentile([120, 600], 50) == 120  # rank 1
    assert percentile([7], 90) == 7


async def test_kpis_match_the_hand_computed_night(database: Database) -> None:
    await load_demo_data(database)
    async with database.sessions() as session:
        await write_night(session)
        await session.commit()
        report = await kpi_report(session, start=at(8, 0, 0), end=at(10, 0, 0), zone=JERSEY)
    # Contact 8 was forwarded to the day desk: outside every figure.
    assert report.forwarded == 1
    # Answer waits 20, 45, 90, 10, 30 s; rows 4 and 5 missed; alerts on 4, 5, 9 (acked 120, 600 s).
    assert report.total == Figures(
        contacts=8, calls=7, answered=5, answered_30s=3, answered_60s=4,
        answer_p50=30, answer_p90=90, missed=2, escalations=3, alerts=3, acknowledged=2,
        ack_p50=120, ack_p90=600, without_outcome=4,
    )  # fmt: skip
    assert report.by_line["police"] == Figures(
        contacts=4, calls=4, answered=4, answered_30s=3, answered_60s=4,
        answer_p50=20, answer_p90=45, without_outcome=2,
    )  # fmt: skip
    hospital = report.by_line["hospital"]
    assert (hospital.calls, hospital.answered, hospital.missed, hospital.escalations) == (
        2,
        1,
        1,
        1,
    )
    assert (hospital.answer_p50, hospital.ack_p50, hospital.without_outcome) == (90, 600, 0)
    foster = report.by_agency["foster_carer"]
    assert (foster.contacts, foster.calls, foster.missed, foster.escalations) == (2, 1, 1, 2)
    assert (foster.alerts, foster.acknowledged, foster.ack_p50) == (2, 1, 120)
    # The night runs 09:00 to 09:00: row 6 at 08:59:59 on Saturday belongs to Friday night.
    friday, saturday = report.by_night.values()
    assert list(report.by_night) == [at(8, 0, 0).date(), at(9, 0, 0).date()]
    assert (friday.contacts, friday.calls, friday.answered_30s, friday.missed) == (6, 6, 2, 2)
    assert (friday.answer_p50, friday.answer_p90, friday.without_outcome) == (20, 90, 3)
    assert (saturday.contacts, saturday.calls, saturday.answered_30s) == (2, 1, 1)
    assert (saturday.escalations, saturday.without_outcome) == (1, 1)
    # Workers: calls they handled, alerts they acknowledged.
    sw002, sw004, sm002 = (report.by_worker[c] for c in ("sw002", "sw004", "sm002"))
    assert (sw002.calls, sw002.answered_30s, sw002.answer_p50, sw002.ack_p50) == (3, 2, 30, 120)
    assert (sw004.calls, sw004.answer_p50, sw004.answer_p90, sw004.without_outcome) == (
        2, 10, 45, 2,
    )  # fmt: skip
    assert (sm002.contacts, sm002.alerts, sm002.ack_p50) == (0, 1, 600)


def test_nights_and_handovers_follow_local_time_across_dst() -> None:
    nine = time(9, 0)
    # Clocks go forward at 01:00 UTC on Sunday 28 March 2027: that night is 23 hours long.
    start, end = night_window(date(2027, 3, 28), JERSEY, nine)
    assert (start.astimezone(UTC), end.astimezone(UTC)) == (
        datetime(2027, 3, 27, 9, 0, tzinfo=UTC), datetime(2027, 3, 28, 8, 0, tzinfo=UTC),
    )  # fmt: skip
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=23)
    # ... and back at 01:00 UTC on Sunday 31 October 2027: 25 hours.
    start, end = night_window(date(2027, 10, 31), JERSEY, nine)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=25)
    assert night_of(datetime(2027, 3, 28, 7, 30, tzinfo=UTC), JERSEY, nine) == date(2027, 3, 27)
    assert night_of(datetime(2027, 3, 28, 8, 30, tzinfo=UTC), JERSEY, nine) == date(2027, 3, 28)
    due = next_handover_at(datetime(2027, 3, 27, 10, 0, tzinfo=UTC), JERSEY, nine)
    assert due.astimezone(UTC) == datetime(2027, 3, 28, 8, 0, tzinfo=UTC)
    assert latest_handover_day(datetime(2027, 3, 28, 7, 59, tzinfo=UTC), JERSEY, nine) == date(
        2027, 3, 27
    )
