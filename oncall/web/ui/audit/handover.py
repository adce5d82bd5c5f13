"""The morning handover page and CSV (the periodic runner prepares and e-mails it daily)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import TypeVar

from aiohttp import web

from oncall import keys
from oncall.db.models import Role
from oncall.domain.audit import Handover, gather_handover, handover_csv, latest_handover_day
from oncall.log import get_logger
from oncall.web.auth import require
from oncall.web.ui.audit.common import logged_read, now, page_context
from oncall.web.ui.common import download
from oncall.web.ui.render import render

log = get_logger(__name__)
routes = web.RouteTableDef()
T = TypeVar("T")


def handover_day(request: web.Request) -> date:
    """The morning asked for (`?date=`), else the latest handover's (the missing pack's too)."""
    settings = request.config_dict[keys.SETTINGS]
    raw = request.query.get("date", "").strip()
    if not raw:
        return latest_handover_day(now(request), settings.zone, settings.handover_at)
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise web.HTTPBadRequest(reason="date: not a date (YYYY-MM-DD)") from None


async def of_the_morning(request: web.Request, what: str, gather: Callable[..., Awaitable[T]]) -> T:
    """The morning asked for, as `gather(session, day=, zone=, boundary=)` makes it (the
    handover, the missing meeting pack), with the read logged as `what`."""
    settings = request.config_dict[keys.SETTINGS]
    day = handover_day(request)
    async with request.config_dict[keys.DATABASE].sessions() as session:
        made = await gather(session, day=day, zone=settings.zone, boundary=settings.handover_at)
        await logged_read(request, session, what, query={"date": str(day)})
    return made


async def _gather(request: web.Request, what: str) -> Handover:
    return await of_the_morning(request, what, gather_handover)


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
    zone = request.config_dict[keys.SETTINGS].zone
    return download(handover_csv(handover, zone), f"handover-{handover.day}.csv", "text/csv")
