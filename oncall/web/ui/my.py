"""My shifts, for anyone on the rota: upcoming shifts, swap and leave requests, and a private
calendar subscription link. Everything here is the signed-in person's own and nobody else's."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from oncall import keys
from oncall.db.models import Person, UnavailabilityReason
from oncall.domain.people import local_range
from oncall.domain.rota import (
    active_token,
    cancel_swap,
    colleagues_for,
    feed,
    leave_requests,
    new_token,
    person_for_token,
    request_leave,
    request_swap,
    revoke_tokens,
    swap_requests,
    upcoming_shifts,
)
from oncall.web.auth import require
from oncall.web.ui.common import field, page, redirect, signed_in
from oncall.web.ui.forms import unit_of_work

routes = web.RouteTableDef()


async def _me(request: web.Request, session: AsyncSession) -> Person:
    user = signed_in(request)
    person = await session.get(Person, user.person_id) if user.person_id is not None else None
    if person is None:
        raise web.HTTPForbidden(reason="your sign-in is not linked to anyone on the rota")
    return person


def feed_url(request: web.Request, token: str) -> str:
    # The token rides in the query string: the request log records the path only.
    return f"{request.config_dict[keys.SETTINGS].public_url}/calendar.ics?token={token}"


async def _my_page(request: web.Request, *, new_link: str = "") -> web.Response:
    now = request.config_dict[keys.CLOCK].now()
    async with request.config_dict[keys.DATABASE].sessions() as session:
        me = await _me(request, session)
        shifts = await upcoming_shifts(session, me.id, now)
        colleagues = await colleagues_for(session, me)
        swaps = await swap_requests(session, person_id=me.id, check_rules=False)
        leave = await leave_requests(session, person_id=me.id)
        token = await active_token(session, me.id)
    return page(
        request,
        "my.html",
        {
            "me": me,
            "shifts": shifts,
            "colleagues": colleagues,
            "swaps": swaps,
            "leave": leave,
            "token": token,
            "new_link": new_link,
            "reasons": [r.value for r in UnavailabilityReason],
        },
    )


@routes.get("/my")
@require()
async def my_page(request: web.Request) -> web.Response:
    return await _my_page(request)


@routes.post("/my/swaps")
@require()
async def swap_create(request: web.Request) -> web.Response:
    form = await request.post()
    now = request.config_dict[keys.CLOCK].now()
    async with unit_of_work(request, back="/my", refused="Not sent") as session:
        me = await _me(request, session)
        await request_swap(
            session, me, month=field(form, "month", 7), shift_key=field(form, "shift", 40),
            colleague_code=field(form, "colleague", 32), note=field(form, "note", 500), now=now,
        )  # fmt: skip
    raise redirect("/my", "Swap request sent to the rota coordinator.")


@routes.post("/my/swaps/{id}/cancel")
@require()
async def swap_cancel(request: web.Request) -> web.Response:
    async with unit_of_work(request, back="/my") as session:
        me = await _me(request, session)
        try:
            done = await cancel_swap(session, me, int(request.match_info["id"]))
        except ValueError:
            done = False
    raise redirect("/my", "Swap request withdrawn." if done else "Nothing to withdraw.")


@routes.post("/my/leave")
@require()
async def leave_create(request: web.Request) -> web.Response:
    form = await request.post()
    settings, now = request.config_dict[keys.SETTINGS], request.config_dict[keys.CLOCK].now()
    async with unit_of_work(request, back="/my", refused="Not sent") as session:
        me = await _me(request, session)
        start, end = local_range(field(form, "start", 20), field(form, "end", 20), settings.zone)
        await request_leave(
            session, me, start=start, end=end, reason=field(form, "reason", 20),
            note=field(form, "note", 500), now=now,
        )  # fmt: skip
    raise redirect("/my", "Leave request sent to the rota coordinator.")


@routes.post("/my/calendar")
@require()
async def calendar_create(request: web.Request) -> web.Response:
    now = request.config_dict[keys.CLOCK].now()
    async with unit_of_work(request, back="/my") as session:
        token = await new_token(session, (await _me(request, session)).id, now=now)
    # Shown once, on this page only: the link is the password to the feed.
    return await _my_page(request, new_link=feed_url(request, token))


@routes.post("/my/calendar/revoke")
@require()
async def calendar_revoke(request: web.Request) -> web.Response:
    now = request.config_dict[keys.CLOCK].now()
    async with unit_of_work(request, back="/my") as session:
        count = await revoke_tokens(session, (await _me(request, session)).id, now=now)
    raise redirect("/my", "Calendar link revoked." if count else "You had no calendar link.")


@routes.get("/calendar.ics")
async def calendar_feed(request: web.Request) -> web.Response:
    """No session: calendar apps fetch this on their own. The token is the only key."""
    settings, now = request.config_dict[keys.SETTINGS], request.config_dict[keys.CLOCK].now()
    async with request.config_dict[keys.DATABASE].sessions() as session:
        person = await person_for_token(session, request.query.get("token", ""), now=now)
        if person is None:
            raise web.HTTPNotFound(reason="no such calendar (the link may have been revoked)")
        body = await feed(session, person, zone=settings.zone, now=now)
        await session.commit()
    return web.Response(
        text=body,
        content_type="text/calendar",
        charset="utf-8",
        headers={"Cache-Control": "private, max-age=900", "X-Robots-Tag": "noindex"},
    )
