"""KPIs with charts, the printable monthly report, and the CSV exports of contacts and events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta
from typing import Any

from aiohttp import web

from oncall import keys
from oncall.db.models import Role
from oncall.domain.audit_log.contacts import FilterError, filter_query, parse_filter
from oncall.domain.audit_log.exports import contacts_csv, events_csv
from oncall.domain.audit_log.kpis import KpiReport, kpi_report, month_bounds
from oncall.domain.audit_log.outcomes import OUTCOME_LABELS
from oncall.domain.audit_log.reads import chain_status, log_read
from oncall.domain.audit_log.report import outcome_counts
from oncall.web.auth import require
from oncall.web.ui.audit_charts import Series, bar_chart
from oncall.web.ui.audit_common import logged_read, manager, now, page_context
from oncall.web.ui.render import render

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
    nights = list(report.by_night)
    labels = [n.strftime("%d %b") for n in nights]
    rows = [report.by_night[n] for n in nights]
    lines = list(report.by_line)
    return [
        bar_chart(
            "Calls per night: answered and missed",
            labels,
            [
                Series("answered", [r.answered for r in rows]),
                Series("missed", [r.missed for r in rows]),
            ],
        ),
        bar_chart(
            "Time to answer per night (seconds)",
            labels,
            [
                Series("p50", [r.answer_p50 for r in rows]),
                Series("p90", [r.answer_p90 for r in rows]),
            ],
            unit=" s",
        ),
        bar_chart(
            "Answered within 30 s and 60 s by line (% of calls)",
            lines,
            [
                Series(
                    "within 30 s",
                    [report.by_line[k].rate(report.by_line[k].answered_30s) for k in lines],
                ),
                Series(
                    "within 60 s",
                    [report.by_line[k].rate(report.by_line[k].answered_60s) for k in lines],
                ),
            ],
            unit="%",
        ),
    ]


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
        status = await chain_status(session)
        await logged_read(request, session, "KPIs", query={"from": str(first), "to": str(last)})
    return render(
        "audit/kpis.html",
        page_context(
            request, report=report, first=first, last=last, status=status, charts=charts(report)
        ),
    )


@routes.get("/audit/report")
@require(Role.MANAGER, Role.ADMIN)
async def monthly_report(request: web.Request) -> web.Response:
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
        status = await chain_status(session)
        await logged_read(request, session, "monthly report", query={"month": month})
    return render(
        "audit/report.html",
        page_context(
            request, report=report, month=start.strftime("%B %Y"), month_key=month,
            outcomes=outcomes, labels=OUTCOME_LABELS, status=status, charts=charts(report),
        ),
    )  # fmt: skip


async def _stream_csv(
    request: web.Request, filename: str, chunks: AsyncIterator[str]
) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        }
    )
    await response.prepare(request)
    async for chunk in chunks:
        await response.write(chunk.encode("utf-8"))
    await response.write_eof()
    return response


@routes.get("/audit/export/contacts.csv")
@require(Role.MANAGER, Role.ADMIN)
async def export_contacts(request: web.Request) -> web.StreamResponse:
    try:
        f = parse_filter(request.query)
    except FilterError as exc:
        raise web.HTTPBadRequest(reason=str(exc)) from None
    zone = request.config_dict[keys.SETTINGS].zone
    db = request.config_dict[keys.DATABASE]
    async with db.sessions() as session:
        await log_read(
            session, username=manager(request).username, what="contacts export (CSV)",
            at=now(request), query=filter_query(f),
        )  # fmt: skip
        await session.commit()
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
        await log_read(
            session, username=manager(request).username, what="events export (CSV)",
            at=now(request), query=query,
        )  # fmt: skip
        await session.commit()
    async with db.sessions() as session:
        return await _stream_csv(
            request, f"events-{first}-{last}.csv",
            events_csv(session, start=start, end=end, zone=zone),
        )  # fmt: skip
