"""GET /api/v1/contacts (filtered, paginated) and /api/v1/contacts/{id} (with its timeline)."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from oncall import keys
from oncall.db.models import Role
from oncall.domain.audit import (
    contact_timeline,
    filter_query,
    list_contacts,
    log_read,
    parse_filter,
)
from oncall.web.api.params import no_repeats, record_id, whole
from oncall.web.auth import current_user, require
from oncall.web.fetch_metadata import refuse_reads_from_another_site

routes = web.RouteTableDef()
MAX_PAGE_SIZE = 200


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


async def log_api_read(
    request: web.Request, session: AsyncSession, what: str, *, contact_id: int | None = None,
    query: dict[str, str] | None = None, rows: int | None = None,
) -> None:  # fmt: skip
    refuse_reads_from_another_site(request)  # a session cookie sent by another site's link
    user = current_user(request)
    await log_read(
        session, username=user.username if user else "?", what=what,
        at=request.config_dict[keys.CLOCK].now(), contact_id=contact_id, query=query, rows=rows,
    )  # fmt: skip
    await session.commit()


@routes.get("/api/v1/contacts")
@require(Role.MANAGER, Role.ADMIN)
async def contacts(request: web.Request) -> web.Response:
    """Query: from, to (local dates), line, agency, caller, worker, outcome, missed, escalated,
    open, page (1…), page_size (1…200). Newest first."""
    no_repeats(request)
    f = parse_filter(request.query)  # a FilterError is a 400 (the middleware)
    page_no = whole(request, "page", 1, 1, 1_000_000)
    size = whole(request, "page_size", 50, 1, MAX_PAGE_SIZE)
    zone = request.config_dict[keys.SETTINGS].zone
    async with request.config_dict[keys.DATABASE].sessions() as session:
        page = await list_contacts(session, f, zone=zone, page=page_no, page_size=size)
        await log_api_read(
            request, session, "contacts API",
            query={**filter_query(f), "page": str(page_no)}, rows=len(page.rows),
        )  # fmt: skip
    return web.json_response(
        {
            "total": page.total,
            "page": page.page,
            "pages": page.pages,
            "page_size": page.page_size,
            "contacts": [
                {
                    "id": r.id,
                    "reference": r.reference,
                    "received_at": _iso(r.received_at),
                    "received_local": r.received_at.astimezone(zone).isoformat(),
                    "line": r.line,
                    "caller_type": r.caller_type,
                    "caller": r.caller,
                    "worker": r.worker or None,
                    "status": r.status,
                    "outcome": r.outcome,
                    "answer_seconds": r.answer_seconds,
                    "escalated": r.escalated,
                    "day_team_follow_up": r.follow_up,
                }
                for r in page.rows
            ],
        }
    )


@routes.get("/api/v1/contacts/{contact_id:[0-9]+}")
@require(Role.MANAGER, Role.ADMIN)
async def contact(request: web.Request) -> web.Response:
    contact_id = record_id(request.match_info["contact_id"], "contact_id")
    async with request.config_dict[keys.DATABASE].sessions() as session:
        t = await contact_timeline(session, contact_id)
        if t is None:
            raise web.HTTPNotFound(reason="no such contact")
        await log_api_read(request, session, "contact API", contact_id=contact_id)
    c = t.contact
    return web.json_response(
        {
            "id": c.id,
            "reference": c.reference,
            "line": t.line,
            "caller": t.caller,
            "caller_type": c.caller_type,
            "channel": c.channel,
            "status": c.status,
            "received_at": _iso(c.received_at),
            "first_rung_at": _iso(c.first_rung_at),
            "answered_at": _iso(c.answered_at),
            "acknowledged_at": _iso(c.acknowledged_at),
            "resolved_at": _iso(c.resolved_at),
            "ended_at": _iso(c.ended_at),
            "handled_by": t.worker or None,
            "outcome": c.outcome,
            "notes": c.outcome_notes,
            "agencies_informed": c.agencies_informed,
            "case_reference": c.case_reference,
            "day_team_follow_up": c.day_team_follow_up,
            "chain_ok": t.chain_ok,
            "events": [
                {
                    "seq": e.seq,
                    "at": _iso(e.at),
                    "kind": e.kind,
                    "actor_type": e.actor_type,
                    "actor": e.actor,
                    "text": e.text,
                    "details": e.details,
                    "problem": e.problem,
                }
                for e in (*t.events, *t.reads)
            ],
        }
    )
