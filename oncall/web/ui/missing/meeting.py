"""The day team's return home interview tasks, and the daily missing meeting pack: page, CSV and
PDF of any morning (the periodic runner prepares and e-mails it at the handover time)."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from oncall import keys
from oncall.domain.missing import Pack, gather_pack, interview_tasks, pack_csv
from oncall.web.auth import require
from oncall.web.ui.audit.common import logged_read
from oncall.web.ui.audit.handover import of_the_morning
from oncall.web.ui.common import READERS, download, page, signed_in
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


async def _pack(request: web.Request, what: str) -> Pack:
    return await of_the_morning(request, what, gather_pack)


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
    zone = request.config_dict[keys.SETTINGS].zone
    return download(pack_csv(pack, zone), f"missing-pack-{pack.day}.csv", "text/csv")


@routes.get("/missing/pack.pdf")
@require(*READERS)
async def pack_print(request: web.Request) -> web.Response:
    pack = await _pack(request, "missing meeting pack (PDF)")
    content = PackPdf(
        pack=pack, zone=request.config_dict[keys.SETTINGS].zone, prepared_at=now_local(request),
        prepared_by=signed_in(request).display_name,
    )  # fmt: skip
    # Drawing is pure-Python CPU work: in a worker process, off the loop and its GIL.
    body = await request.config_dict[keys.CPU_WORKERS].run(pack_pdf, content)
    return download(body, f"missing-pack-{pack.day}.pdf", "application/pdf")
