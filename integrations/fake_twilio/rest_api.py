"""Twilio's REST API for Messages and Calls, with Basic auth, Twilio-shaped errors and faults."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

from aiohttp import web

from integrations.fake_twilio.fake import FakeTwilio
from integrations.fake_twilio.faults import Fault
from integrations.fake_twilio.listing import BadTime, filter_query, within
from integrations.fake_twilio.state import API_VERSION, is_e164

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
FAKE_KEY = web.AppKey("fake_twilio", FakeTwilio)
ACCOUNT = f"/{API_VERSION}/Accounts/{{account_sid}}"
MAX_BODY_CHARS = 1600
T = TypeVar("T")


class TwilioError(Exception):
    """An error to answer the way Twilio does: JSON with code, message, more_info, status."""

    def __init__(
        self, status: int, code: int, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def response(self) -> web.Response:
        """The HTTP answer."""
        body = {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }
        return web.json_response(body, status=self.status, headers=self.headers)


def _check_auth(request: web.Request, fake: FakeTwilio) -> None:
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    try:
        user, _, password = base64.b64decode(encoded).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        user = password = ""
    if scheme.lower() != "basic" or (user, password) != (fake.account_sid, fake.auth_token):
        raise TwilioError(401, 20003, "Authentication Error - invalid username")
    if request.match_info["account_sid"] != fake.account_sid:
        raise TwilioError(403, 20003, "Authentication Error - account does not match")


async def _apply_faults(request: web.Request, fake: FakeTwilio, resource: str) -> Fault | None:
    """Raise the armed fault's error; a lost-response fault is returned, to apply after."""
    fault = fake.faults.take(resource)
    if fault is None or fault.kind == "lost-response":
        return fault
    if fault.kind == "hang":
        await fake.faults.hang(fault)
        raise TwilioError(503, 20503, "Service Unavailable")
    if fault.kind == "rate-limit":
        raise TwilioError(
            429, 20429, "Too Many Requests", headers={"Retry-After": str(fault.retry_after_s)}
        )
    raise TwilioError(fault.status, 20500, "Internal Server Error")


async def _lose_response(fake: FakeTwilio, fault: Fault, response: web.Response) -> None:
    """The request was carried out; hold the answer until the client has given up on it."""
    if not fault.callbacks and isinstance(response.body, bytes):
        # Before any await: the delivery task has not sent its first callback yet.
        fake.faults.silent.add(str(json.loads(response.body).get("sid", "")))
    await fake.faults.hang(fault)


def _guarded(resource: str, handler: Handler) -> Handler:
    async def guarded(request: web.Request) -> web.StreamResponse:
        fake = request.app[FAKE_KEY]
        try:
            _check_auth(request, fake)
            fault = await _apply_faults(request, fake, resource)
            response = await handler(request)
            if fault is not None and isinstance(response, web.Response):
                await _lose_response(fake, fault, response)
            return response
        except TwilioError as error:
            return error.response()

    return guarded


def _field(form: Mapping[str, object], name: str) -> str:
    return str(form.get(name, "")).strip()


def _require(form: Mapping[str, object], name: str, code: int, message: str) -> str:
    value = _field(form, name)
    if not value:
        raise TwilioError(400, code, message)
    return value


async def create_message(request: web.Request) -> web.Response:
    """POST Messages.json: To, From, Body, StatusCallback."""
    fake = request.app[FAKE_KEY]
    fields = await request.post()
    to = _require(fields, "To", 21604, "A 'To' phone number is required.")
    from_ = _require(fields, "From", 21603, "A 'From' phone number is required.")
    body = _require(fields, "Body", 21602, "Message body is required.")
    if not is_e164(to):
        raise TwilioError(400, 21211, f"The 'To' number {to} is not a valid phone number.")
    if from_ not in fake.numbers:
        raise TwilioError(
            400, 21606, f"The From phone number {from_} is not a valid, SMS-capable number."
        )
    if len(body) > MAX_BODY_CHARS:
        raise TwilioError(400, 21617, "The concatenated message body exceeds 1600 characters.")
    message = fake.create_message(
        to=to, from_=from_, body=body, status_callback=_field(fields, "StatusCallback") or None
    )
    return web.json_response(message.resource(), status=201)


async def create_call(request: web.Request) -> web.Response:
    """POST Calls.json: To, From, Url, StatusCallback, StatusCallbackEvent, Timeout."""
    fake = request.app[FAKE_KEY]
    form = await request.post()
    to = _field(form, "To")
    from_ = _field(form, "From")
    url = _field(form, "Url")
    if not to:
        raise TwilioError(400, 21201, "No 'To' number is specified.")
    if not from_:
        raise TwilioError(400, 21213, "No 'From' number is specified.")
    if not url:
        raise TwilioError(400, 21205, "Url parameter is required.")
    if not is_e164(to):
        raise TwilioError(400, 21211, f"The 'To' number {to} is not a valid phone number.")
    if from_ not in fake.numbers:
        raise TwilioError(400, 21210, f"The source phone number {from_} is not verified.")
    try:
        timeout_s = int(_field(form, "Timeout") or "60")
    except ValueError as exc:
        raise TwilioError(400, 21207, "Timeout must be a number of seconds.") from exc
    subscribed = form.getall("StatusCallbackEvent", [])
    events = [str(e) for value in subscribed for e in str(value).split()]
    call = fake.create_call(
        to=to,
        from_=from_,
        url=url,
        status_callback=_field(form, "StatusCallback") or None,
        status_events=events,
        timeout_s=timeout_s,
    )
    return web.json_response(call.resource(), status=201)


def _page(request: web.Request, key: str, records: list[dict[str, Any]]) -> web.Response:
    """One page of a list resource, shaped like Twilio's (newest first)."""
    try:
        size = max(1, min(1000, int(request.query.get("PageSize", "50"))))
        page = max(0, int(request.query.get("Page", "0")))
    except ValueError as exc:
        raise TwilioError(400, 20001, "Invalid paging parameters") from exc
    base = f"/{API_VERSION}/Accounts/{request.match_info['account_sid']}/{key.title()}.json"
    start = page * size
    chunk = records[start : start + size]

    filters = "".join(f"&{quote(k)}={quote(v)}" for k, v in filter_query(request.query).items())

    def uri(n: int) -> str:
        return f"{base}?PageSize={size}&Page={n}&PageToken=PA{n}{filters}"

    return web.json_response(
        {
            key: chunk,
            "end": start + max(len(chunk) - 1, 0),
            "first_page_uri": f"{base}?PageSize={size}&Page=0{filters}",
            "next_page_uri": uri(page + 1) if start + size < len(records) else None,
            "previous_page_uri": uri(page - 1) if page > 0 else None,
            "page": page,
            "page_size": size,
            "start": start,
            "uri": uri(page),
        }
    )


async def list_messages(request: web.Request) -> web.Response:
    """GET Messages.json."""
    fake = request.app[FAKE_KEY]
    to = request.query.get("To")
    records = [m for m in reversed(fake.messages.values()) if to in (None, m.to)]
    found = [m.resource() for m in _within(request, records, "DateSent", lambda m: m.created)]
    return _page(request, "messages", found)


async def list_calls(request: web.Request) -> web.Response:
    """GET Calls.json, optionally filtered by To and ParentCallSid (a call's Dial legs)."""
    fake = request.app[FAKE_KEY]
    to, parent = request.query.get("To"), request.query.get("ParentCallSid")
    records = [
        c
        for c in reversed(fake.calls.values())
        if to in (None, c.to) and parent in (None, c.parent_sid)
    ]
    found = [c.resource() for c in _within(request, records, "StartTime", lambda c: c.created)]
    return _page(request, "calls", found)


def _within(
    request: web.Request, records: list[T], field: str, when: Callable[[T], datetime]
) -> list[T]:
    try:
        return within(records, request.query, field, when)
    except BadTime as exc:
        raise TwilioError(400, 20001, f"Invalid {field}: {exc}") from exc


async def fetch_message(request: web.Request) -> web.Response:
    """GET Messages/{Sid}.json."""
    message = request.app[FAKE_KEY].messages.get(request.match_info["sid"])
    if message is None:
        raise TwilioError(404, 20404, "The requested resource was not found")
    return web.json_response(message.resource())


async def fetch_call(request: web.Request) -> web.Response:
    """GET Calls/{Sid}.json."""
    call = request.app[FAKE_KEY].calls.get(request.match_info["sid"])
    if call is None:
        raise TwilioError(404, 20404, "The requested resource was not found")
    return web.json_response(call.resource())


def add_rest_routes(app: web.Application) -> None:
    """Mount the REST API on `app` (whose FAKE_KEY holds the fake)."""
    app.router.add_post(f"{ACCOUNT}/Messages.json", _guarded("Messages", create_message))
    app.router.add_get(f"{ACCOUNT}/Messages.json", _guarded("Messages", list_messages))
    app.router.add_get(f"{ACCOUNT}/Messages/{{sid}}.json", _guarded("Messages", fetch_message))
    app.router.add_post(f"{ACCOUNT}/Calls.json", _guarded("Calls", create_call))
    app.router.add_get(f"{ACCOUNT}/Calls.json", _guarded("Calls", list_calls))
    app.router.add_get(f"{ACCOUNT}/Calls/{{sid}}.json", _guarded("Calls", fetch_call))
