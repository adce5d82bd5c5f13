"""Retention: blank old events' details, contacts' personal data and missing episodes' notes; the
hash chain still verifies.

An event's hash covers its details only by digest, and the database allows exactly one change to
an event: replacing its details with {"redacted": ...} (a trigger refuses anything else). So a
redacted event still links into the chain; what it said is gone. The redaction is itself an event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, CursorResult, cast, func, or_, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import ActorType, Contact, EpisodeStatus, Event, MissingEpisode
from oncall.domain.chain import EventKind, append_event

REDACTED = EventKind.AUDIT_REDACTED
# Kept whole: the log's own bookkeeping holds no caller's or child's details.
KEPT_KINDS = (EventKind.AUDIT_REDACTED, EventKind.AUDIT_VERIFIED, EventKind.HANDOVER_PREPARED)


@dataclass(frozen=True, slots=True)
class Redaction:
    before: datetime
    events: int
    contacts: int
    episodes: int = 0  # missing episodes whose notes were blanked


def _not_redacted(dialect: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        has_key: ColumnElement[bool] = cast(Event.details, JSONB).has_key("redacted")
        return ~has_key
    return func.json_extract(Event.details, "$.redacted").is_(None)


async def redact_before(
    session: AsyncSession, *, before: datetime, at: datetime, actor: str = "", reason: str = ""
) -> Redaction:
    """Redact event details, contacts' notes, numbers and recordings, and the notes of missing
    episodes no longer open, from before `before`.

    One UPDATE per table (fast on a million events), then one `audit.redacted` event saying how
    many rows and up to when. Runs in the caller's transaction; the caller commits.
    """
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    label = reason or f"retention: before {before.date().isoformat()}"
    events = await session.execute(
        update(Event)
        .where(Event.occurred_at < before, Event.kind.not_in(KEPT_KINDS), _not_redacted(dialect))
        .values(details={"redacted": label})
        .execution_options(synchronize_session=False)
    )
    contacts = await session.execute(
        update(Contact)
        .where(
            Contact.received_at < before,
            or_(
                Contact.outcome_notes != "",
                Contact.caller_number != "",
                Contact.recording_url.is_not(None),
            ),
        )
        .values(outcome_notes="", caller_number="", recording_url=None)
        .execution_options(synchronize_session=False)
    )
    episodes = await session.execute(
        update(MissingEpisode)
        .where(
            MissingEpisode.reported_at < before,
            MissingEpisode.status != EpisodeStatus.OPEN.value,  # a child still missing: kept
            MissingEpisode.notes != "",
        )
        .values(notes="")
        .execution_options(synchronize_session=False)
    )
    assert isinstance(events, CursorResult) and isinstance(contacts, CursorResult)
    assert isinstance(episodes, CursorResult)
    result = Redaction(before, events.rowcount or 0, contacts.rowcount or 0, episodes.rowcount or 0)
    await append_event(
        session, kind=REDACTED, at=at,
        actor_type=ActorType.USER if actor else ActorType.SYSTEM, actor=actor[:80],
        details={"before": before.isoformat(), "events": result.events,
                 "contacts": result.contacts, "episodes": result.episodes, "reason": label},
    )  # fmt: skip
    return result
