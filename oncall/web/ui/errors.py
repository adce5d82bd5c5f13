"""Refusals and missing pages as proper pages for people (with the menu), not bare text.

API, webhook and demo-simulator paths keep their own error formats; only browsers asking for
HTML get these pages.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from oncall.web.ui.common import page

_OTHERS = ("/api/", "/twilio/", "/fake/", "/static/", "/calendar.ics")
_TITLES = {403: "Not allowed", 404: "Not found", 405: "Not allowed here"}


@web.middleware
async def html_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        wants_html = "text/html" in request.headers.get("Accept", "")
        if exc.status not in _TITLES or request.path.startswith(_OTHERS) or not wants_html:
            raise
        return page(
            request,
            "error.html",
            {"status": exc.status, "title": _TITLES[exc.status], "reason": exc.reason},
            status=exc.status,
        )
