"""The managers' audit pages: filtered contacts, a contact's timeline, the chain's state."""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

from aiohttp import web

from oncall import keys
from oncall.db.models import Role
from oncall.domain.audit_log.contacts import (
    FilterError,
    filter_query,
    list_contacts,
    parse_filter,
    with_page_defaults,
)
from oncall.domain.audit_log.outcomes import OUTCOME_LABELS
from oncall.domain.audit_log.reads import chain_status, verify_and_record
from oncall.domain.audit_log.timeline import contact_timeline
from oncall.log import get_logger
from oncall.web.auth import require
from oncall.web.ui.audit_common import AUDIT_JOBS, logged_read, manager, now, page_context
from oncall.web.ui.render import render

log = get_logger(__name__)
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
    try:
        asked = parse_filter(request.query)
    except FilterError as exc:
        raise web.HTTPBadRequest(reason=str(exc)) from None
    zone = request.config_dict[keys.SETTINGS].zone
    f = with_page_defaults(asked, today=now(request).astimezone(zone).date())
    page_no = _page_number(request)
    async with request.config_dict[keys.DATABASE].sessions() as session:
        page = await list_contacts(session, f, zone=zone, page=page_no)
        status = await chain_status(session)
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


@routes.get("/audit/contacts/{contact_id:\\d+}")
@require(Role.MANAGER, Role.ADMIN)
async def contact_page(request: web.Request) -> web.Response:
    contact_id = int(request.match_info["contact_id"])
    async with request.config_dict[keys.DATABASE].sessions() as session:
        timeline = await contact_timeline(session, contact_id)
        if timeline is None:
            raise web.HTTPNotFound(reason="no such contact")
        status = await chain_status(session)
        await logged_read(request, session, "contact timeline", contact_id=contact_id)
    return render(
        "audit/contact.html",
        page_context(request, t=timeline, status=status, outcomes=OUTCOME_LABELS),
    )


@routes.post("/audit/verify")
@require(Role.MANAGER, Role.ADMIN)
async def verify_now(request: web.Request) -> web.Response:
    """Start walking the whole chain in the background; the result is recorded in the log and
    shown on every audit page (a million events take most of a minute: no request waits that)."""
    jobs = request.config_dict[AUDIT_JOBS]
    if not jobs.busy:
        database, clock = request.config_dict[keys.DATABASE], request.config_dict[keys.CLOCK]
        actor = manager(request).username

        async def verify() -> None:
            try:
                async with database.sessions() as session:
                    await verify_and_record(session, at=clock.now(), actor=actor)
                    await session.commit()
            except Exception:  # the page keeps showing the previous result
                log.exception("chain verification failed")

        jobs.verifying = asyncio.create_task(verify(), name="verify-chain")
        jobs.tasks.add(jobs.verifying)
        jobs.verifying.add_done_callback(jobs.tasks.discard)
    raise web.HTTPSeeOther("/audit")
