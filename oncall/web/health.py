"""Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the database answers)."""

from __future__ import annotations

from aiohttp import web

from oncall import keys
from oncall.db.engine import DatabaseUnavailable

routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    try:
        await request.app[keys.DATABASE].ping()
    except DatabaseUnavailable as exc:
        return web.json_response({"status": "unavailable", "database": str(exc)}, status=503)
    return web.json_response({"status": "ready", "database": "ok"})
