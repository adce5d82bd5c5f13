"""KPI page, monthly report and CSV exports over the known night, through the running service."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from oncall.db.models import Contact, Event
from oncall.domain.audit_log.exports import safe_cell
from tests.audit.conftest import Client
from tests.audit.night import write_night
from tests.e2e.conftest import Service


def test_cells_that_a_spreadsheet_would_run_are_quoted() -> None:
    cells = ("=1+1", "+44", "-2", "@SUM(A1)", "\tx", "plain", None, True)
    assert [safe_cell(v) for v in cells] == [
        "'=1+1", "'+44", "'-2", "'@SUM(A1)", "'\tx", "plain", "", "yes",
    ]  # fmt: skip


async def test_kpis_report_and_exports(service: Service, manager: Client) -> None:
    async with service.database.sessions() as session:
        ids = await write_night(session)
        contact = await session.get(Contact, ids[3])
        assert contact is not None
        contact.outcome_notes = '=HYPERLINK("http://evil")'
        await session.commit()
    kpis = await manager.get("/audit/kpis?from=2027-01-08&to=2027-01-09")
    assert kpis.status == 200
    html = await kpis.text()
    assert html.count("<svg") == 3
    assert 'data-row="police"' in html and 'data-row="sw002"' in html
    report = await manager.get("/audit/report?month=2027-01")
    assert report.status == 200
    text = await report.text()
    assert "January 2027" in text and "@media print" not in text  # print CSS lives in audit.css
    assert (await manager.get("/audit/report?month=2027-13")).status == 400
    export = await manager.get(
        "/audit/export/contacts.csv?from=2027-01-08&to=2027-01-09&line=hospital"
    )
    assert export.status == 200
    assert export.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(await export.text())))
    assert [r["reference"] for r in rows] == ["OOH-2027-00003", "OOH-2027-00005"]
    assert rows[0]["outcome_notes"].startswith("'=")
    assert rows[0]["answer_seconds"] == "90"
    events = await manager.get("/audit/export/events.csv?from=2027-01-08&to=2027-01-09")
    assert events.status == 200
    lines = list(csv.DictReader(io.StringIO(await events.text())))
    async with service.database.sessions() as session:
        reads = list(
            await session.scalars(
                select(Event).where(Event.kind == "audit.read").order_by(Event.seq)
            )
        )
    assert [r.details["what"] for r in reads] == [
        "KPIs", "monthly report", "contacts export (CSV)", "events export (CSV)",
    ]  # fmt: skip
    # The events export holds the reads logged before it in the period (the clock is 8 Jan).
    assert [row["kind"] for row in lines] == ["audit.read"] * 4
