"""The mobile outcome page, reached from the SMS by a signed, short-lived link (no sign-in)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from aiohttp import web

from oncall import keys
from oncall.db.models import Contact, Line, Person
from oncall.domain.outcomes.links import (
    LONG_OUTCOME_PATH,
    OUTCOME_PATH,
    BadLink,
    OutcomeGrant,
    OutcomeLinks,
    read_outcome_token,
)
from oncall.domain.outcomes.record import (
    AGENCIES,
    OUTCOME_LABELS,
    OutcomeError,
    record_outcome,
)
from oncall.log import get_logger
from oncall.settings import Settings
from oncall.web.auth import SECRET, session_secret
from oncall.web.ui.render import render

log = get_logger(__name__)
routes = web.RouteTableDef()
# The token is a bearer secret: no Referer to anywhere else, no copy in a shared cache.
_PRIVATE = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def outcome_links(config: Mapping[Any, Any]) -> OutcomeLinks:
    """The app's outcome links (its signing key, public URL and ONCALL_OUTCOME_LINK_HOURS);
    `config` is `app` or `request.config_dict`."""
    settings: Settings = config[keys.SETTINGS]
    return OutcomeLinks(
        config[SECRET], settings.public_url, timedelta(hours=settings.outcome_link_hours)
    )


def settings_links(settings: Settings) -> OutcomeLinks | None:
    """Outcome links outside the server (the CLI): only with ONCALL_SECRET_KEY, which the
    server signs with too; without it the server's key is random and a link would not work."""
    if not settings.secret_key:
        return None
    secret = session_secret(settings.secret_key)
    return OutcomeLinks(secret, settings.public_url, timedelta(hours=settings.outcome_link_hours))


def _grant(request: web.Request) -> OutcomeGrant:
    try:
        return read_outcome_token(
            request.config_dict[SECRET],
            request.match_info["token"],
            now=request.config_dict[keys.CLOCK].now(),
        )
    except BadLink as exc:
        log.warning("outcome link refused", expired=exc.expired)
        raise web.HTTPGone(
            text=render(
                "outcome.html",
                {
                    "error": f"Sorry, {exc}. Reply DONE to the text instead, "
                    "or ask the duty manager."
                },
            ).text,
            content_type="text/html",
            headers=_PRIVATE,
        ) from None


async def _page(request: web.Request, grant: OutcomeGrant, **extra: object) -> web.Response:
    zone = request.config_dict[keys.SETTINGS].zone
    async with request.config_dict[keys.DATABASE].sessions() as session:
        contact = await session.get(Contact, grant.contact_id)
        person = await session.get(Person, grant.person_id)
        line = await session.get(Line, contact.line_id) if contact and contact.line_id else None
    if contact is None or person is None:
        raise web.HTTPNotFound(text="This contact is not known.")
    status = int(str(extra.pop("status", 200)))
    response = render(
        "outcome.html",
        {
            "contact": contact, "person": person, "line": line.name if line else "unknown line",
            "received": contact.received_at.astimezone(zone).strftime("%a %d %b %H:%M"),
            "outcomes": OUTCOME_LABELS, "agencies": AGENCIES, "error": None, "saved": False,
            **extra,
        },
        status=status,
    )  # fmt: skip
    response.headers.update(_PRIVATE)
    return response


@routes.get(OUTCOME_PATH + "{token}")
@routes.get(LONG_OUTCOME_PATH + "{token}")
async def outcome_page(request: web.Request) -> web.Response:
    return await _page(request, _grant(request))


@routes.post(OUTCOME_PATH + "{token}")
@routes.post(LONG_OUTCOME_PATH + "{token}")
async def outcome_post(request: web.Request) -> web.Response:
    grant = _grant(request)  # the signed token is the authority: only its holder has the URL
    form = await request.post()
    agencies = [str(v) for v in form.getall("agencies", []) if str(v) in AGENCIES]
    async with request.config_dict[keys.DATABASE].sessions() as session:
        try:
            await record_outcome(
                session,
                grant.contact_id,
                person_id=grant.person_id,
                category=str(form.get("category", "")),
                notes=str(form.get("notes", "")),
                agencies_informed=agencies,
                case_reference=str(form.get("case_reference", "")),
                day_team_follow_up=str(form.get("follow_up", "")) == "1",
                at=request.config_dict[keys.CLOCK].now(),
                via="link",
            )
        except OutcomeError as exc:
            await session.rollback()
            return await _page(request, grant, error=str(exc), status=400)
        await session.commit()
    return await _page(request, grant, saved=True)
