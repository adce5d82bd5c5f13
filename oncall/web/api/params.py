"""Query and path parameters of the JSON API, each refused with a 400 that names it."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from oncall.domain.inputs import FIRST_YEAR, LAST_YEAR, MAX_ID

# The one range of dates every form, filter and import takes (oncall/domain/inputs.py).
EARLIEST = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)
LATEST = datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC)


def whole(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    """A whole number from the query string, `default` when absent."""
    raw = request.query.get(name, "")
    try:
        value = int(raw) if raw else default
    except ValueError:
        raise web.HTTPBadRequest(reason=f"{name}: not a whole number") from None
    if not low <= value <= high:
        raise web.HTTPBadRequest(reason=f"{name}: must be from {low} to {high}")
    return value


def record_id(raw: str, name: str) -> int:
    """A database id (1 to 2**31-1) written in ASCII digits."""
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_ID:
        raise web.HTTPBadRequest(reason=f"{name}: not an id (a whole number from 1)")
    return int(raw)


def instant(request: web.Request, name: str) -> datetime | None:
    """An ISO 8601 time with a UTC offset within the one range of years, or None when absent."""
    raw = request.query.get(name, "").strip()
    if not raw:
        return None
    try:
        at = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise web.HTTPBadRequest(reason=f"{name}: not an ISO 8601 time") from None
    if at.tzinfo is None:
        raise web.HTTPBadRequest(
            reason=f"{name}: needs a UTC offset, e.g. 2027-01-08T23:00:00+00:00"
        )
    try:
        in_range = EARLIEST <= at < LATEST
    except OverflowError:  # an offset that pushes it past year 1 or 9999
        in_range = False
    if not in_range:
        raise web.HTTPBadRequest(reason=f"{name}: must be from {FIRST_YEAR} to {LAST_YEAR}")
    return at


def no_repeats(request: web.Request) -> None:
    """Refuse a parameter given twice (which one was meant is a guess the API does not make) or
    holding a control character (PostgreSQL refuses NUL in text, and no filter needs one)."""
    for name in request.query:
        values = request.query.getall(name)
        if len(values) > 1:
            raise web.HTTPBadRequest(reason=f"{shown(name)}: given more than once")
        if not str(values[0]).isprintable():
            raise web.HTTPBadRequest(reason=f"{shown(name)}: contains a control character")


def shown(name: str) -> str:
    """A parameter name fit for an error (it travels in the HTTP status line): ASCII, short."""
    if name.isascii() and name.isprintable() and len(name) <= 40:
        return name
    return ascii(name[:40])
