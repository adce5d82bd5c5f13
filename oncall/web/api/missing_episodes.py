"""GET /api/v1/missing-episodes: missing episodes, filtered by status, risk and report dates."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from oncall import keys
from oncall.db.models import Role
from oncall.domain.missing import EpisodeView, list_episodes, parse_episode_filter
from oncall.web.api.contacts import log_api_read
from oncall.web.api.params import no_repeats, whole
from oncall.web.auth import require

routes = web.RouteTableDef()
MAX_PAGE_SIZE = 200


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def episode_json(e: EpisodeView, now: datetime) -> dict[str, object]:
    """An episode as the API gives it: no notes (they are on its page only)."""
    return {
        "id": e.id,
        "case_reference": e.case_reference,
        "risk": e.risk,
        "missing_from": e.missing_from,
        "status": e.status,
        "reported_at": _iso(e.reported_at),
        "opened_at": _iso(e.opened_at),
        "opened_by": e.opened_by,
        "opened_via": e.opened_via,
        "returned_at": _iso(e.returned_at),
        "return_place": e.return_place,
        "minutes_missing": (
            round(e.missing_for.total_seconds() / 60) if e.missing_for is not None else None
        ),
        "minutes_to_first_action": round(e.to_first_action.total_seconds() / 60),
        "repeat": e.repeat,
        "contacts": list(e.contacts),
        "interview": {
            "due_at": _iso(e.interview_due_at),
            "offered_at": _iso(e.interview_offered_at),
            "result": e.interview_result,
            "result_at": _iso(e.interview_result_at),
            "overdue": e.interview_overdue(now),
        },
    }


@routes.get("/api/v1/missing-episodes")
@require(Role.MANAGER, Role.ADMIN)  # the roles that read the audit
async def missing_episodes(request: web.Request) -> web.Response:
    """Query: status (open, returned, withdrawn; default all but withdrawn), risk (high, medium,
    low), from, to (local days of the report), page (1…), page_size (1…200). Newest first."""
    no_repeats(request)
    f = parse_episode_filter(request.query)  # an EpisodeInvalid is a 400 naming the parameter
    page_no = whole(request, "page", 1, 1, 1_000_000)
    size = whole(request, "page_size", 50, 1, MAX_PAGE_SIZE)
    now = request.config_dict[keys.CLOCK].now()
    async with request.config_dict[keys.DATABASE].sessions() as session:
        page = await list_episodes(
            session, f, zone=request.config_dict[keys.SETTINGS].zone, page=page_no, page_size=size
        )
        await log_api_read(
            request, session, "missing episodes API",
            query={k: v for k, v in request.query.items()
                   if k in ("status", "risk", "from", "to", "page", "page_size")},
            rows=len(page.rows),
        )  # fmt: skip
    return web.json_response(
        {
            "total": page.total,
            "page": page.page,
            "pages": page.pages,
            "page_size": page.page_size,
            "episodes": [episode_json(e, now) for e in page.rows],
        }
    )
