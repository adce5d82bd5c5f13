"""Refusals and missing pages as proper pages for people (with the menu), not bare text.

API, webhook and demo-simulator paths keep their own error formats; only browsers asking for
HTML get these pages.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from oncall.domain.errors import DomainError
from oncall.web.fetch_metadata import OpenedFromAnotherSite
from oncall.web.middleware import http_refusal
from oncall.web.ui.common import page

_OTHERS = ("/api/", "/twilio/", "/fake/", "/static/", "/calendar.ics")
_TITLES = {403: "Not allowed", 404: "Not found", 405: "Not allowed here"}


@web.middleware
async def html_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A refusal (an HTTP error, or a domain error no handler turned into a notice) as a page."""
    if request.path.startswith(_OTHERS):
        return await handler(request)
    try:
        return await handler(request)
    except DomainError as exc:
        return _error_page(request, http_refusal(exc))
    except web.HTTPException as exc:
        return _error_page(request, exc)


def _error_page(request: web.Request, exc: web.HTTPException) -> web.Response:
    if exc.status not in _TITLES or "text/html" not in request.headers.get("Accept", ""):
        raise exc
    return page(
        request,
        "error.html",
        {
            "status": exc.status,
            "title": _TITLES[exc.status],
            "reason": exc.reason,
            # a link on this site to the page another site sent the user to: theirs to follow
            "open_here": request.path_qs if isinstance(exc, OpenedFromAnotherSite) else None,
        },
        status=exc.status,
    )
