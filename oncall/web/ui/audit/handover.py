"""The morning handover page and CSV (the periodic runner prepares and e-mails it daily)."""

from __future__ import annotations

from datetime import date, timedelta

from aiohttp import web

from oncall import keys
from oncall.db.models import Role
from oncall.domain.audit import Handover, gather_handover, handover_csv, latest_handover_day
from oncall.log import get_logger
from oncall.web.auth import require
from oncall.web.ui.audit.common import logged_read, now, page_context
from oncall.web.ui.render import render

log = get_logger(__name__)
routes = web.RouteTableDef()


def _day(request: web.Request) -> date:
    settings = request.config_dict[keys.SETTINGS]
    raw = request.query.get("date", "").strip()
    if not raw:
        return latest_handover_day(now(request), settings.zone, settings.handover_at)
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise web.HTTPBadRequest(reason="date: not a date (YYYY-MM-DD)") from None


async def _gather(request: web.Request, what: str) -> Handover:
    settings = request.config_dict[keys.SETTINGS]
    day = _day(request)
    async with request.config_dict[keys.DATABASE].sessions() as session:
        handover = await gather_handover(
            session, day=day, zone=settings.zone, boundary=settings.handover_at
        )
        await logged_read(request, session, what, query={"date": str(day)})
    return handover


@routes.get("/audit/handover")
@require(Role.MANAGER, Role.ADMIN)
async def handover_page(request: web.Request) -> web.Response:
    handover = await _gather(request, "handover")
    return render(
        "audit/handover.html",
        page_context(
            request, h=handover, previous=handover.day - timedelta(days=1),
            following=handover.day + timedelta(days=1),
        ),
    )  # fmt: skip


@routes.get("/audit/handover.csv")
@require(Role.MANAGER, Role.ADMIN)
async def handover_download(request: web.Request) -> web.Response:
    handover = await _gather(request, "handover export (CSV)")
    return web.Response(
        text=handover_csv(handover, request.config_dict[keys.SETTINGS].zone),
        content_type="text/csv",
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="handover-{handover.day}.csv"',
            "Cache-Control": "no-store",
        },
    )
