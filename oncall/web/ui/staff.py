"""Staff screens: people (tiers, skills, FTE, phones), leave and unavailability with a CSV import,
rota requests, and shift templates. For coordinators and admins."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from oncall import keys
from oncall.db.models import Person, RequestKind, Tier, UnavailabilityReason
from oncall.domain.people import (
    PersonInput,
    StaffInvalid,
    add_request,
    add_unavailability,
    delete_request,
    delete_unavailability,
    import_leave,
    list_people,
    local_range,
    parse_reason,
    person_by_code,
    requests_of,
    save_person,
    unavailability_of,
    validate_person,
)
from oncall.domain.rota import list_templates, update_template
from oncall.web.auth import require
from oncall.web.ui.common import EDITORS, field, page, redirect, signed_in
from oncall.web.ui.forms import unit_of_work

routes = web.RouteTableDef()

REASONS = [r.value for r in UnavailabilityReason]


def _input(form: Any) -> PersonInput:
    return PersonInput(
        code=field(form, "code", 40),
        name=field(form, "name", 120),
        tier=field(form, "tier", 16),
        job_title=field(form, "job_title", 120),
        phone=field(form, "phone", 40),
        email=field(form, "email", 200),
        fte=field(form, "fte", 10),
        skills=field(form, "skills", 300),
        active=field(form, "active", 5) == "1",
    )


def _form_page(
    request: web.Request, data: PersonInput, errors: dict[str, str], *, new: bool, status: int = 200
) -> web.Response:
    return page(
        request,
        "staff/person_form.html",
        {"data": data, "errors": errors, "new": new, "tiers": [t.value for t in Tier]},
        status=status,
    )


@routes.get("/staff")
@require(*EDITORS)
async def staff_index(request: web.Request) -> web.Response:
    async with request.config_dict[keys.DATABASE].sessions() as session:
        people = await list_people(session)
    return page(request, "staff/index.html", {"people": people})


@routes.get("/staff/new")
@require(*EDITORS)
async def person_new(request: web.Request) -> web.Response:
    blank = PersonInput("", "", Tier.WORKER.value, "", "", fte="1")
    return _form_page(request, blank, {}, new=True)


@routes.post("/staff/new")
@require(*EDITORS)
async def person_create(request: web.Request) -> web.Response:
    data = _input(await request.post())
    now = request.config_dict[keys.CLOCK].now()
    async with request.config_dict[keys.DATABASE].sessions() as session:
        try:
            person = await save_person(session, validate_person(data), now=now)
        except StaffInvalid as exc:
            return _form_page(request, data, exc.errors, new=True, status=400)
        await session.commit()
    raise redirect(f"/staff/{person.code}", f"{person.name} added.")


@routes.get("/staff/templates")
@require(*EDITORS)
async def templates_page(request: web.Request) -> web.Response:
    async with request.config_dict[keys.DATABASE].sessions() as session:
        templates = await list_templates(session)
    return page(request, "staff/templates.html", {"templates": templates, "errors": {}})


@routes.post("/staff/templates/{id}")
@require(*EDITORS)
async def template_save(request: web.Request) -> web.Response:
    form = await request.post()
    try:
        template_id = int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    async with unit_of_work(request, back="/staff/templates", refused="Not saved") as session:
        template = await update_template(
            session,
            template_id,
            start_time=field(form, "start_time", 8),
            end_time=field(form, "end_time", 8),
            weight=field(form, "weight", 10),
            required=field(form, "required", 4),
            active=field(form, "active", 5) == "1",
        )
    raise redirect("/staff/templates", f"{template.name} saved. Generate a month again to use it.")


@routes.post("/staff/leave-import")
@require(*EDITORS)
async def leave_import(request: web.Request) -> web.Response:
    form = await request.post()
    upload = form.get("file")
    data = upload.file.read() if isinstance(upload, web.FileField) else b""
    settings, now = request.config_dict[keys.SETTINGS], request.config_dict[keys.CLOCK].now()
    async with request.config_dict[keys.DATABASE].sessions() as session:
        result = await import_leave(
            session, data, zone=settings.zone, now=now, by=signed_in(request).username
        )
        if result.ok:
            await session.commit()
    return page(
        request,
        "staff/import_result.html",
        {"result": result},
        status=200 if result.ok else 400,
    )


@routes.get("/staff/{code}")
@require(*EDITORS)
async def person_page(request: web.Request) -> web.Response:
    async with request.config_dict[keys.DATABASE].sessions() as session:
        person = await person_by_code(session, request.match_info["code"])
        if person is None:
            raise web.HTTPNotFound(reason="nobody has that code")
        gaps = await unavailability_of(session, person)
        wishes = await requests_of(session, person)
    data = PersonInput(
        person.code, person.name, person.tier, person.job_title, person.phone, person.email,
        f"{person.fte:g}", ", ".join(person.skills), person.active,
    )  # fmt: skip
    return page(
        request,
        "staff/person.html",
        {
            "person": person,
            "data": data,
            "errors": {},
            "gaps": gaps,
            "wishes": wishes,
            "reasons": REASONS,
            "kinds": [k.value for k in RequestKind],
            "tiers": [t.value for t in Tier],
        },
    )


@routes.post("/staff/{code}")
@require(*EDITORS)
async def person_update(request: web.Request) -> web.Response:
    data = _input(await request.post())
    now = request.config_dict[keys.CLOCK].now()
    async with request.config_dict[keys.DATABASE].sessions() as session:
        person = await person_by_code(session, request.match_info["code"])
        if person is None:
            raise web.HTTPNotFound(reason="nobody has that code")
        try:
            await save_person(session, validate_person(data), now=now, existing=person)
        except StaffInvalid as exc:
            return _form_page(request, data, exc.errors, new=False, status=400)
        code = person.code
        await session.commit()
    raise redirect(f"/staff/{code}", "Saved.")


@routes.post("/staff/{code}/leave")
@require(*EDITORS)
async def leave_add(request: web.Request) -> web.Response:
    form = await request.post()
    code = request.match_info["code"]
    settings, now = request.config_dict[keys.SETTINGS], request.config_dict[keys.CLOCK].now()
    async with unit_of_work(request, back=f"/staff/{code}", refused="Not recorded") as session:
        person = await _person_or_404(session, code)
        start, end = local_range(field(form, "start", 20), field(form, "end", 20), settings.zone)
        await add_unavailability(
            session, person, start=start, end=end, reason=parse_reason(field(form, "reason", 20)),
            note=field(form, "note", 500), now=now,
        )  # fmt: skip
    raise redirect(f"/staff/{code}", "Recorded. Repair any published rota it affects.")


@routes.post("/staff/{code}/leave/{id}/delete")
@require(*EDITORS)
async def leave_delete(request: web.Request) -> web.Response:
    return await _delete_owned(request, delete_unavailability)


@routes.post("/staff/{code}/requests")
@require(*EDITORS)
async def request_add(request: web.Request) -> web.Response:
    form = await request.post()
    code = request.match_info["code"]
    settings, now = request.config_dict[keys.SETTINGS], request.config_dict[keys.CLOCK].now()
    async with unit_of_work(request, back=f"/staff/{code}", refused="Not recorded") as session:
        person = await _person_or_404(session, code)
        start, end = local_range(field(form, "start", 20), field(form, "end", 20), settings.zone)
        await add_request(
            session, person, kind=field(form, "kind", 8), start=start, end=end,
            weight=field(form, "weight", 10), note=field(form, "note", 500), now=now,
        )  # fmt: skip
    raise redirect(f"/staff/{code}", "Request recorded; the next generate honours it if it can.")


@routes.post("/staff/{code}/requests/{id}/delete")
@require(*EDITORS)
async def request_delete(request: web.Request) -> web.Response:
    return await _delete_owned(request, delete_request)


async def _person_or_404(session: AsyncSession, code: str) -> Person:
    person = await person_by_code(session, code)
    if person is None:
        raise web.HTTPNotFound(reason="nobody has that code")
    return person


async def _delete_owned(
    request: web.Request, delete: Callable[[AsyncSession, Person, int], Awaitable[bool]]
) -> web.Response:
    """Delete one of a person's rows (leave, a request) named in the URL, then back to them."""
    code = request.match_info["code"]
    async with unit_of_work(request, back=f"/staff/{code}") as session:
        person = await _person_or_404(session, code)
        try:
            done = await delete(session, person, int(request.match_info["id"]))
        except ValueError:
            done = False
    raise redirect(f"/staff/{code}", "Removed." if done else "Already removed.")
