"""Corrections to an episode on the web (risk, where from, times, case reference, notes) and the
day team's return home interview: offered, then completed or declined, each with its date."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import (
    Contact,
    EpisodeStatus,
    InterviewResult,
    MissingEpisode,
    MissingFrom,
    ReturnPlace,
    Risk,
)
from oncall.domain.chain import EventKind
from oncall.domain.missing.config import MissingConfig
from oncall.domain.missing.episodes import (
    RISK_RANK,
    Actor,
    alert_by_risk,
    checked_notes,
    choice,
    episode_event,
    first_contact_id,
    locked_episode,
    not_after,
    open_episode_of,
)
from oncall.domain.missing.errors import EpisodeConflict, EpisodeInvalid

INTERVIEW_STEPS = ("offered", "completed", "declined")


def _shown(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value


async def update_episode(
    session: AsyncSession,
    config: MissingConfig,
    episode_id: int,
    *,
    by: Actor,
    at: datetime,
    case_reference: str | None = None,
    risk: str | None = None,
    missing_from: str | None = None,
    reported_at: datetime | None = None,
    returned_at: datetime | None = None,
    return_place: str | None = None,
    notes: str | None = None,
) -> MissingEpisode:
    """Change the fields given (None: unchanged); one `missing.updated` event lists what changed,
    old and new. A risk raised to medium or high alerts the senior manager as a report would.
    Every field is checked before anything changes."""
    episode = await locked_episode(session, episode_id)
    if episode.status == EpisodeStatus.WITHDRAWN:
        raise EpisodeConflict("the episode is withdrawn: it cannot be changed")
    wanted: dict[str, Any] = {}
    if case_reference is not None:
        wanted["case_reference"] = config.case_reference_of(case_reference)
    if risk is not None:
        wanted["risk"] = choice("risk", risk, Risk)
    if missing_from is not None:
        wanted["missing_from"] = choice("missing_from", missing_from, MissingFrom)
    if reported_at is not None:
        wanted["reported_at"] = not_after("reported_at", reported_at, at)
    if returned_at is not None or return_place is not None:
        if episode.status != EpisodeStatus.RETURNED:
            raise EpisodeInvalid("returned_at", "record the return first")
        if returned_at is not None:
            wanted["returned_at"] = not_after("returned_at", returned_at, at)
            wanted["interview_due_at"] = wanted["returned_at"] + config.interview_after
        if return_place is not None:
            wanted["return_place"] = choice("return_place", return_place, ReturnPlace)
    if notes is not None:
        wanted["notes"] = checked_notes(notes)
    back = wanted.get("returned_at", episode.returned_at)
    if back is not None and back < wanted.get("reported_at", episode.reported_at):
        raise EpisodeInvalid("returned_at", "cannot be before the child was reported missing")
    case = wanted.get("case_reference", episode.case_reference)
    if episode.status == EpisodeStatus.OPEN and case != episode.case_reference:
        other = await open_episode_of(session, case)
        if other is not None:
            raise EpisodeConflict("that case reference already has an open episode")
    changes = {
        name: [_shown(getattr(episode, name)), _shown(value)]
        for name, value in wanted.items()
        if getattr(episode, name) != value
    }
    if not changes:
        return episode
    raised = "risk" in changes and RISK_RANK[wanted["risk"]] > RISK_RANK[episode.risk]
    for name in changes:
        setattr(episode, name, wanted[name])
    episode.updated_at = at
    await episode_event(
        session, episode, kind=EventKind.MISSING_UPDATED, by=by, at=at, contact_id=None,
        details={"changes": changes},
    )  # fmt: skip
    if raised and episode.status == EpisodeStatus.OPEN:
        contact_id = await first_contact_id(session, episode.id)
        contact = await session.get(Contact, contact_id) if contact_id else None
        await alert_by_risk(session, episode, contact, by, at)
    return episode


async def record_interview(
    session: AsyncSession,
    episode_id: int,
    *,
    step: str,
    on: datetime,
    by: Actor,
    at: datetime,
) -> MissingEpisode:
    """The return home interview was offered, completed or declined on `on` (not in the future,
    not before the return). Completed or declined means it was offered: when no offer was
    recorded, `on` is the offer's date too. Once offered the day team's task is done."""
    episode = await locked_episode(session, episode_id)
    if step not in INTERVIEW_STEPS:
        raise EpisodeInvalid("interview", f"must be one of {', '.join(INTERVIEW_STEPS)}")
    if episode.status != EpisodeStatus.RETURNED or episode.returned_at is None:
        raise EpisodeConflict("the interview follows the return: record the return first")
    on = not_after("interview_date", on, at)
    if on < episode.returned_at:
        raise EpisodeInvalid("interview_date", "cannot be before the child returned")
    if episode.interview_result is not None:
        raise EpisodeConflict(f"the interview was already recorded as {episode.interview_result}")
    if step == "offered":
        if episode.interview_offered_at is not None:
            raise EpisodeConflict("the interview was already recorded as offered")
        episode.interview_offered_at = on
    else:
        offered = episode.interview_offered_at
        if offered is not None and on < offered:
            raise EpisodeInvalid("interview_date", "cannot be before the interview was offered")
        episode.interview_offered_at = offered or on
        episode.interview_result = InterviewResult(step)
        episode.interview_result_at = on
    episode.interview_recorded_by, episode.updated_at = by.name[:80], at
    await episode_event(
        session, episode, kind=EventKind.MISSING_INTERVIEW, by=by, at=at, contact_id=None,
        details={"step": step, "on": on.isoformat(),
                 "due": episode.interview_due_at.isoformat() if episode.interview_due_at else None},
    )  # fmt: skip
    return episode
