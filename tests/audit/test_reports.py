"""KPI page, monthly report and CSV exports over the known night, through the running service."""

from __future__ import annotations

import csv
import html as html_lib
import io
import re

from pypdf import PdfReader
from sqlalchemy import select

from oncall.db.models import Contact, Event
from oncall.domain.audit import safe_cell
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
    # The events export holds the reads logged before it in the period (the clock is 8 Jan), and
    # the verification the first page started in the background (the chain was never verified).
    kinds = [row["kind"] for row in lines]
    assert [k for k in kinds if k != "audit.verified"] == ["audit.read"] * 4
    assert kinds.count("audit.verified") <= 1


def _words(text: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", text)).replace("—", "-").split())


async def test_the_monthly_report_as_pdf_holds_the_figures_the_page_shows(
    service: Service, manager: Client
) -> None:
    async with service.database.sessions() as session:
        await write_night(session)
        await session.commit()
    page = await (await manager.get("/audit/report?month=2027-01")).text()
    answer = await manager.get("/audit/report.pdf?month=2027-01")
    assert answer.status == 200 and answer.content_type == "application/pdf"
    assert 'filename="oncall-report-2027-01.pdf"' in answer.headers["Content-Disposition"]
    pdf = PdfReader(io.BytesIO(await answer.read()))
    assert pdf.metadata is not None and pdf.metadata.title == "Out-of-hours response: January 2027"
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in pdf.pages)
    # The summary, and every row of every figures table, as the HTML page shows them.
    summary = re.search(r"<h2>Summary</h2>\s*<ul>(.*?)</ul>", page, re.S)
    assert summary is not None
    for item in re.findall(r"<li>(.*?)</li>", summary[1], re.S):
        assert _words(item) in text, _words(item)
    rows = re.findall(r'<tr data-row="([^"]+)">(.*?)</tr>', page, re.S)
    assert {"police", "hospital", "foster", "sw002", "sw004"} <= {key for key, _ in rows}
    for _key, cells in rows:
        shown = _words(cells.replace("≤", "<="))
        assert shown in text, shown
    # Outcomes as on the page, and the hand figures of the known night (see test_kpis.py).
    assert "advice given 2" in text and "referred to day team 1" in text
    assert "8 contacts, 7 calls; 3 (43%) answered within 30 s, 4 (57%) within 60 s" in text
    assert "median time to acknowledge an alert 120 s (p90 600 s)" in text
    assert "police 4 4 3 (75%) 4 (100%) 20 s 45 s 0 0 - - 2" in text
    # The read is logged like the HTML one; ?format=pdf is the same file.
    same = await manager.get("/audit/report?month=2027-01&format=pdf")
    assert same.content_type == "application/pdf"
    async with service.database.sessions() as session:
        whats = list(
            await session.scalars(
                select(Event.details).where(Event.kind == "audit.read").order_by(Event.seq)
            )
        )
    assert [d["what"] for d in whats] == [
        "monthly report", "monthly report (PDF)", "monthly report (PDF)",
    ]  # fmt: skip
