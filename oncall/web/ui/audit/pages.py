"""The managers' audit pages: filtered contacts, a contact's timeline, the chain's state."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from aiohttp import web

from oncall import keys
from oncall.db.models import Role
from oncall.domain.audit import (
    browse_events,
    contact_timeline,
    filter_query,
    list_contacts,
    local_day_bounds,
    parse_filter,
    with_page_defaults,
)
from oncall.domain.outcomes import OUTCOME_LABELS
from oncall.web.auth import require
from oncall.web.ui.audit.chain import start_verification, watched_chain_status
from oncall.web.ui.audit.common import logged_read, manager, now, page_context
from oncall.web.ui.render import render

routes = web.RouteTableDef()

AGENCY_CHOICES = ("police", "hospital", "foster_carer", "staff", "unverified")
LINE_CHOICES = ("police", "hospital", "foster")


def _page_number(request: web.Request) -> int:
    try:
        return max(1, min(int(request.query.get("page", "1")), 100_000))
    except ValueError:
        raise web.HTTPBadRequest(reason="page: not a whole number") from None


@routes.get("/audit")
@require(Role.MANAGER, Role.ADMIN)
async def contacts_page(request: web.Request) -> web.Response:
    asked = parse_filter(request.query)  # a FilterError is a 400 (the middleware)
    zone = request.config_dict[keys.SETTINGS].zone
    f = with_page_defaults(asked, today=now(request).astimezone(zone).date())
    page_no = _page_number(request)
    async with request.config_dict[keys.DATABASE].sessions() as session:
        page = await list_contacts(session, f, zone=zone, page=page_no)
        status = await watched_chain_status(request, session)
        await logged_read(
            request, session, "contacts list",
            query={**filter_query(f), "page": str(page_no)}, rows=len(page.rows),
        )  # fmt: skip
    query = filter_query(f)
    return render(
        "audit/contacts.html",
        page_context(
            request, page=page, f=f, status=status, outcomes=OUTCOME_LABELS,
            agencies=AGENCY_CHOICES, lines=LINE_CHOICES, query=urlencode(query),
            page_link=lambda n: "/audit?" + urlencode({**query, "page": str(n)}),
        ),
    )  # fmt: skip


@routes.get("/audit/contacts/{contact_id:[0-9]+}")
@require(Role.MANAGER, Role.ADMIN)
async def contact_page(request: web.Request) -> web.Response:
    contact_id = int(request.match_info["contact_id"])
    async with request.config_dict[keys.DATABASE].sessions() as session:
        timeline = await contact_timeline(session, contact_id)
        if timeline is None:
            raise web.HTTPNotFound(reason="no such contact")
        status = await watched_chain_status(request, session)
        await logged_read(request, session, "contact timeline", contact_id=contact_id)
    return render(
        "audit/contact.html",
        page_context(request, t=timeline, status=status, outcomes=OUTCOME_LABELS),
    )


@routes.get("/audit/events")
@require(Role.MANAGER, Role.ADMIN)
async def events_page(request: web.Request) -> web.Response:
    """The log itself, newest first: e.g. kind=audit.read shows who looked at what."""
    query = request.query
    raw_before = query.get("before", "")
    if raw_before and not raw_before.isdigit():
        raise web.HTTPBadRequest(reason="before: not an event number")
    f = parse_filter(
        {"from": query.get("from", ""), "to": query.get("to", "")}
    )  # a FilterError is a 400 (the middleware)
    zone = request.config_dict[keys.SETTINGS].zone
    start = local_day_bounds(f.date_from, zone) if f.date_from else None
    end = local_day_bounds(f.date_to + timedelta(days=1), zone) if f.date_to else None
    kind, actor = query.get("kind", "").strip()[:40], query.get("actor", "").strip()[:80]
    async with request.config_dict[keys.DATABASE].sessions() as session:
        page = await browse_events(
            session, before=int(raw_before) if raw_before else None, kind=kind, actor=actor,
            start=start, end=end,
        )  # fmt: skip
        status = await watched_chain_status(request, session)
        shown = {k: v for k, v in query.items() if k in ("before", "kind", "actor", "from", "to")}
        await logged_read(request, session, "events", query=shown, rows=len(page.lines))
    keep = {k: v for k, v in shown.items() if k != "before"}
    return render(
        "audit/events.html",
        page_context(
            request, page=page, status=status, kind=kind, actor=actor, f=f,
            older=("/audit/events?" + urlencode({**keep, "before": str(page.older_than)}))
            if page.older_than else None,
        ),
    )  # fmt: skip


@routes.post("/audit/verify")
@require(Role.MANAGER, Role.ADMIN)
async def verify_now(request: web.Request) -> web.Response:
    """Start walking the whole chain in the background; the result is recorded in the log and
    shown on every audit page (a million events take most of a minute: no request waits that)."""
    start_verification(request.config_dict, actor=manager(request).username)
    raise web.HTTPSeeOther("/audit")
