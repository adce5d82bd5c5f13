"""`oncall demo load` lays down past nights: contacts, alerts, outcomes, a chain that holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from oncall.db.engine import Database
from oncall.db.models import Alert, AlertStatus, Contact, OutboundMessage
from oncall.domain.audit import kpi_report
from oncall.domain.chain import verify_chain
from oncall.sim.history import history_nights, lay_down_history
from tests.support import JERSEY, load_demo_data

NOW = datetime(2027, 1, 20, 12, 0, tzinfo=UTC)


def test_the_history_ends_with_last_night() -> None:
    nights = history_nights(NOW, JERSEY, weeks=2)
    assert len(nights) == 14 and nights[-1] == NOW.date() - timedelta(days=1)
    early = NOW.replace(hour=7)  # before the handover, last night is not over yet
    assert history_nights(early, JERSEY, weeks=1)[-1] == early.date() - timedelta(days=2)


async def test_two_weeks_of_history_show_in_the_kpis(database: Database) -> None:
    await load_demo_data(database)
    summary = await lay_down_history(database, now=NOW, zone=JERSEY, weeks=2)
    assert summary.nights == 14 and summary.calls == summary.answered + summary.missed
    assert summary.calls > 30 and summary.missed > 0
    async with database.sessions() as session:
        start = NOW - timedelta(days=15)
        report = await kpi_report(session, start=start, end=NOW, zone=JERSEY)
        assert report.total.calls == summary.calls
        assert report.total.answered == summary.answered
        assert len(report.by_night) == 14
        # Every missed call's alert was owned and closed; nobody is texted about the past.
        open_alerts = await session.scalar(
            select(func.count()).select_from(Alert).where(Alert.status == AlertStatus.OPEN)
        )
        assert open_alerts == 0
        assert await session.scalar(select(func.count()).select_from(OutboundMessage)) == 0
        assert (
            await session.scalar(
                select(func.count()).select_from(Contact).where(Contact.received_at >= NOW)
            )
            == 0
        )
        assert (await verify_chain(session)).ok
