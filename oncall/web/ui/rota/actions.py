"""Rota actions: generate and repair (background jobs with progress), publish, lock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

from aiohttp import web

from oncall import keys
from oncall.db.models import UnavailabilityReason
from oncall.domain.rota import (
    RotaInvalid,
    SolveProgress,
    generate,
    notify_published,
    publish,
    repair,
    set_locked,
)
from oncall.web.auth import require
from oncall.web.ui.common import EDITORS, field, redirect, signed_in
from oncall.web.ui.forms import refusal_notice, unit_of_work
from oncall.web.ui.rota.jobs import start_job
from oncall.web.ui.rota.pages import month_of, number_of, time_limit

routes = web.RouteTableDef()
Progress = Callable[[SolveProgress], None]


@routes.post("/rota/{month}/generate")
@require(*EDITORS)
async def rota_generate(request: web.Request) -> web.Response:
    month = month_of(request)
    form = await request.post()
    with refusal_notice(f"/rota/{month.key}"):
        limit = time_limit(form)
    db, clock = request.config_dict[keys.DATABASE], request.config_dict[keys.CLOCK]
    zone, user = request.config_dict[keys.SETTINGS].zone, signed_in(request)

    async def work(progress: Progress) -> tuple[str, str, list[Any]]:
        version = await generate(
            db.sessions, month, zone=zone, now=clock.now(), by=user.username,
            progress=progress, time_limit_s=limit,
        )  # fmt: skip
        done = f"Version {version.number} generated ({version.solver_status})."
        return done, f"/rota/{month.key}/v/{version.number}", []

    job = start_job(request, kind="generate", month=month.key, time_limit_s=limit, work=work)
    raise web.HTTPSeeOther(f"/rota/jobs/{job.id}")


def _local(text: str, zone: Any, field_name: str, *, end: bool) -> datetime:
    """A local date (start or end of that day) or date-time from a form, as an aware instant."""
    text = text.strip()
    try:
        if len(text) == 10:
            day = datetime.fromisoformat(text).date()
            if end:
                day += timedelta(days=1)
            return datetime.combine(day, time(0), tzinfo=zone)
        return datetime.fromisoformat(text).replace(tzinfo=zone)
    except ValueError:
        raise RotaInvalid(field_name, f"expected a date like 2027-01-12, got {text!r}") from None


@routes.post("/rota/{month}/repair")
@require(*EDITORS)
async def rota_repair(request: web.Request) -> web.Response:
    month = month_of(request)
    form = await request.post()
    zone, user = request.config_dict[keys.SETTINGS].zone, signed_in(request)
    back = f"/rota/{month.key}"
    with refusal_notice(back):
        limit = time_limit(form)
        code = field(form, "person", 32)
        if not code:
            raise RotaInvalid("person", "choose who is unavailable")
        start = _local(field(form, "start", 20), zone, "from", end=False)
        end = _local(field(form, "end", 20), zone, "to", end=True)
    reason = field(form, "reason", 20) or UnavailabilityReason.SICKNESS.value
    db, clock = request.config_dict[keys.DATABASE], request.config_dict[keys.CLOCK]

    async def work(progress: Progress) -> tuple[str, str, list[Any]]:
        result = await repair(
            db.sessions, month, person_code=code, start=start, end=end, reason=reason,
            zone=zone, now=clock.now(), by=user.username, progress=progress, time_limit_s=limit,
        )  # fmt: skip
        version = result.version
        text = f"Repair stored as version {version.number} ({version.solver_status}): "
        text += f"{len(result.moves)} shift(s) changed."
        if result.kept_on:
            text += (
                f" {', '.join(result.kept_on)} is under way and stays as it is: arrange cover "
                "tonight with a duty override."
            )
        moves = [{"shift": m.shift, "out": m.out, "into": m.into} for m in result.moves]
        return text, f"/rota/{month.key}/v/{version.number}", moves

    job = start_job(request, kind="repair", month=month.key, time_limit_s=limit, work=work)
    raise web.HTTPSeeOther(f"/rota/jobs/{job.id}")


@routes.post("/rota/{month}/v/{number}/publish")
@require(*EDITORS)
async def rota_publish(request: web.Request) -> web.Response:
    month, number = month_of(request), number_of(request)
    zone, user = request.config_dict[keys.SETTINGS].zone, signed_in(request)
    now = request.config_dict[keys.CLOCK].now()
    back = f"/rota/{month.key}/v/{number}"
    async with unit_of_work(request, back=back) as session:
        version = await publish(session, month, number, now=now, by=user.username)
        told = await notify_published(session, version, zone=zone, now=now)
    raise redirect(back, f"Version {number} published. {told} staff will be told by text message.")


@routes.post("/rota/{month}/v/{number}/lock")
@require(*EDITORS)
async def rota_lock(request: web.Request) -> web.Response:
    month, number = month_of(request), number_of(request)
    form = await request.post()
    locked = field(form, "locked", 5) == "1"
    async with unit_of_work(request, back=f"/rota/{month.key}") as session:
        await set_locked(session, month, number, locked)
    state = "locked: no more edits until it is unlocked" if locked else "unlocked"
    raise redirect(f"/rota/{month.key}/v/{number}", f"Version {number} {state}.")
