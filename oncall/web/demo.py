"""Demo mode only: the service clock the phone simulator reads, sets and speeds up."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from oncall import keys
from oncall.clock import OffsetClock

routes = web.RouteTableDef()


@routes.get("/demo/clock")
async def show_clock(request: web.Request) -> web.Response:
    clock = request.config_dict[keys.CLOCK]
    speed = clock.speed if isinstance(clock, OffsetClock) else 1.0
    return web.json_response({"now": clock.now().isoformat(), "speed": speed})


@routes.post("/demo/clock")
async def set_clock(request: web.Request) -> web.Response:
    """Demo only: {"at": ISO time with offset (optional), "speed": 0.1-3600 (optional)}."""
    clock = request.config_dict[keys.CLOCK]
    if not isinstance(clock, OffsetClock):
        raise web.HTTPConflict(text="this server's clock cannot be set")
    if request.content_type != "application/json":  # a cross-site form cannot send JSON
        raise web.HTTPUnsupportedMediaType(text="send application/json")
    try:
        body = await request.json()
        at = datetime.fromisoformat(body["at"]) if body.get("at") else clock.now()
        speed = float(body["speed"]) if body.get("speed") is not None else None
        clock.set(at, speed=speed)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise web.HTTPBadRequest(text=f"expected at (ISO time with offset), speed: {exc}") from None
    return web.json_response({"now": clock.now().isoformat(), "speed": clock.speed})
