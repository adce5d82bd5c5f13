"""GET /api/v1/openapi.json: the OpenAPI 3 description of this API, kept beside the handlers."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from aiohttp import web

routes = web.RouteTableDef()

DESCRIPTION = Path(__file__).with_name("openapi.json")


@cache
def description() -> dict[str, Any]:
    """The description as data (read once; tests compare it with the routes the app registers)."""
    loaded: dict[str, Any] = json.loads(DESCRIPTION.read_text(encoding="utf-8"))
    return loaded


@routes.get("/api/v1/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    """Public: the description holds no data, only the shape of the API."""
    return web.json_response(description())
