"""GET /api/v1/events: the response log in chain order, filtered, with keyset pagination."""

from __future__ import annotations

from aiohttp import web

from oncall import keys
from oncall.db.models import Role
from oncall.domain.audit import events_in_order
from oncall.web.api.contacts import log_api_read
from oncall.web.api.params import instant, no_repeats, record_id, whole
from oncall.web.auth import require

routes = web.RouteTableDef()


@routes.get("/api/v1/events")
@require(Role.MANAGER, Role.ADMIN)
async def events(request: web.Request) -> web.Response:
    """Query: after_seq (0), limit (1…1000, 200), contact (id), kind (exact or "prefix.*"),
    from, to (ISO instants). Answer: events and `next_after_seq` to ask for the next page."""
    no_repeats(request)
    after = whole(request, "after_seq", 0, 0, 2**62)
    limit = whole(request, "limit", 200, 1, 1000)
    contact = request.query.get("contact")
    contact_id = record_id(contact, "contact") if contact else None
    kind = request.query.get("kind", "").strip()[:40]
    start, end = instant(request, "from"), instant(request, "to")
    async with request.config_dict[keys.DATABASE].sessions() as session:
        rows = await events_in_order(
            session, after=after, limit=limit, contact_id=contact_id, kind=kind, start=start,
            end=end,
        )  # fmt: skip
        await log_api_read(
            request, session, "events API",
            query={k: v for k, v in request.query.items()
                   if k in ("after_seq", "limit", "contact", "kind", "from", "to")},
            rows=len(rows),
        )  # fmt: skip
    return web.json_response(
        {
            "events": [
                {
                    "seq": e.seq,
                    "occurred_at": e.occurred_at.isoformat(),
                    "contact_id": e.contact_id,
                    "kind": e.kind,
                    "actor_type": e.actor_type,
                    "actor": e.actor,
                    "details": e.details,
                    "details_digest": e.details_digest,
                    "prev_hash": e.prev_hash,
                    "hash": e.hash,
                }
                for e in rows
            ],
            "next_after_seq": rows[-1].seq if len(rows) == limit else None,
        }
    )
