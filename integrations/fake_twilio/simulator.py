"""The phone simulator page and its control endpoints (demo mode only: they need no credentials)."""

from __future__ import annotations

from importlib import resources
from typing import Any

import jinja2
from aiohttp import web

from integrations.fake_twilio.directory import Directory, DirectoryProvider, TimelineUrl
from integrations.fake_twilio.fake import FakeTwilio
from integrations.fake_twilio.phones import CallerScript, PhoneBehaviour
from integrations.fake_twilio.rest_api import FAKE_KEY
from integrations.fake_twilio.state import MessageRecord, is_e164

DIRECTORY_KEY: web.AppKey[DirectoryProvider] = web.AppKey("fake_twilio_directory")
TIMELINE_KEY: web.AppKey[TimelineUrl] = web.AppKey("fake_twilio_timeline")
TEMPLATES_KEY = web.AppKey("fake_twilio_templates", jinja2.Environment)
CLOCK_URL_KEY = web.AppKey("fake_twilio_clock_url", str)
BEHAVIOURS = [b.value for b in PhoneBehaviour]
MAX_CALLS_SHOWN = 20


def _no_timeline(_call_sid: str) -> str | None:
    return None


def add_simulator(
    app: web.Application,
    *,
    directory: DirectoryProvider,
    timeline_url: TimelineUrl | None = None,
    clock_url: str = "",
) -> None:
    """Serve the simulator page at the app's root and its endpoints under `sim/`.

    `clock_url`, if given, is the service's own JSON endpoint that shows (GET) and sets (POST
    {"at", "speed"}) its clock: the page then offers to jump to a time or run the clock fast.
    """
    app[DIRECTORY_KEY] = directory
    app[CLOCK_URL_KEY] = clock_url
    app[TIMELINE_KEY] = timeline_url or _no_timeline
    app[TEMPLATES_KEY] = jinja2.Environment(
        loader=jinja2.PackageLoader("integrations.fake_twilio", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    app.router.add_get("/", page, name="sim-page")
    app.router.add_get("/sim/live", live, name="sim-live")
    app.router.add_get("/sim/state", state, name="sim-state")
    app.router.add_get("/sim/calls/{sid}", call_trace, name="sim-call")
    app.router.add_post("/sim/call", place_call, name="sim-place-call")
    app.router.add_post("/sim/phones", set_behaviour, name="sim-phones")
    app.router.add_post("/sim/sms", send_sms, name="sim-sms")
    static = resources.files("integrations.fake_twilio") / "static"
    app.router.add_static("/static/", str(static), name="sim-static")


def _url(request: web.Request, name: str) -> str:
    # Resolved through the router so the page works wherever the fake app is mounted.
    return str(request.app.router[name].url_for())


async def _context(request: web.Request) -> dict[str, Any]:
    fake = request.app[FAKE_KEY]
    directory: Directory = await request.app[DIRECTORY_KEY]()
    timeline = request.app[TIMELINE_KEY]
    phones = [
        {
            "label": label,
            "number": number,
            "behaviour": fake.phones.script_for(number).behaviour.value,
            "inbox": [_message(m, directory) for m in reversed(fake.inbox(number))],
            "reply_to": (reply_to := _reply_to(fake.inbox(number), directory)),
            "reply_options": _reply_options(reply_to, directory),
        }
        for label, number in directory.phones
    ]
    traces = list(reversed(fake.traces.values()))[:MAX_CALLS_SHOWN]
    calls = [
        {
            **trace.as_json(),
            "from_label": directory.label_for(trace.from_),
            "to_label": directory.label_for(trace.to),
            "timeline_url": timeline(trace.call_sid),
        }
        for trace in traces
    ]
    return {
        "directory": directory,
        "phones": phones,
        "calls": calls,
        "behaviours": BEHAVIOURS,
        "default_behaviour": fake.phones.default.behaviour.value,
        "urls": {
            name: _url(request, f"sim-{name}")
            for name in ("page", "live", "state", "place-call", "phones", "sms")
        },
        "static": str(request.app.router["sim-static"].url_for(filename="x"))[: -len("/x")],
        "clock_url": request.app[CLOCK_URL_KEY],
    }


def _message(message: MessageRecord, directory: Directory) -> dict[str, str]:
    return {
        "from": message.from_,
        "from_label": directory.label_for(message.from_),
        "body": message.body,
        "at": message.created.strftime("%H:%M:%S"),
    }


def _reply_to(inbox: list[MessageRecord], directory: Directory) -> str:
    # Staff reply to the number that texted them; with an empty inbox, to the first line.
    if inbox:
        return inbox[-1].from_
    return directory.lines[0][1] if directory.lines else ""


def _reply_options(reply_to: str, directory: Directory) -> list[tuple[str, str]]:
    options = list(directory.lines)
    if reply_to and reply_to not in [number for _label, number in options]:
        options.insert(0, (directory.label_for(reply_to), reply_to))
    return options


def _render(request: web.Request, template: str, context: dict[str, Any]) -> web.Response:
    html = request.app[TEMPLATES_KEY].get_template(template).render(**context)
    return web.Response(text=html, content_type="text/html")


async def page(request: web.Request) -> web.Response:
    """The simulator page."""
    return _render(request, "simulator.html", await _context(request))


async def live(request: web.Request) -> web.Response:
    """The inboxes and call log as an HTML fragment, for the page to refresh itself."""
    return _render(request, "live.html", await _context(request))


async def state(request: web.Request) -> web.Response:
    """Phones, inboxes and recent calls as JSON."""
    context = await _context(request)
    return web.json_response({"phones": context["phones"], "calls": context["calls"]})


async def call_trace(request: web.Request) -> web.Response:
    """One call's full trace as JSON."""
    trace = request.app[FAKE_KEY].traces.get(request.match_info["sid"])
    if trace is None:
        raise web.HTTPNotFound(text="no such call")
    return web.json_response(trace.as_json())


def _check_origin(request: web.Request) -> None:
    # The endpoints need no credentials, so refuse posts that other pages start: another origin,
    # or "null" (a sandboxed frame or a data: URL on any site sends that).
    origin = request.headers.get("Origin")
    if origin is not None and (origin == "null" or origin.split("://", 1)[-1] != request.host):
        raise web.HTTPForbidden(text="cross-origin request refused")


def _done(request: web.Request, payload: dict[str, Any]) -> web.Response:
    if "application/json" in request.headers.get("Accept", ""):
        return web.json_response(payload)
    # A plain form post (no JavaScript): go back to the page.
    raise web.HTTPSeeOther(_url(request, "sim-page"))


def _bad(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=message)


def _int(value: str, name: str) -> int | None:
    if not value.strip():
        return None
    try:
        return max(0, int(value))
    except ValueError as exc:
        raise _bad(f"{name} must be a whole number") from exc


async def place_call(request: web.Request) -> web.Response:
    """Ring one of our lines from a chosen caller identity, in the background."""
    _check_origin(request)
    fake: FakeTwilio = request.app[FAKE_KEY]
    form = await request.post()
    from_, to = str(form.get("from", "")), str(form.get("to", ""))
    if not is_e164(from_) or to not in fake.numbers:
        raise _bad("choose a caller and one of our lines")
    digits = tuple(d.strip() for d in str(form.get("digits", "")).split(",") if d.strip())
    script = CallerScript(
        digits=digits,
        hang_up_during_dial=_int(str(form.get("hang_up_during_dial", "")), "hang-up dial"),
        voicemail_s=_int(str(form.get("voicemail_s", "")), "voicemail seconds") or 0,
    )
    try:
        trace = fake.start_inbound_call(from_=from_, to=to, caller=script)
    except LookupError as exc:
        raise _bad(str(exc)) from exc
    return _done(request, {"call_sid": trace.call_sid})


async def set_behaviour(request: web.Request) -> web.Response:
    """Script a staff phone (or, with number "default", every unscripted phone)."""
    _check_origin(request)
    fake: FakeTwilio = request.app[FAKE_KEY]
    form = await request.post()
    number, behaviour = str(form.get("number", "")), str(form.get("behaviour", ""))
    if behaviour not in BEHAVIOURS:
        raise _bad(f"behaviour must be one of {', '.join(BEHAVIOURS)}")
    if number == "default":
        fake.phones.set_default(behaviour)
    elif is_e164(number):
        fake.phones.set(number, behaviour)
    else:
        raise _bad("number must be E.164 or 'default'")
    return _done(request, {"number": number, "behaviour": behaviour})


async def send_sms(request: web.Request) -> web.Response:
    """A staff phone texts one of our numbers (e.g. a reply "ACK 0412")."""
    _check_origin(request)
    fake: FakeTwilio = request.app[FAKE_KEY]
    form = await request.post()
    from_, to = str(form.get("from", "")), str(form.get("to", ""))
    body = str(form.get("body", "")).strip()
    if not is_e164(from_) or not body:
        raise _bad("a phone number and a message are required")
    try:
        replies = await fake.send_inbound_sms(from_=from_, to=to, body=body)
    except LookupError as exc:
        raise _bad(str(exc)) from exc
    return _done(request, {"replies": [m.body for m in replies]})
