"""The Now page: who is on duty per line and tier, now and tonight; alerts; tonight's contacts."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aiohttp import web

from oncall import keys
from oncall.db.models import Role
from oncall.domain.audit import verify_chain
from oncall.domain.now_board import now_board
from oncall.web.auth import require
from oncall.web.ui.common import READERS, page, signed_in

routes = web.RouteTableDef()

CHAIN_CHECK_EVERY = timedelta(minutes=10)  # verifying reads every event: not on every page view


@dataclass
class ChainStatus:
    """The last verification of the response log, shared by every request of this process."""

    checked_at: datetime | None = None
    ok: bool = True
    events: int = 0
    problem: str = ""
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


CHAIN_STATUS = web.AppKey("chain_status", ChainStatus)


async def chain_status(request: web.Request) -> ChainStatus:
    status = request.config_dict[CHAIN_STATUS]
    now = request.config_dict[keys.CLOCK].now()
    if status.checked_at is not None and now - status.checked_at < CHAIN_CHECK_EVERY:
        return status
    async with status.lock:
        if status.checked_at is None or now - status.checked_at >= CHAIN_CHECK_EVERY:
            async with request.config_dict[keys.DATABASE].sessions() as session:
                report = await verify_chain(session)
            status.checked_at, status.ok, status.events = now, report.ok, report.checked
            status.problem = report.broken.problem if report.broken else ""
    return status


def setup(app: web.Application) -> None:
    app[CHAIN_STATUS] = ChainStatus()
    app.add_routes(routes)


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
    chain = await chain_status(request) if user.has(Role.ADMIN, Role.MANAGER) else None
    return page(request, "now.html", {"board": board, "chain": chain, "own_only": own is not None})
