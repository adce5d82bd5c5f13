"""Opening an episode, adding a later night's contact to it, recording the return, editing and
withdrawing it: each change one event in the hash chain, in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import (
    ActorType,
    AlertKind,
    Contact,
    EpisodeContact,
    EpisodeStatus,
    MissingEpisode,
    MissingFrom,
    ReturnPlace,
    Risk,
)
from oncall.domain.chain import EventKind, append_event
from oncall.domain.escalation import raise_alert
from oncall.domain.missing.config import REPEAT_WINDOW, MissingConfig
from oncall.domain.missing.errors import EpisodeConflict, EpisodeInvalid, EpisodeNotFound

NOTES_LIMIT = 4000
# A report by text or link about a child missing at this risk alerts the senior manager on call;
# low risk raises no alert (it is on the morning's missing meeting pack).
ALERT_OF_RISK = {
    Risk.HIGH: AlertKind.MISSING_HIGH,
    Risk.MEDIUM: AlertKind.MISSING_MEDIUM,
}
RISK_RANK: dict[str, int] = {Risk.LOW: 0, Risk.MEDIUM: 1, Risk.HIGH: 2}
_TABLE = cast(Table, MissingEpisode.__table__)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who changes an episode: a person on the staff list (by text or outcome link) or a user."""

    name: str  # a person's code or a user name
    via: str  # sms, link or web
    person_id: int | None = None

    @property
    def actor_type(self) -> ActorType:
        return ActorType.PERSON if self.person_id is not None else ActorType.USER


@dataclass(frozen=True, slots=True)
class Opened:
    episode: MissingEpisode
    joined: bool  # the case already had an open episode: the contact was added to it
    repeat: bool  # another episode of the case was reported in the 30 days before
    alerted: bool  # an alert now chases the senior manager on call


def choice(field: str, raw: str | None, allowed: type[Risk | MissingFrom | ReturnPlace]) -> str:
    value = (raw or "").strip().lower()
    if value not in {a.value for a in allowed}:
        options = ", ".join(a.value.replace("_", " ") for a in allowed)
        raise EpisodeInvalid(field, f"must be one of {options}")
    return value


def checked_notes(raw: str) -> str:
    notes = raw.strip()
    if len(notes) > NOTES_LIMIT:
        raise EpisodeInvalid("notes", f"at most {NOTES_LIMIT} characters")
    return notes


def not_after(field: str, when: datetime, now: datetime) -> datetime:
    """`when` in UTC, refused if it lies after `now`. In UTC, because adding hours to a local
    time in Python moves the clock face, not time: 72 hours across a DST change would be 71."""
    if when.tzinfo is None:
        raise EpisodeInvalid(field, "needs a time zone")
    if when > now:
        raise EpisodeInvalid(field, "cannot be in the future")
    return when.astimezone(UTC)


async def episode_event(
    session: AsyncSession,
    episode: MissingEpisode,
    *,
    kind: EventKind,
    by: Actor,
    at: datetime,
    contact_id: int | None,
    details: dict[str, Any],
) -> None:
    """One event about an episode, on the contact it came through (else its first contact), so
    it shows on that contact's timeline; the case reference goes with it, never a note's words
    into a log line."""
    if contact_id is None:
        contact_id = await first_contact_id(session, episode.id)
    await append_event(
        session, kind=kind, at=at, contact_id=contact_id, actor_type=by.actor_type,
        actor=by.name[:80],
        details={"episode": episode.id, "case_reference": episode.case_reference,
                 "via": by.via, **details},
    )  # fmt: skip


async def first_contact_id(session: AsyncSession, episode_id: int) -> int | None:
    return await session.scalar(
        select(EpisodeContact.contact_id)
        .where(EpisodeContact.episode_id == episode_id)
        .order_by(EpisodeContact.added_at, EpisodeContact.id)
        .limit(1)
    )


async def is_repeat(session: AsyncSession, episode: MissingEpisode) -> bool:
    """Another (not withdrawn) episode of the same case reported in the 30 days before this."""
    found = await session.scalar(
        select(MissingEpisode.id)
        .where(
            MissingEpisode.case_reference == episode.case_reference,
            MissingEpisode.id != episode.id,
            MissingEpisode.status != EpisodeStatus.WITHDRAWN,
            MissingEpisode.reported_at >= episode.reported_at - REPEAT_WINDOW,
            MissingEpisode.reported_at <= episode.reported_at,
        )
        .limit(1)
    )
    return found is not None


async def open_episode_of(session: AsyncSession, case_reference: str) -> MissingEpisode | None:
    """The case's open episode, locked for this transaction."""
    return await session.scalar(
        select(MissingEpisode)
        .where(
            MissingEpisode.case_reference == case_reference,
            MissingEpisode.status == EpisodeStatus.OPEN,
        )
        .with_for_update()
    )


async def _link(
    session: AsyncSession, episode: MissingEpisode, contact: Contact, at: datetime
) -> bool:
    """Tie a contact to the episode; False when it already was."""
    linked = await session.scalar(
        select(EpisodeContact.id).where(
            EpisodeContact.episode_id == episode.id, EpisodeContact.contact_id == contact.id
        )
    )
    if linked is not None:
        return False
    session.add(EpisodeContact(episode_id=episode.id, contact_id=contact.id, added_at=at))
    await session.flush()
    return True


async def alert_by_risk(
    session: AsyncSession, episode: MissingEpisode, contact: Contact | None, by: Actor, at: datetime
) -> bool:
    alert_kind = ALERT_OF_RISK.get(episode.risk)
    if alert_kind is None:
        return False
    await raise_alert(session, contact, kind=alert_kind, at=at, person_id=by.person_id)
    return True


async def open_episode(
    session: AsyncSession,
    config: MissingConfig,
    *,
    case_reference: str,
    risk: str,
    by: Actor,
    at: datetime,
    contact: Contact | None = None,
    missing_from: str | None = None,
    reported_at: datetime | None = None,
    notes: str = "",
) -> Opened:
    """Open an episode (or, when the case has one open and a contact is given, add the contact to
    it: a later night's call about the same child), and alert the senior manager by risk.

    Refuses, changing nothing, a case reference not of the set form, an unknown risk or place,
    a report time in the future, and a second open episode of a case from the web.
    """
    case = config.case_reference_of(case_reference)
    risk = choice("risk", risk, Risk)
    place = choice("missing_from", missing_from, MissingFrom) if missing_from else None
    notes = checked_notes(notes)
    reported = not_after("reported_at", reported_at, at) if reported_at else None
    reported = reported or (contact.received_at if contact is not None else at).astimezone(UTC)
    existing = await open_episode_of(session, case)
    if existing is None:
        dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        # Two reports of one case at once (two replicas): one insert wins, the other joins it.
        new_id = await session.scalar(
            insert(_TABLE)
            .values(
                case_reference=case,
                risk=risk,
                missing_from=place,
                status=EpisodeStatus.OPEN,
                reported_at=reported,
                opened_at=at,
                opened_by=by.name[:80],
                opened_via=by.via,
                returned_recorded_by="",
                notes=notes,
                interview_recorded_by="",
                updated_at=at,
            )
            .on_conflict_do_nothing(
                index_elements=["case_reference"],
                # A literal, as in the index: PostgreSQL matches the partial index by its text,
                # and a bound parameter stops matching once a generic plan is used.
                index_where=text("status = 'open'"),
            )
            .returning(_TABLE.c.id)
        )
        if new_id is not None:
            episode = await session.get(MissingEpisode, new_id)
            assert episode is not None  # inserted just above
            if contact is not None:
                await _link(session, episode, contact, at)
            repeat = await is_repeat(session, episode)
            await episode_event(
                session, episode, kind=EventKind.MISSING_OPENED, by=by, at=at,
                contact_id=contact.id if contact else None,
                details={"risk": risk, "missing_from": place, "repeat": repeat,
                         "reported_at": reported.isoformat(), "notes": notes},
            )  # fmt: skip
            alerted = await alert_by_risk(session, episode, contact, by, at)
            return Opened(episode, joined=False, repeat=repeat, alerted=alerted)
        existing = await open_episode_of(session, case)
        assert existing is not None  # the conflicting insert is the open episode
    if contact is None:
        raise EpisodeConflict(
            "this case already has an open episode: open it and record the new report there"
        )
    return await _join(session, existing, contact, risk=risk, by=by, at=at)


async def _join(
    session: AsyncSession, episode: MissingEpisode, contact: Contact, *, risk: str, by: Actor,
    at: datetime,
) -> Opened:  # fmt: skip
    """A later contact about a child still missing: tie it on; a higher risk replaces the old."""
    added = await _link(session, episode, contact, at)
    raised = RISK_RANK[risk] > RISK_RANK[episode.risk]
    if added or raised:
        before = episode.risk
        if raised:
            episode.risk, episode.updated_at = Risk(risk), at
        await episode_event(
            session, episode, kind=EventKind.MISSING_CONTACT_ADDED, by=by, at=at,
            contact_id=contact.id, details={"risk": episode.risk, "risk_before": before},
        )  # fmt: skip
    alerted = await alert_by_risk(session, episode, contact, by, at) if raised else False
    return Opened(episode, joined=True, repeat=await is_repeat(session, episode), alerted=alerted)


async def locked_episode(session: AsyncSession, episode_id: int) -> MissingEpisode:
    episode = await session.get(MissingEpisode, episode_id, with_for_update=True)
    if episode is None:
        raise EpisodeNotFound(f"no missing episode {episode_id}")
    return episode


async def record_return(
    session: AsyncSession,
    config: MissingConfig,
    episode: MissingEpisode,
    *,
    returned_at: datetime,
    by: Actor,
    at: datetime,
    place: str | None = None,
    contact: Contact | None = None,
) -> MissingEpisode:
    """The child is back (returned or found): the episode closes and the return home interview
    falls due ONCALL_RETURN_INTERVIEW_HOURS later (fixed now, whatever the setting becomes)."""
    if episode.status != EpisodeStatus.OPEN:
        raise EpisodeConflict(f"the episode is {episode.status}: its return cannot be recorded")
    returned_at = not_after("returned_at", returned_at, at)
    if returned_at < episode.reported_at:
        raise EpisodeInvalid("returned_at", "cannot be before the child was reported missing")
    where = ReturnPlace(choice("return_place", place, ReturnPlace)) if place else None
    if contact is not None:
        await _link(session, episode, contact, at)
    episode.status, episode.returned_at, episode.return_place = (
        EpisodeStatus.RETURNED, returned_at, where,
    )  # fmt: skip
    episode.returned_recorded_by = by.name[:80]
    episode.interview_due_at = returned_at + config.interview_after
    episode.updated_at = at
    await episode_event(
        session, episode, kind=EventKind.MISSING_RETURNED, by=by, at=at,
        contact_id=contact.id if contact else None,
        details={"returned_at": returned_at.isoformat(), "return_place": where,
                 "interview_due_at": episode.interview_due_at.isoformat()},
    )  # fmt: skip
    return episode


async def withdraw_episode(
    session: AsyncSession, episode_id: int, *, reason: str, by: Actor, at: datetime
) -> MissingEpisode:
    """An episode recorded in error leaves every list and figure; it stays in the log."""
    episode = await locked_episode(session, episode_id)
    if episode.status == EpisodeStatus.WITHDRAWN:
        raise EpisodeConflict("the episode is already withdrawn")
    reason = reason.strip()
    if not reason:
        raise EpisodeInvalid("reason", "say why the episode is withdrawn")
    episode.status, episode.updated_at = EpisodeStatus.WITHDRAWN, at
    await episode_event(
        session, episode, kind=EventKind.MISSING_WITHDRAWN, by=by, at=at, contact_id=None,
        details={"reason": checked_notes(reason)},
    )  # fmt: skip
    return episode


async def contact_named(session: AsyncSession, raw: str) -> Contact | None:
    """The contact a person typed: its reference (OOH-2027-00042) or its 4 digits (the newest
    with them); None when nothing was typed. EpisodeInvalid names the field when none matches."""
    typed = raw.strip().upper()
    if not typed:
        return None
    if typed.isdigit() and len(typed) <= 4:
        query = select(Contact).where(Contact.short_ref == typed.zfill(4))
    else:
        query = select(Contact).where(Contact.reference == typed[:20])
    contact = await session.scalar(query.order_by(Contact.received_at.desc()).limit(1))
    if contact is None:
        raise EpisodeInvalid("contact", "no contact with that reference")
    return contact


async def return_on_contact(
    session: AsyncSession, config: MissingConfig, contact: Contact, *, episode_id: int,
    by: Actor, at: datetime,
) -> MissingEpisode:  # fmt: skip
    """The child of one of this contact's episodes is back now (the outcome link's button)."""
    linked = await session.scalar(
        select(EpisodeContact.id).where(
            EpisodeContact.episode_id == episode_id, EpisodeContact.contact_id == contact.id
        )
    )
    if linked is None:
        raise EpisodeNotFound("no such missing episode on this contact")
    episode = await locked_episode(session, episode_id)
    return await record_return(
        session, config, episode, returned_at=at, by=by, at=at, contact=contact
    )
