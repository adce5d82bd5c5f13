"""The start page."""

from __future__ import annotations

from aiohttp import web

from oncall import keys
from oncall.domain.overview import service_overview
from oncall.web.ui.common import page

routes = web.RouteTableDef()


@routes.get("/")
async def start_page(request: web.Request) -> web.Response:
    settings = request.app[keys.SETTINGS]
    async with request.app[keys.DATABASE].sessions() as session:
        overview = await service_overview(session)
    return page(request, "index.html", {"overview": overview, "demo": settings.telephony == "fake"})
