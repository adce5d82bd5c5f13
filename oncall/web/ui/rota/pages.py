"""Rota screens: months, a version's calendar and fairness chart, generate, publish, repair,
lock, history and differences, exports and the print view."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from oncall import keys
from oncall.db.models import RotaVersion, UnavailabilityReason
from oncall.domain.people import names_by_code
from oncall.domain.rota import (
    LoadedVersion,
    Month,
    RotaConflict,
    RotaInvalid,
    SolveProgress,
    export_csv,
    export_ics,
    export_json,
    fairness_report,
    find_version,
    load_version,
    month_versions,
    rota_months,
    version_diff,
)
from oncall.web.auth import require
from oncall.web.ui.common import EDITORS, READERS, field, page, redirect, signed_in
from oncall.web.ui.forms import refusal_notice
from oncall.web.ui.rota.charts import fairness_svg, month_grid

routes = web.RouteTableDef()

TIERS = [("worker", "First tier"), ("manager", "Senior managers")]
DEFAULT_TIME_LIMIT_S = 20.0
Progress = Callable[[SolveProgress], None]


def month_of(request: web.Request) -> Month:
    try:
        return Month.parse(request.match_info["month"])
    except RotaInvalid as exc:
        raise web.HTTPNotFound(reason=str(exc)) from None


def number_of(request: web.Request) -> int:
    try:
        return int(request.match_info["number"])
    except ValueError:
        raise web.HTTPNotFound(reason="version: not a number") from None


def time_limit(form: Any) -> float:
    raw = field(form, "time_limit", 10)
    try:
        value = float(raw) if raw else DEFAULT_TIME_LIMIT_S
    except ValueError:
        raise RotaInvalid(f"time limit: {raw!r} is not a number of seconds") from None
    if not 1 <= value <= 300:
        raise RotaInvalid("time limit: give between 1 and 300 seconds")
    return value


@contextmanager
def version_or_404() -> Iterator[None]:
    """On a version's own pages a refusal means the URL names no usable version: a 404."""
    try:
        yield
    except (RotaInvalid, RotaConflict) as exc:
        raise web.HTTPNotFound(reason=str(exc)) from None


async def _loaded(session: AsyncSession, month: Month, number: int) -> LoadedVersion:
    """The version the URL names, with its shifts and people; a 404 when there is none."""
    with version_or_404():
        version = await find_version(session, month, number)
    return await load_version(session, version.id)


async def _versions(session: AsyncSession, month: Month) -> list[RotaVersion]:
    """The month's versions, newest first."""
    return list(reversed(await month_versions(session, month)))


@routes.get("/rota")
@require(*READERS)
async def rota_index(request: web.Request) -> web.Response:
    now = request.config_dict[keys.CLOCK].now().astimezone(request.config_dict[keys.SETTINGS].zone)
    async with request.config_dict[keys.DATABASE].sessions() as session:
        months = await rota_months(session)
    upcoming = Month(now.year + now.month // 12, now.month % 12 + 1)
    return page(request, "rota/index.html", {"months": months, "suggested": upcoming.key})


@routes.get("/rota/go")
@require(*READERS)
async def rota_go(request: web.Request) -> web.Response:
    with refusal_notice("/rota"):
        month = Month.parse(request.query.get("month", ""))
    raise web.HTTPSeeOther(f"/rota/{month.key}")


@routes.get("/rota/{month}")
@require(*READERS)
async def rota_month(request: web.Request) -> web.Response:
    month = month_of(request)
    async with request.config_dict[keys.DATABASE].sessions() as session:
        versions = await _versions(session, month)
    if versions:
        raise web.HTTPSeeOther(f"/rota/{month.key}/v/{versions[0].number}")
    return page(
        request,
        "rota/empty.html",
        {"month": month, "can_edit": signed_in(request).has(*EDITORS)},
    )


async def _moves_from_parent(session: AsyncSession, version: RotaVersion, month: Month) -> Any:
    if version.parent_id is None or version.solver_status not in ("optimal", "feasible"):
        return [], None
    parent = await session.get(RotaVersion, version.parent_id)
    if parent is None or parent.solver_status not in ("optimal", "feasible"):
        return [], None
    return await version_diff(session, month, parent.number, version.number), parent.number


@routes.get("/rota/{month}/v/{number}")
@require(*READERS)
async def rota_version(request: web.Request) -> web.Response:
    month, number = month_of(request), number_of(request)
    zone = request.config_dict[keys.SETTINGS].zone
    async with request.config_dict[keys.DATABASE].sessions() as session:
        loaded = await _loaded(session, month, number)
        version = loaded.version
        versions = await _versions(session, month)
        moves, parent_number = await _moves_from_parent(session, version, month)
        people = sorted(
            (p["id"], p.get("name", p["id"]), p["tier"]) for p in version.problem.get("people", [])
        )
    report = fairness_report(version.problem, version.solution)
    moved = {(m.shift, code) for m in moves for code in m.into}
    tiers = [
        (
            tier,
            label,
            month_grid(loaded, tier, zone, moved),
            fairness_svg(report, tier, f"fc-{tier}"),
        )
        for tier, label in TIERS
    ]
    return page(
        request,
        "rota/version.html",
        {
            "month": month,
            "version": version,
            "versions": versions,
            "tiers": tiers,
            "report": report,
            "moves": moves,
            "parent_number": parent_number,
            "people": people,
            "reasons": [r.value for r in UnavailabilityReason],
            "can_edit": signed_in(request).has(*EDITORS),
            "usable": version.solver_status in ("optimal", "feasible"),
            "time_limit": DEFAULT_TIME_LIMIT_S,
        },
    )


@routes.get("/rota/{month}/v/{number}/print")
@require(*READERS)
async def rota_print(request: web.Request) -> web.Response:
    month, number = month_of(request), number_of(request)
    zone = request.config_dict[keys.SETTINGS].zone
    async with request.config_dict[keys.DATABASE].sessions() as session:
        loaded = await _loaded(session, month, number)
    rows = [
        (s, s.start.astimezone(zone), s.end.astimezone(zone), loaded.crew(s))
        for s in loaded.version.shifts
    ]
    context = {"month": month, "version": loaded.version, "rows": rows}
    return page(request, "rota/print.html", context)


EXPORTS = {"csv": "text/csv", "ics": "text/calendar", "json": "application/json"}


@routes.get("/rota/{month}/v/{number}/export.{fmt}")
@require(*READERS)
async def rota_export(request: web.Request) -> web.Response:
    month, number, fmt = month_of(request), number_of(request), request.match_info["fmt"]
    if fmt not in EXPORTS:
        raise web.HTTPNotFound(reason="format: csv, ics or json")
    zone = request.config_dict[keys.SETTINGS].zone
    with version_or_404():
        async with request.config_dict[keys.DATABASE].sessions() as session:
            if fmt == "csv":
                body = await export_csv(session, month, number, zone=zone)
            elif fmt == "ics":
                body = await export_ics(session, month, number, zone=zone)
            else:
                body = json.dumps(await export_json(session, month, number, zone=zone), indent=2)
    return web.Response(
        text=body,
        content_type=EXPORTS[fmt],
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="rota-{month.key}-v{number}.{fmt}"'},
    )


@routes.get("/rota/{month}/diff")
@require(*READERS)
async def rota_diff(request: web.Request) -> web.Response:
    month = month_of(request)
    try:
        a, b = int(request.query.get("a", "")), int(request.query.get("b", ""))
    except ValueError:
        raise redirect(f"/rota/{month.key}", "Choose two versions to compare.") from None
    async with request.config_dict[keys.DATABASE].sessions() as session:
        with refusal_notice(f"/rota/{month.key}"):
            moves = await version_diff(session, month, a, b)
        names = await names_by_code(session)
        versions = await _versions(session, month)
    return page(
        request,
        "rota/diff.html",
        {"month": month, "a": a, "b": b, "moves": moves, "names": names, "versions": versions},
    )
