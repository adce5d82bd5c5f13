"""Editing one shift by hand: choose a replacement, see the hard rules it breaks, then save."""

from __future__ import annotations

from aiohttp import web

from oncall import keys
from oncall.domain.rota import (
    Replacement,
    RotaInvalid,
    candidates,
    check_replacement,
    find_version,
    load_version,
    save_replacement,
)
from oncall.web.auth import require
from oncall.web.ui.common import EDITORS, field, page, redirect, signed_in
from oncall.web.ui.forms import refusal_notice, unit_of_work
from oncall.web.ui.rota.pages import month_of, number_of

routes = web.RouteTableDef()


def _base(request: web.Request) -> str:
    return f"/rota/{request.match_info['month']}/v/{request.match_info['number']}"


@routes.get("/rota/{month}/v/{number}/shift/{key}")
@require(*EDITORS)
async def shift_page(request: web.Request) -> web.Response:
    month, number, key = month_of(request), number_of(request), request.match_info["key"][:40]
    out = request.query.get("out", "")[:32]
    zone = request.config_dict[keys.SETTINGS].zone
    now = request.config_dict[keys.CLOCK].now()
    with refusal_notice(_base(request)):
        async with request.config_dict[keys.DATABASE].sessions() as session:
            found = await candidates(session, month, number, key, out, now=now)
            loaded = await load_version(session, (await find_version(session, month, number)).id)
    shift = next(s for s in loaded.version.shifts if s.key == key)
    crew = loaded.crew(shift)
    if out not in {p.code for p in crew}:
        raise redirect(_base(request), f"person: {out or 'nobody'} is not on shift {key}")
    return page(
        request,
        "rota/shift.html",
        {
            "month": month,
            "number": number,
            "shift": shift,
            "start": shift.start.astimezone(zone),
            "end": shift.end.astimezone(zone),
            "crew": crew,
            "out": out,
            "candidates": found,
            "base": _base(request),
        },
    )


def _replacement(request: web.Request, form: object) -> Replacement:
    key = request.match_info["key"][:40]
    out, into = field(form, "out", 32), field(form, "into", 32)
    if not into:
        raise RotaInvalid("replacement", "choose who takes the shift")
    return Replacement(key, out, into)


@routes.post("/rota/{month}/v/{number}/shift/{key}/check")
@require(*EDITORS)
async def shift_check(request: web.Request) -> web.Response:
    month, number = month_of(request), number_of(request)
    form = await request.post()
    back = f"{_base(request)}/shift/{request.match_info['key']}?out={field(form, 'out', 32)}"
    now = request.config_dict[keys.CLOCK].now()
    async with request.config_dict[keys.DATABASE].sessions() as session:
        with refusal_notice(back):
            checked = await check_replacement(
                session, month, number, _replacement(request, form), now=now
            )
        loaded = await load_version(session, (await find_version(session, month, number)).id)
    shift = next(s for s in loaded.version.shifts if s.key == checked.replacement.shift)
    zone = request.config_dict[keys.SETTINGS].zone
    names = {p["id"]: p.get("name", p["id"]) for p in loaded.version.problem["people"]}
    return page(
        request,
        "rota/shift_check.html",
        {
            "month": month,
            "number": number,
            "checked": checked,
            "base": _base(request),
            "names": names,
            "when": f"{shift.start.astimezone(zone):%a %-d %b %H:%M}",
        },
    )


@routes.post("/rota/{month}/v/{number}/shift/{key}/save")
@require(*EDITORS)
async def shift_save(request: web.Request) -> web.Response:
    month, number = month_of(request), number_of(request)
    form = await request.post()
    now = request.config_dict[keys.CLOCK].now()
    async with unit_of_work(request, back=_base(request)) as session:
        version = await save_replacement(
            session,
            month,
            number,
            _replacement(request, form),
            accept_breaks=field(form, "accept_breaks", 5) == "1",
            now=now,
            by=signed_in(request).username,
        )
    raise redirect(
        f"/rota/{month.key}/v/{version.number}",
        f"Saved as draft version {version.number}. Publish it when you are ready.",
    )
