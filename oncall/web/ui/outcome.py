"""The mobile outcome page, reached from the SMS by a signed, short-lived link (no sign-in)."""

from __future__ import annotations

from aiohttp import web

from oncall import keys
from oncall.db.models import Contact, Line, MissingFrom, Person, Risk
from oncall.domain.errors import Conflict, Invalid
from oncall.domain.escalation import close_alerts_of_contact
from oncall.domain.missing import Actor, episodes_of_contact, open_episode, return_on_contact
from oncall.domain.outcomes import (
    AGENCIES,
    LONG_OUTCOME_PATH,
    OUTCOME_LABELS,
    OUTCOME_PATH,
    BadLink,
    OutcomeError,
    OutcomeGrant,
    read_outcome_token,
    record_outcome,
)
from oncall.domain.people import person_in_good_standing
from oncall.log import get_logger
from oncall.web.ui.render import render
from oncall.wiring import missing_rules

log = get_logger(__name__)
routes = web.RouteTableDef()
# The token is a bearer secret: no Referer to anywhere else, no copy in a shared cache.
_PRIVATE = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def _gone(message: str) -> web.HTTPGone:
    return web.HTTPGone(
        text=render(
            "outcome.html",
            {
                "error": f"Sorry, {message}. Reply DONE to the text instead, "
                "or ask the duty manager."
            },
        ).text,
        content_type="text/html",
        headers=_PRIVATE,
    )


async def _grant(request: web.Request) -> OutcomeGrant:
    """The link's grant, while the person it was texted to is still active (not deactivated,
    their user not disabled): a link dies with its owner, not only with its expiry."""
    try:
        grant = read_outcome_token(
            request.config_dict[keys.SIGNING_KEY],
            request.match_info["token"],
            now=request.config_dict[keys.CLOCK].now(),
        )
    except BadLink as exc:
        log.warning("outcome link refused", expired=exc.expired)
        raise _gone(str(exc)) from None
    async with request.config_dict[keys.DATABASE].sessions() as session:
        owner = await person_in_good_standing(session, grant.person_id)
    if owner is None:
        log.warning("outcome link refused: its person is no longer active")
        raise _gone("this link is no longer valid")
    return grant


async def _page(request: web.Request, grant: OutcomeGrant, **extra: object) -> web.Response:
    zone = request.config_dict[keys.SETTINGS].zone
    async with request.config_dict[keys.DATABASE].sessions() as session:
        contact = await session.get(Contact, grant.contact_id)
        person = await person_in_good_standing(session, grant.person_id)
        line = await session.get(Line, contact.line_id) if contact and contact.line_id else None
        episodes = await episodes_of_contact(session, contact.id) if contact else []
    if contact is None or person is None:
        raise web.HTTPNotFound(text="This contact is not known.")
    status = int(str(extra.pop("status", 200)))
    response = render(
        "outcome.html",
        {
            "contact": contact, "person": person, "line": line.name if line else "unknown line",
            "received": contact.received_at.astimezone(zone).strftime("%a %d %b %H:%M"),
            "outcomes": OUTCOME_LABELS, "agencies": AGENCIES, "error": None, "saved": False,
            "episodes": episodes, "risks": [r.value for r in Risk], "zone": zone,
            "base": f"{OUTCOME_PATH}{request.match_info['token']}", "missing_saved": "",
            "places": [p.value for p in MissingFrom], **extra,
        },
        status=status,
    )  # fmt: skip
    response.headers.update(_PRIVATE)
    return response


@routes.get(OUTCOME_PATH + "{token}")
@routes.get(LONG_OUTCOME_PATH + "{token}")
async def outcome_page(request: web.Request) -> web.Response:
    return await _page(request, await _grant(request))


@routes.post(OUTCOME_PATH + "{token}")
@routes.post(LONG_OUTCOME_PATH + "{token}")
async def outcome_post(request: web.Request) -> web.Response:
    grant = await _grant(request)  # the signed token is the authority: only its holder has the URL
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
        # The outcome closes the contact's alerts; the others already texted hear it is closed.
        person = await session.get(Person, grant.person_id)
        if person is not None:
            await close_alerts_of_contact(
                session, grant.contact_id, person=person,
                note=str(form.get("notes", "")).strip() or str(form.get("category", "")),
                at=request.config_dict[keys.CLOCK].now(),
                zone=request.config_dict[keys.SETTINGS].zone, via="link",
            )  # fmt: skip
        await session.commit()
    return await _page(request, grant, saved=True)


@routes.post(OUTCOME_PATH + "{token}/missing")
@routes.post(LONG_OUTCOME_PATH + "{token}/missing")
async def missing_post(request: web.Request) -> web.Response:
    """The child this contact is about is missing (`action=open`), or back (`action=found`): as
    MISSING and FOUND by text, for the link's worker."""
    grant = await _grant(request)
    form = await request.post()
    settings, now = request.config_dict[keys.SETTINGS], request.config_dict[keys.CLOCK].now()
    found = str(form.get("action", "")) == "found"
    async with request.config_dict[keys.DATABASE].sessions() as session:
        contact = await session.get(Contact, grant.contact_id, with_for_update={"key_share": True})
        person = await person_in_good_standing(session, grant.person_id)
        if contact is None or person is None:
            raise web.HTTPNotFound(text="This contact is not known.")
        by = Actor(person.code, "link", person.id)
        rules = missing_rules(settings)
        try:
            if found:
                episode = await return_on_contact(
                    session, rules, contact, episode_id=_number(form.get("episode")), by=by,
                    at=now,
                )  # fmt: skip
                due = (episode.interview_due_at or now).astimezone(settings.zone)
                said = f"Return recorded. The return home interview is due by {due:%a %d %b %H:%M}."
            else:
                opened = await open_episode(
                    session, rules, case_reference=str(form.get("case_reference", "")),
                    risk=str(form.get("risk", "")), by=by, at=now, contact=contact,
                    missing_from=str(form.get("missing_from", "")) or None,
                )  # fmt: skip
                said = "Missing episode recorded." + (
                    " The senior manager on call is being alerted." if opened.alerted else ""
                )
        except (Invalid, Conflict) as exc:
            await session.rollback()
            return await _page(request, grant, error=str(exc), status=400)
        await session.commit()
    return await _page(request, grant, missing_saved=said)


def _number(raw: object) -> int:
    text = str(raw or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else 0
