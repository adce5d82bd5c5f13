"""Every request's input checked once, before any handler reads it: a 400 naming the field.

The body must be UTF-8 (no other charset, no undecodable bytes, no percent-escape that decodes to
something other than UTF-8); a multipart body must say its boundary; no text anywhere (path,
query, form) may hold NUL or another control character; path ids are ASCII digits within their
column; query and form fields named for a date, a month or an id must be one, dates within the
one range of oncall/domain/inputs.py; names refuse text-direction overrides; lengths are capped.

Handlers may then parse with int() and date.fromisoformat() and meet only what the rules let
through. The domain applies the same rules (oncall.domain.inputs) where it parses on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from aiohttp.typedefs import Handler
from multidict import MultiDictProxy

from oncall.domain.errors import Invalid
from oncall.domain.inputs import (
    MAX_BIG_ID,
    MAX_ID,
    check_month,
    check_name,
    check_text,
    parse_count,
    parse_day,
    parse_id,
    parse_moment,
)

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Path parameters that are record ids (INTEGER columns) and months.
PATH_IDS = frozenset({"id", "contact_id", "number"})
PATH_MONTHS = frozenset({"month"})
MAX_PATH_PARAM = 200
MAX_QUERY_VALUE = 2_000
MAX_FORM_VALUE = 20_000


def _day_or_moment(field: str, raw: str) -> object:
    return parse_day(field, raw) if len(raw) <= 10 else parse_moment(field, raw)


# Query and form fields by name: what each must be when it is given (empty is left to the
# handler). Pages only: the JSON API checks its own parameters (oncall/web/api/params.py).
_TYPED: dict[str, Callable[[str, str], object]] = {
    **{name: parse_id for name in ("line_id", "caller_id", "household_id", "a", "b")},
    "before": lambda field, raw: parse_id(field, raw, maximum=MAX_BIG_ID),
    "page": parse_count,
    **{name: _day_or_moment for name in ("from", "to", "date")},
    **{name: parse_moment for name in ("on", "reported_at", "returned_at")},
    "month": check_month,
}  # fmt: skip
# Fields holding a person's or a record's name: no direction overrides.
NAME_FIELDS = frozenset({"name", "carer_names", "job_title", "label", "display_name"})
# Twilio's webhooks judge their own input: a caller's leg must always be answered with TwiML
# (the fail-safe), never a bare 400 (tests/reliability/test_webhook_fuzz.py).
_WEBHOOKS = "/twilio/"
# The demo's fake Twilio: only what would break storage is refused (NUL, bad bytes), the fields
# being Twilio's to define.
_RAW_PREFIXES = ("/fake/",)
_API = "/api/"


def shown(name: str) -> str:
    """A field name fit for an error (it travels in the HTTP status line): ASCII, short."""
    if name.isascii() and name.isprintable() and len(name) <= 40:
        return name
    return "a field with an unreadable name"


def _refuse(name: str, problem: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(reason=f"{shown(name)}: {problem}")


def _check_field(name: str, value: str, *, limit: int, typed: bool, raw_only: bool) -> None:
    try:
        check_text(shown(name), name, limit=200)
    except Invalid:
        raise _refuse(name, "not a field name") from None
    if raw_only:
        if "\x00" in value:
            raise _refuse(name, "contains a NUL character")
        return
    try:
        check_text(name, value, limit=limit)
        if name in NAME_FIELDS:
            check_name(name, value, limit=limit)
        parse = _TYPED.get(name) if typed else None
        if parse is not None and value.strip():
            parse(name, value.strip())
    except Invalid as exc:
        raise _refuse(name, exc.errors.get(name, str(exc))) from None


def check_path(request: web.Request) -> None:
    """Path parameters: clean text, ids ASCII digits within INTEGER, months YYYY-MM in range."""
    for name, value in request.match_info.items():
        try:
            check_text(name, value, limit=MAX_PATH_PARAM)
            if name in PATH_IDS:
                parse_id(name, value, maximum=MAX_ID)
            elif name in PATH_MONTHS and not request.path.startswith(_RAW_PREFIXES):
                check_month(name, value)
        except Invalid as exc:
            raise _refuse(name, exc.errors.get(name, str(exc))) from None


def check_query(request: web.Request) -> None:
    raw_only = request.path.startswith(_RAW_PREFIXES)
    typed = not raw_only and not request.path.startswith(_API)
    for name, value in request.query.items():
        _check_field(name, value, limit=MAX_QUERY_VALUE, typed=typed, raw_only=raw_only)


async def check_body(request: web.Request) -> None:
    """The body's encoding, then (for a form) every field."""
    if request.method in ("GET", "HEAD", "OPTIONS") or not request.body_exists:
        return
    charset = (request.charset or "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise _refuse("body", "the charset must be UTF-8")
    content_type = request.content_type
    if content_type == "multipart/form-data":
        if "boundary=" not in request.headers.get("Content-Type", "").lower():
            raise _refuse("body", "a multipart form without its boundary")
    elif content_type == "application/x-www-form-urlencoded" or content_type.endswith("json"):
        data = await request.read()
        try:
            text = data.decode("utf-8")
            if content_type != "application/json":
                parse_qsl(text, keep_blank_values=True, errors="strict")
        except (UnicodeDecodeError, ValueError):
            raise _refuse("body", "not UTF-8") from None
    if content_type not in FORM_TYPES:
        return
    try:
        form = await request.post()
    except web.HTTPException:
        raise  # the body is too large: aiohttp's own 413
    except (ValueError, AssertionError, LookupError, UnicodeDecodeError):
        raise _refuse("body", "not a readable form") from None
    _check_form(request, form)


def _check_form(request: web.Request, form: MultiDictProxy[Any]) -> None:
    raw_only = request.path.startswith(_RAW_PREFIXES)
    typed = not raw_only and not request.path.startswith(_API)
    for name, value in form.items():
        if isinstance(value, str):
            _check_field(name, value, limit=MAX_FORM_VALUE, typed=typed, raw_only=raw_only)
        elif isinstance(value, web.FileField):
            _check_field(name, "", limit=0, typed=False, raw_only=raw_only)


@web.middleware
async def validated_input(request: web.Request, handler: Handler) -> web.StreamResponse:
    """400 naming the field for input no handler should ever see (see the module's docstring)."""
    if request.path.startswith(_WEBHOOKS):
        return await handler(request)
    if request.match_info.http_exception is None:
        check_path(request)
    check_query(request)
    await check_body(request)
    return await handler(request)
