"""The Now page: who is on duty per line and tier, now and tonight; alerts; tonight's contacts."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from oncall import keys
from oncall.db.models import Role
from oncall.domain.errors import Invalid
from oncall.domain.overview import now_board
from oncall.domain.people import list_people
from oncall.domain.rota import add_override, cancel_override, current_overrides
from oncall.web.auth import require
from oncall.web.ui.audit.chain import settled_chain_status
from oncall.web.ui.common import EDITORS, READERS, field, page, redirect, signed_in
from oncall.web.ui.forms import unit_of_work

routes = web.RouteTableDef()


@routes.get("/now")
@require()
async def now_page(request: web.Request) -> web.Response:
    user = signed_in(request)
    settings = request.config_dict[keys.SETTINGS]
    # Staff see only their own contacts and alerts; the rota desk and managers see all.
    own = None if user.has(*READERS) else (user.person_id or -1)
    async with request.config_dict[keys.DATABASE].sessions() as session:
        board = await now_board(
            session, now=request.config_dict[keys.CLOCK].now(), zone=settings.zone, person_id=own
        )
        can_cover = user.has(*EDITORS)
        overrides = await current_overrides(session, board.at) if user.has(*READERS) else []
        people = await list_people(session) if can_cover else []
    # The last recorded verification (a stale one is redone in the background, not here).
    chain = await settled_chain_status(request) if user.has(Role.ADMIN, Role.MANAGER) else None
    local = board.at.astimezone(settings.zone)
    until = local.replace(hour=9, minute=0, second=0, microsecond=0)
    if until <= local:
        until += timedelta(days=1)
    return page(
        request,
        "now.html",
        {
            "board": board,
            "chain": chain[0] if chain else None,
            "chain_stale": chain[1] if chain else False,
            "chain_verifying": chain[2] if chain else False,
            "own_only": own is not None,
            "overrides": overrides,
            "can_cover": can_cover,
            "people": [p for p in people if p.active],
            "cover_from": f"{local:%Y-%m-%dT%H:%M}",
            "cover_to": f"{until:%Y-%m-%dT%H:%M}",
        },
    )


def _local(text: str, zone: ZoneInfo, name: str) -> datetime:
    try:
        return datetime.fromisoformat(text.strip()).replace(tzinfo=zone)
    except ValueError:
        raise Invalid(name, f"{text!r} is not a date and time") from None


@routes.post("/now/overrides")
@require(*EDITORS)
async def override_add(request: web.Request) -> web.Response:
    form = await request.post()
    settings, now = request.config_dict[keys.SETTINGS], request.config_dict[keys.CLOCK].now()
    async with unit_of_work(request, back="/now", refused="Cover not recorded") as session:
        await add_override(
            session, tier=field(form, "tier", 16), person_code=field(form, "person", 32),
            replaces_code=field(form, "replaces", 32),
            start=_local(field(form, "start", 20), settings.zone, "start"),
            end=_local(field(form, "end", 20), settings.zone, "end"),
            reason=field(form, "reason", 500), now=now, by=signed_in(request).username,
        )  # fmt: skip
    raise redirect("/now", "Cover recorded: calls ring them from the start time.")


@routes.post("/now/overrides/{id:[0-9]+}/cancel")
@require(*EDITORS)
async def override_cancel(request: web.Request) -> web.Response:
    now = request.config_dict[keys.CLOCK].now()
    async with unit_of_work(request, back="/now") as session:
        done = await cancel_override(
            session, int(request.match_info["id"]), now=now, by=signed_in(request).username
        )
    raise redirect("/now", "Cover cancelled." if done else "Already cancelled.")
