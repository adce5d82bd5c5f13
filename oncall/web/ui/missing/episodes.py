"""Episodes on the web: the list, opening one (with or without a contact), one episode's page,
and its changes (corrections, the return, the interview, withdrawal). Coordinators, managers and
admins; each read of episodes is logged as an audit read."""

from __future__ import annotations

from aiohttp import web

from oncall import keys
from oncall.db.models import EpisodeStatus, MissingFrom, ReturnPlace, Risk
from oncall.domain.missing import (
    INTERVIEW_STEPS,
    EpisodeNotFound,
    contact_named,
    episode_history,
    episode_view,
    interview_tasks,
    list_episodes,
    locked_episode,
    notes_of,
    open_episode,
    parse_episode_filter,
    record_interview,
    record_return,
    update_episode,
    withdraw_episode,
)
from oncall.web.auth import require
from oncall.web.ui.audit.common import logged_read
from oncall.web.ui.common import READERS, field, page, redirect
from oncall.web.ui.forms import refusal_notice, unit_of_work
from oncall.web.ui.missing.forms import episode_id, local_time, now_local, web_actor
from oncall.wiring import missing_rules

routes = web.RouteTableDef()
CHOICES = {
    "risks": [r.value for r in Risk],
    "places": [p.value for p in MissingFrom],
    "return_places": [p.value for p in ReturnPlace],
    "steps": INTERVIEW_STEPS,
    "statuses": [s.value for s in EpisodeStatus],
}


@routes.get("/missing")
@require(*READERS)
async def episodes_page(request: web.Request) -> web.Response:
    with refusal_notice("/missing", "Filter not understood"):
        f = parse_episode_filter(request.query)
    zone = request.config_dict[keys.SETTINGS].zone
    async with request.config_dict[keys.DATABASE].sessions() as session:
        episodes = await list_episodes(session, f, zone=zone, page_size=200)
        tasks = await interview_tasks(session)
        query = {k: v for k, v in request.query.items() if k in ("status", "risk", "from", "to")}
        rows = len(episodes.rows)
        await logged_read(request, session, "missing episodes", query=query, rows=rows)
    now = request.config_dict[keys.CLOCK].now()
    return page(
        request,
        "missing/index.html",
        {"episodes": episodes, "f": f, "tasks": len(tasks), "overdue": sum(
            1 for t in tasks if t.interview_overdue(now)), "moment": now, **CHOICES},
    )  # fmt: skip


@routes.get("/missing/new")
@require(*READERS)
async def new_page(request: web.Request) -> web.Response:
    contact = ""
    raw = request.query.get("contact", "").strip()
    if raw:
        async with request.config_dict[keys.DATABASE].sessions() as session:
            with refusal_notice("/missing/new"):
                found = await contact_named(session, raw)
            contact = found.reference if found else ""
    return page(
        request,
        "missing/new.html",
        {"contact": contact, "reported": f"{now_local(request):%Y-%m-%dT%H:%M}", **CHOICES},
    )


@routes.post("/missing/new")
@require(*READERS)
async def new_post(request: web.Request) -> web.Response:
    form = await request.post()
    settings, now = request.config_dict[keys.SETTINGS], request.config_dict[keys.CLOCK].now()
    async with unit_of_work(request, back="/missing/new", refused="Not opened") as session:
        contact = await contact_named(session, field(form, "contact", 40))
        opened = await open_episode(
            session, missing_rules(settings), case_reference=field(form, "case_reference", 60),
            risk=field(form, "risk", 10), by=web_actor(request), at=now, contact=contact,
            missing_from=field(form, "missing_from", 30) or None,
            reported_at=local_time(field(form, "reported_at", 20), settings.zone, "reported_at"),
            notes=field(form, "notes", 5000),
        )  # fmt: skip
    said = "Contact added to the case's open episode." if opened.joined else "Episode opened."
    if opened.alerted:
        said += " The senior manager on call is being alerted."
    if opened.repeat:
        said += " A repeat: another episode of this case in the last 30 days."
    raise redirect(f"/missing/{opened.episode.id}", said)


@routes.get("/missing/{id:[0-9]+}")
@require(*READERS)
async def episode_page(request: web.Request) -> web.Response:
    number = episode_id(request)
    async with request.config_dict[keys.DATABASE].sessions() as session:
        episode = await episode_view(session, number)
        if episode is None:
            raise EpisodeNotFound(f"no missing episode {number}")
        history = await episode_history(session, episode)
        notes = await notes_of(session, number)
        first = episode.contact_ids[0] if episode.contact_ids else None
        await logged_read(request, session, "missing episode", contact_id=first,
                          query={"episode": str(number)})  # fmt: skip
    zone = request.config_dict[keys.SETTINGS].zone
    local = now_local(request)
    return page(
        request,
        "missing/episode.html",
        {
            "e": episode, "notes": notes, "history": history, "moment": local,
            "today": f"{local:%Y-%m-%dT%H:%M}",
            "reported_local": f"{episode.reported_at.astimezone(zone):%Y-%m-%dT%H:%M}",
            **CHOICES,
        },
    )  # fmt: skip


def _back(request: web.Request, form: object) -> str:
    """Where a change goes back to: the episode, or the interview tasks when posted from there."""
    wanted = field(form, "back", 40)
    return wanted if wanted == "/missing/interviews" else f"/missing/{episode_id(request)}"


@routes.post("/missing/{id:[0-9]+}/edit")
@require(*READERS)
async def edit_post(request: web.Request) -> web.Response:
    form = await request.post()
    settings, now = request.config_dict[keys.SETTINGS], request.config_dict[keys.CLOCK].now()
    back = _back(request, form)
    async with unit_of_work(request, back=back, refused="Not saved") as session:
        await update_episode(
            session, missing_rules(settings), episode_id(request), by=web_actor(request), at=now,
            case_reference=field(form, "case_reference", 60) or None,
            risk=field(form, "risk", 10) or None,
            missing_from=field(form, "missing_from", 30) or None,
            reported_at=local_time(field(form, "reported_at", 20), settings.zone, "reported_at"),
            returned_at=local_time(field(form, "returned_at", 20), settings.zone, "returned_at"),
            return_place=field(form, "return_place", 20) or None,
            notes=field(form, "notes", 5000) if "notes" in form else None,
        )  # fmt: skip
    raise redirect(back, "Saved.")


@routes.post("/missing/{id:[0-9]+}/return")
@require(*READERS)
async def return_post(request: web.Request) -> web.Response:
    form = await request.post()
    settings, now = request.config_dict[keys.SETTINGS], request.config_dict[keys.CLOCK].now()
    back = _back(request, form)
    async with unit_of_work(request, back=back, refused="Return not recorded") as session:
        episode = await locked_episode(session, episode_id(request))
        returned = local_time(field(form, "returned_at", 20), settings.zone, "returned_at")
        await record_return(
            session, missing_rules(settings), episode, returned_at=returned or now,
            by=web_actor(request), at=now, place=field(form, "return_place", 20) or None,
            contact=await contact_named(session, field(form, "contact", 40)),
        )  # fmt: skip
        due = episode.interview_due_at
    when = due.astimezone(settings.zone).strftime("%a %d %b %H:%M") if due else "?"
    raise redirect(back, f"Return recorded. The return home interview is due by {when}.")


@routes.post("/missing/{id:[0-9]+}/interview")
@require(*READERS)
async def interview_post(request: web.Request) -> web.Response:
    form = await request.post()
    settings, now = request.config_dict[keys.SETTINGS], request.config_dict[keys.CLOCK].now()
    back = _back(request, form)
    step = field(form, "step", 12)
    async with unit_of_work(request, back=back, refused="Interview not recorded") as session:
        on = local_time(field(form, "on", 20), settings.zone, "interview_date")
        episode = await record_interview(
            session, episode_id(request), step=step, on=on or now, by=web_actor(request), at=now
        )
    raise redirect(back, f"Return home interview of {episode.case_reference} recorded as {step}.")


@routes.post("/missing/{id:[0-9]+}/withdraw")
@require(*READERS)
async def withdraw_post(request: web.Request) -> web.Response:
    form = await request.post()
    now = request.config_dict[keys.CLOCK].now()
    number = episode_id(request)
    async with unit_of_work(request, back=f"/missing/{number}", refused="Not withdrawn") as session:
        await withdraw_episode(
            session, number, reason=field(form, "reason", 500), by=web_actor(request), at=now
        )
    raise redirect(f"/missing/{number}", "Withdrawn: the episode is out of every list and figure.")
