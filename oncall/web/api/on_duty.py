"""GET /api/v1/on-duty?at=ISO-TIME: who is on duty per line and tier at that time."""

from __future__ import annotations

from aiohttp import web

from oncall import keys
from oncall.db.models import Role
from oncall.domain.duty import on_duty_at, ringing_order, service_window
from oncall.domain.overview import service_overview
from oncall.web.api.params import instant, no_repeats
from oncall.web.auth import require

routes = web.RouteTableDef()


@routes.get("/api/v1/on-duty")
@require(Role.ADMIN, Role.COORDINATOR, Role.MANAGER)
async def on_duty(request: web.Request) -> web.Response:
    no_repeats(request)
    at = instant(request, "at") or request.config_dict[keys.CLOCK].now()
    zone = request.config_dict[keys.SETTINGS].zone
    async with request.config_dict[keys.DATABASE].sessions() as session:
        duty = await on_duty_at(session, at)
        window = await service_window(session)
        overview = await service_overview(session)

    def person(p: object) -> dict[str, object]:
        return {k: getattr(p, k) for k in ("code", "name", "phone", "source")}

    return web.json_response(
        {
            "at": at.isoformat(),
            "local_time": at.astimezone(zone).isoformat(),
            "out_of_hours": window.contains(at, zone),
            "tiers": {
                "worker": [person(p) for p in duty.workers],
                "manager": [person(p) for p in duty.managers],
            },
            "lines": [
                {
                    "name": line.name,
                    "number": line.number,
                    "ringing_order": [
                        {"code": t.code, "name": t.name, "role": t.role}
                        for t in ringing_order(line.routing_policy, duty)
                    ],
                }
                for line in overview.lines
            ],
        }
    )
