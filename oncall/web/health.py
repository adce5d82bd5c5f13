"""Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the database answers)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from oncall import keys
from oncall.db.engine import DatabaseUnavailable

routes = web.RouteTableDef()

READY_SECONDS = 1.0  # a database that hangs is not ready: say so within this


@routes.get("/healthz")
async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    try:
        async with asyncio.timeout(READY_SECONDS):
            await request.app[keys.DATABASE].ping()
    except TimeoutError:
        reason = f"no answer within {READY_SECONDS:g} s"
        return web.json_response({"status": "unavailable", "database": reason}, status=503)
    except DatabaseUnavailable as exc:
        return web.json_response({"status": "unavailable", "database": str(exc)}, status=503)
    return web.json_response({"status": "ready", "database": "ok"})
