"""A record id in a page's URL beyond what the database can hold is a missing page, not a 500."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

# Primary keys are INTEGER columns: 32-bit signed on PostgreSQL. A larger id cannot name a record,
# and handed to the database it fails the query (PostgreSQL) or the driver (SQLite past 64 bits).
MAX_ID = 2**31 - 1
ID_NAMES = frozenset({"id", "contact_id", "number"})


@web.middleware
async def ids_in_range(request: web.Request, handler: Handler) -> web.StreamResponse:
    """404 for a URL id past MAX_ID. The JSON API checks its own parameters (400 naming them)."""
    if not request.path.startswith("/api/"):
        for name in ID_NAMES & request.match_info.keys():
            value = request.match_info[name]
            if value.isascii() and value.isdigit() and int(value) > MAX_ID:
                raise web.HTTPNotFound(reason=f"no such record ({name} {value[:24]})")
    return await handler(request)
