"""KPIs with charts, the printable monthly report, and the CSV exports of contacts and events."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from aiohttp import web

from oncall import keys
from oncall.db.models import Role
from oncall.domain.audit import (
    ChainStatus,
    KpiReport,
    contacts_csv,
    events_csv,
    events_csv_into,
    filter_query,
    kpi_report,
    month_bounds,
    outcome_counts,
    parse_filter,
)
from oncall.domain.outcomes import OUTCOME_LABELS
from oncall.domain.spreadsheet import FAILED_LINE
from oncall.log import get_logger
from oncall.web.auth import require
from oncall.web.ui.audit.chain import watched_chain_status
from oncall.web.ui.audit.charts import bar_chart, chart_specs
from oncall.web.ui.audit.common import logged_read, manager, now, page_context
from oncall.web.ui.audit.pdf import ReportPdf, report_pdf
from oncall.web.ui.common import download
from oncall.web.ui.render import render

log = get_logger(__name__)

routes = web.RouteTableDef()


def _day(request: web.Request, name: str) -> date | None:
    raw = request.query.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise web.HTTPBadRequest(reason=f"{name}: not a date (YYYY-MM-DD)") from None


def _period(request: web.Request) -> tuple[date, date]:
    """Local dates [from, to] inclusive; this month so far when not given."""
    today = now(request).astimezone(request.config_dict[keys.SETTINGS].zone).date()
    first = _day(request, "from") or today.replace(day=1)
    last = _day(request, "to") or today
    if last < first:
        raise web.HTTPBadRequest(reason="to: is before from")
    if (last - first).days > 400:
        raise web.HTTPBadRequest(reason="to: a period is at most 400 days")
    return first, last


def _bounds(request: web.Request, first: date, last: date) -> tuple[datetime, datetime]:
    zone = request.config_dict[keys.SETTINGS].zone
    return datetime.combine(first, time(0), zone), datetime.combine(
        last + timedelta(days=1), time(0), zone
    )


def charts(report: KpiReport) -> list[Any]:
    return [bar_chart(c.title, c.labels, c.series, unit=c.unit) for c in chart_specs(report)]


@routes.get("/audit/kpis")
@require(Role.MANAGER, Role.ADMIN)
async def kpis_page(request: web.Request) -> web.Response:
    first, last = _period(request)
    start, end = _bounds(request, first, last)
    settings = request.config_dict[keys.SETTINGS]
    async with request.config_dict[keys.DATABASE].sessions() as session:
        report = await kpi_report(
            session, start=start, end=end, zone=settings.zone, night_boundary=settings.handover_at
        )
        status = await watched_chain_status(request, session)
        await logged_read(request, session, "KPIs", query={"from": str(first), "to": str(last)})
    return render(
        "audit/kpis.html",
        page_context(
            request, report=report, first=first, last=last, status=status, charts=charts(report)
        ),
    )


@dataclass(frozen=True, slots=True)
class _Month:
    key: str  # "2027-01"
    start: datetime
    report: KpiReport
    outcomes: dict[str, int]
    status: ChainStatus


async def _month(request: web.Request, what: str) -> _Month:
    """The month asked for (this month by default), its figures, and the read logged as `what`."""
    settings = request.config_dict[keys.SETTINGS]
    month = request.query.get("month", "").strip() or now(request).astimezone(
        settings.zone
    ).strftime("%Y-%m")
    try:
        start, end = month_bounds(month, settings.zone)
    except ValueError:
        raise web.HTTPBadRequest(reason="month: expected YYYY-MM") from None
    async with request.config_dict[keys.DATABASE].sessions() as session:
        report = await kpi_report(
            session, start=start, end=end, zone=settings.zone, night_boundary=settings.handover_at
        )
        outcomes = await outcome_counts(session, start=start, end=end)
        status = await watched_chain_status(request, session)
        await logged_read(request, session, what, query={"month": month})
    return _Month(month, start, report, outcomes, status)


@routes.get("/audit/report")
@require(Role.MANAGER, Role.ADMIN)
async def monthly_report(request: web.Request) -> web.StreamResponse:
    if request.query.get("format", "html") == "pdf":
        return await monthly_report_pdf(request)
    m = await _month(request, "monthly report")
    return render(
        "audit/report.html",
        page_context(
            request, report=m.report, month=m.start.strftime("%B %Y"), month_key=m.key,
            outcomes=m.outcomes, labels=OUTCOME_LABELS, status=m.status, charts=charts(m.report),
        ),
    )  # fmt: skip


@routes.get("/audit/report.pdf")
@require(Role.MANAGER, Role.ADMIN)
async def monthly_report_pdf(request: web.Request) -> web.Response:
    """The same report as a PDF file (also /audit/report?format=pdf); its read is logged too."""
    m = await _month(request, "monthly report (PDF)")
    zone = request.config_dict[keys.SETTINGS].zone
    content = ReportPdf(
        month=m.start.strftime("%B %Y"), prepared_at=now(request).astimezone(zone),
        prepared_by=manager(request).display_name, report=m.report, outcomes=m.outcomes,
        charts=chart_specs(m.report), chain=m.status, zone=zone,
    )  # fmt: skip
    # Drawing is pure-Python CPU work: in a worker process, off the loop and its GIL.
    body = await request.config_dict[keys.CPU_WORKERS].run(report_pdf, content)
    return download(body, f"oncall-report-{m.key}.pdf", "application/pdf")


_CSV_HEADERS = {"Content-Type": "text/csv; charset=utf-8", "Cache-Control": "no-store"}


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


async def _stream_csv(
    request: web.Request, filename: str, chunks: AsyncIterator[str]
) -> web.StreamResponse:
    response = web.StreamResponse(headers=_CSV_HEADERS | _attachment(filename))
    await response.prepare(request)
    try:
        async for chunk in chunks:
            await response.write(chunk.encode("utf-8"))
    except (ConnectionResetError, asyncio.CancelledError):
        raise  # the browser went away: nobody is left to tell
    except Exception:
        # The status line has gone: the file itself must say it is incomplete, never just stop.
        log.exception("CSV export failed part way", file=filename)
        await response.write(FAILED_LINE.encode("utf-8"))
    await response.write_eof()
    return response


@routes.get("/audit/export/contacts.csv")
@require(Role.MANAGER, Role.ADMIN)
async def export_contacts(request: web.Request) -> web.StreamResponse:
    f = parse_filter(request.query)  # a FilterError is a 400 (the middleware)
    zone = request.config_dict[keys.SETTINGS].zone
    db = request.config_dict[keys.DATABASE]
    async with db.sessions() as session:
        await logged_read(request, session, "contacts export (CSV)", query=filter_query(f))
    async with db.sessions() as session:
        return await _stream_csv(request, "contacts.csv", contacts_csv(session, f, zone=zone))


@routes.get("/audit/export/events.csv")
@require(Role.MANAGER, Role.ADMIN)
async def export_events(request: web.Request) -> web.StreamResponse:
    first, last = _period(request)
    start, end = _bounds(request, first, last)
    zone = request.config_dict[keys.SETTINGS].zone
    db = request.config_dict[keys.DATABASE]
    query = {"from": str(first), "to": str(last)}
    async with db.sessions() as session:
        await logged_read(request, session, "events export (CSV)", query=query)
    filename = f"events-{first}-{last}.csv"
    workers, url = (
        request.config_dict.get(keys.CPU_WORKERS),
        request.config_dict[keys.SETTINGS].database_url,
    )
    if workers is None or ":memory:" in url:  # (an in-memory database is this process's)
        async with db.sessions() as session:
            return await _stream_csv(
                request, filename, events_csv(session, start=start, end=end, zone=zone)
            )
    return await _stream_from_worker(
        request, filename,
        lambda out: workers.run(events_csv_into, out, url, start, end, zone.key),
    )  # fmt: skip


async def _stream_from_worker(
    request: web.Request, filename: str, produce: Callable[[Any], Awaitable[None]]
) -> web.StreamResponse:
    """A CSV made in a worker process and sent through a pipe, passed on as it comes: the loop
    copies bytes, nothing more (docs/routing.md, "Isolation")."""
    reader, writer = multiprocessing.Pipe(duplex=False)
    producing = asyncio.ensure_future(produce(writer))
    producing.add_done_callback(_worker_ended)
    response = web.StreamResponse(headers=_CSV_HEADERS | _attachment(filename))
    await response.prepare(request)
    try:
        first = asyncio.ensure_future(asyncio.to_thread(reader.recv_bytes))
        await asyncio.wait({first, producing}, return_when=asyncio.FIRST_COMPLETED)
        # The worker holds its own copy of the writing end now (it sent), or it has finished:
        # with ours closed, its end is the last, and its closing is the reader's end of file.
        writer.close()
        chunk: bytes | None = await first
        while chunk is not None:
            await response.write(chunk)
            chunk = await asyncio.to_thread(_next_chunk, reader)
        await producing  # the worker's own failure, if it failed part way
    except (ConnectionResetError, asyncio.CancelledError):
        raise  # the browser went away: nobody is left to tell
    except Exception:
        log.exception("CSV export failed part way", file=filename)
        await response.write(FAILED_LINE.encode("utf-8"))
    finally:
        writer.close()
        reader.close()
    await response.write_eof()
    return response


def _next_chunk(reader: Any) -> bytes | None:
    try:
        return bytes(reader.recv_bytes())
    except EOFError:
        return None


def _worker_ended(producing: asyncio.Future[None]) -> None:
    if not producing.cancelled() and producing.exception() is not None:
        log.warning("CSV export's worker ended with an error", error=str(producing.exception()))
