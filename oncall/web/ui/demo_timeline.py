"""Demo mode only: a call's timeline, linked from the phone simulator."""

from __future__ import annotations

from aiohttp import web

from oncall import keys
from oncall.domain.audit import timeline_for_call
from oncall.web.ui.render import render

routes = web.RouteTableDef()


@routes.get("/demo/calls/{sid}")
async def call_timeline(request: web.Request) -> web.Response:
    sid = request.match_info["sid"][:64]
    async with request.config_dict[keys.DATABASE].sessions() as session:
        timeline = await timeline_for_call(session, sid)
    if timeline is None:
        return render("demo_timeline.html", {"timeline": None, "sid": sid}, status=404)
    zone = request.config_dict[keys.SETTINGS].zone
    return render("demo_timeline.html", {"timeline": timeline, "zone": zone, "sid": sid})
