"""Lines and callers: line numbers, greetings and routing, escalation policies, known callers and
foster carer households. Managers read; coordinators and admins change."""

from __future__ import annotations

from aiohttp import web

from oncall import keys
from oncall.db.models import Agency, AlertKind
from oncall.domain.escalation import CHANNELS, TARGETS, PolicyInvalid, list_policies, update_policy
from oncall.domain.setup import (
    ROUTING_POLICIES,
    add_caller,
    add_household,
    add_number,
    directory,
    parse_policy_steps,
    remove_number,
    set_active,
    update_line,
)
from oncall.web.auth import require
from oncall.web.ui.common import EDITORS, READERS, field, page, redirect, signed_in
from oncall.web.ui.forms import unit_of_work

routes = web.RouteTableDef()


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


@routes.get("/lines")
@require(*READERS)
async def lines_page(request: web.Request) -> web.Response:
    async with request.config_dict[keys.DATABASE].sessions() as session:
        found = await directory(session)
        policies = await list_policies(session)
    names = {line.id: line.name for line in found.lines}
    return page(
        request,
        "lines.html",
        {
            "d": found,
            "policies": policies,
            "line_names": names,
            "can_edit": signed_in(request).has(*EDITORS),
            "routing_policies": ROUTING_POLICIES,
            "agencies": [a.value for a in Agency],
            "targets": TARGETS,
            "channels": CHANNELS,
            "kinds": [k.value for k in AlertKind],
        },
    )


@routes.post(r"/lines/{id:[0-9]+}")
@require(*EDITORS)
async def line_save(request: web.Request) -> web.Response:
    form = await request.post()
    line_id = _int(request.match_info["id"])
    if line_id is None:
        raise web.HTTPNotFound()
    async with unit_of_work(request, back="/lines", refused="Line not saved") as session:
        line = await update_line(
            session, line_id, name=field(form, "name", 80), number=field(form, "number", 40),
            greeting=field(form, "greeting", 600), routing_policy=field(form, "routing_policy", 40),
            offers_menu=field(form, "offers_menu", 5) == "1",
            active=field(form, "active", 5) == "1",
        )  # fmt: skip
    raise redirect("/lines", f"{line.name} saved.")


@routes.post("/lines/policies/save")
@require(*EDITORS)
async def policy_save(request: web.Request) -> web.Response:
    form = await request.post()
    line_id = _int(field(form, "line_id", 10))
    now = request.config_dict[keys.CLOCK].now()
    async with unit_of_work(request, back="/lines", refused="Policy not saved") as session:
        steps = parse_policy_steps(field(form, "steps", 4000))
        repeat = _int(field(form, "repeat", 3))
        if repeat is None:
            raise PolicyInvalid("repeat", "a whole number")
        await update_policy(
            session, line_id=line_id, kind=field(form, "kind", 20), steps=steps, repeat=repeat,
            now=now, by=signed_in(request).username,
        )  # fmt: skip
    raise redirect("/lines", "Escalation policy saved (recorded in the response log).")


@routes.post("/lines/callers")
@require(*EDITORS)
async def caller_add(request: web.Request) -> web.Response:
    form = await request.post()
    async with unit_of_work(request, back="/lines", refused="Caller not added") as session:
        caller = await add_caller(
            session, agency=field(form, "agency", 16), name=field(form, "name", 120),
            number=field(form, "number", 40), label=field(form, "label", 60),
        )  # fmt: skip
    raise redirect("/lines", f"{caller.name} added.")


@routes.post("/lines/households")
@require(*EDITORS)
async def household_add(request: web.Request) -> web.Response:
    form = await request.post()
    async with unit_of_work(request, back="/lines", refused="Household not added") as session:
        household = await add_household(
            session, reference=field(form, "reference", 20),
            carer_names=field(form, "carer_names", 200), number=field(form, "number", 40),
            label=field(form, "label", 60),
        )  # fmt: skip
    raise redirect("/lines", f"{household.reference} added.")


@routes.post("/lines/numbers")
@require(*EDITORS)
async def number_add(request: web.Request) -> web.Response:
    form = await request.post()
    async with unit_of_work(request, back="/lines", refused="Number not added") as session:
        await add_number(
            session, caller_id=_int(field(form, "caller_id", 10)),
            household_id=_int(field(form, "household_id", 10)),
            number=field(form, "number", 40), label=field(form, "label", 60),
        )  # fmt: skip
    raise redirect("/lines", "Number added.")


@routes.post("/lines/numbers/{id}/delete")
@require(*EDITORS)
async def number_delete(request: web.Request) -> web.Response:
    number_id = _int(request.match_info["id"])
    async with unit_of_work(request, back="/lines") as session:
        done = number_id is not None and await remove_number(session, number_id)
    raise redirect("/lines", "Number removed." if done else "Already removed.")


@routes.post("/lines/active")
@require(*EDITORS)
async def active_set(request: web.Request) -> web.Response:
    form = await request.post()
    async with unit_of_work(request, back="/lines") as session:
        done = await set_active(
            session, caller_id=_int(field(form, "caller_id", 10)),
            household_id=_int(field(form, "household_id", 10)),
            active=field(form, "active", 5) == "1",
        )  # fmt: skip
    raise redirect("/lines", "Saved." if done else "Not found.")
