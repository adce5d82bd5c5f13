"""The coordinator's requests desk: swap requests checked against the rota's hard rules, and
leave requests; each approved or declined here."""

from __future__ import annotations

from aiohttp import web

from oncall import keys
from oncall.db.models import RotaVersion
from oncall.domain.rota import (
    decide_leave,
    decide_swap,
    leave_requests,
    notify_published,
    swap_requests,
)
from oncall.web.auth import require
from oncall.web.ui.common import EDITORS, field, page, redirect, signed_in
from oncall.web.ui.forms import unit_of_work

routes = web.RouteTableDef()


@routes.get("/requests")
@require(*EDITORS)
async def requests_page(request: web.Request) -> web.Response:
    async with request.config_dict[keys.DATABASE].sessions() as session:
        swaps = await swap_requests(session, now=request.config_dict[keys.CLOCK].now())
        leave = await leave_requests(session)
    pending = [v for v in swaps if v.swap.status == "pending"]
    decided = [v for v in swaps if v.swap.status != "pending"][:30]
    return page(
        request,
        "requests.html",
        {
            "pending": pending,
            "decided": decided,
            "leave_pending": [(r, p) for r, p in leave if r.status == "pending"],
            "leave_decided": [(r, p) for r, p in leave if r.status != "pending"][-30:],
        },
    )


def _id(request: web.Request) -> int:
    try:
        return int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound() from None


@routes.post("/requests/swaps/{id}")
@require(*EDITORS)
async def swap_decide(request: web.Request) -> web.Response:
    form = await request.post()
    approve = field(form, "decision", 10) == "approve"
    settings, now = request.config_dict[keys.SETTINGS], request.config_dict[keys.CLOCK].now()
    async with unit_of_work(request, back="/requests", refused="Not done") as session:
        swap = await decide_swap(
            session, _id(request), approve=approve,
            accept_breaks=field(form, "accept_breaks", 5) == "1",
            note=field(form, "note", 500), now=now, by=signed_in(request).username,
        )  # fmt: skip
        if approve and swap.result_version_id is not None:
            version = await session.get(RotaVersion, swap.result_version_id)
            assert version is not None
            await notify_published(session, version, zone=settings.zone, now=now)
    text = (
        "Swap approved: the new rota is published and staff are told."
        if approve
        else ("Swap declined.")
    )
    raise redirect("/requests", text)


@routes.post("/requests/leave/{id}")
@require(*EDITORS)
async def leave_decide(request: web.Request) -> web.Response:
    form = await request.post()
    approve = field(form, "decision", 10) == "approve"
    now = request.config_dict[keys.CLOCK].now()
    async with unit_of_work(request, back="/requests", refused="Not done") as session:
        await decide_leave(
            session, _id(request), approve=approve, now=now, by=signed_in(request).username
        )
    text = (
        "Leave approved and recorded. Repair any published rota it touches."
        if approve
        else "Leave declined."
    )
    raise redirect("/requests", text)
