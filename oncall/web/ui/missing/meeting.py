"""The day team's return home interview tasks, and the daily missing meeting pack: page, CSV and
PDF of any morning (the periodic runner prepares and e-mails it at the handover time)."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from aiohttp import web

from oncall import keys
from oncall.domain.audit import latest_handover_day
from oncall.domain.missing import EpisodeInvalid, Pack, gather_pack, interview_tasks, pack_csv
from oncall.web.auth import require
from oncall.web.ui.audit.common import logged_read
from oncall.web.ui.common import READERS, page, signed_in
from oncall.web.ui.missing.episodes import CHOICES
from oncall.web.ui.missing.forms import now_local
from oncall.web.ui.missing.pdf import PackPdf, pack_pdf

routes = web.RouteTableDef()


@routes.get("/missing/interviews")
@require(*READERS)
async def interviews_page(request: web.Request) -> web.Response:
    async with request.config_dict[keys.DATABASE].sessions() as session:
        tasks = await interview_tasks(session)
        await logged_read(request, session, "return home interview tasks", rows=len(tasks))
    local = now_local(request)
    return page(
        request,
        "missing/interviews.html",
        {
            "tasks": tasks,
            "moment": local,
            "today": f"{local:%Y-%m-%dT%H:%M}",
            "hours": request.config_dict[keys.SETTINGS].return_interview_hours,
            **CHOICES,
        },
    )


def _day(request: web.Request) -> date:
    settings = request.config_dict[keys.SETTINGS]
    raw = request.query.get("date", "").strip()
    if not raw:
        now = request.config_dict[keys.CLOCK].now()
        return latest_handover_day(now, settings.zone, settings.handover_at)
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise EpisodeInvalid("date", "not a date (YYYY-MM-DD)") from None


async def _pack(request: web.Request, what: str) -> Pack:
    settings = request.config_dict[keys.SETTINGS]
    day = _day(request)
    async with request.config_dict[keys.DATABASE].sessions() as session:
        pack = await gather_pack(
            session, day=day, zone=settings.zone, boundary=settings.handover_at
        )
        await logged_read(request, session, what, query={"date": str(day)})
    return pack


@routes.get("/missing/pack")
@require(*READERS)
async def pack_page(request: web.Request) -> web.Response:
    pack = await _pack(request, "missing meeting pack")
    return page(
        request,
        "missing/pack.html",
        {"pack": pack, "previous": pack.day - timedelta(days=1),
         "following": pack.day + timedelta(days=1)},
    )  # fmt: skip


@routes.get("/missing/pack.csv")
@require(*READERS)
async def pack_download(request: web.Request) -> web.Response:
    pack = await _pack(request, "missing meeting pack (CSV)")
    return web.Response(
        text=pack_csv(pack, request.config_dict[keys.SETTINGS].zone),
        content_type="text/csv",
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="missing-pack-{pack.day}.csv"',
            "Cache-Control": "no-store",
        },
    )


@routes.get("/missing/pack.pdf")
@require(*READERS)
async def pack_print(request: web.Request) -> web.Response:
    pack = await _pack(request, "missing meeting pack (PDF)")
    content = PackPdf(
        pack=pack, zone=request.config_dict[keys.SETTINGS].zone, prepared_at=now_local(request),
        prepared_by=signed_in(request).display_name,
    )  # fmt: skip
    body = await asyncio.to_thread(pack_pdf, content)  # drawing is CPU work: off the loop
    return web.Response(
        body=body,
        content_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="missing-pack-{pack.day}.pdf"',
            "Cache-Control": "no-store",
        },
    )
