"""Outcomes: what the worker did, recorded once (then amended) as fields and an event."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import (
    ActorType,
    Contact,
    ContactStatus,
    Person,
)
from oncall.domain.chain import append_event
from oncall.domain.errors import Invalid

FORWARDED = "forwarded_to_day_team"  # the outcome routing gives calls sent to the daytime desk


class OutcomeCategory(StrEnum):
    ADVICE_GIVEN = "advice_given"
    VISIT_MADE = "visit_made"
    POLICE_PROTECTION = "police_protection"
    EMERGENCY_PLACEMENT = "emergency_placement"
    REFERRED_TO_DAY_TEAM = "referred_to_day_team"
    NO_ACTION = "no_action"
    OTHER = "other"


OUTCOME_LABELS = {
    OutcomeCategory.ADVICE_GIVEN: "Advice given",
    OutcomeCategory.VISIT_MADE: "Visit made",
    OutcomeCategory.POLICE_PROTECTION: "Police protection",
    OutcomeCategory.EMERGENCY_PLACEMENT: "Emergency placement",
    OutcomeCategory.REFERRED_TO_DAY_TEAM: "Referred to the day team",
    OutcomeCategory.NO_ACTION: "No further action",
    OutcomeCategory.OTHER: "Other",
}

AGENCIES = ("police", "hospital", "health", "education", "housing", "probation", "ambulance")
NOTES_LIMIT = 4000


class OutcomeError(Invalid):
    """The outcome cannot be recorded; the message says why (shown to the worker)."""


@dataclass(frozen=True, slots=True)
class RecordedOutcome:
    contact_id: int
    reference: str
    amended: bool  # an outcome was already recorded and this replaced it


async def record_outcome(
    session: AsyncSession,
    contact_id: int,
    *,
    person_id: int | None,
    category: str,
    notes: str = "",
    agencies_informed: Sequence[str] = (),
    case_reference: str = "",
    day_team_follow_up: bool = False,
    at: datetime,
    via: str = "link",
) -> RecordedOutcome:
    """Record what was done about a contact: its fields, and an `outcome.recorded` event.

    Called by the outcome page (`via="link"`) and by the escalation engine on a DONE SMS
    (`via="sms"`). A second call amends the outcome (`outcome.amended`); both stay in the log.
    Runs in the caller's transaction; the caller commits. Raises OutcomeError on bad input.
    """
    try:
        chosen = OutcomeCategory(category.strip().lower())
    except ValueError:
        raise OutcomeError("category", f"unknown outcome category {category!r}") from None
    contact = await session.get(Contact, contact_id, with_for_update={"key_share": True})
    if contact is None:
        raise OutcomeError("contact", f"no contact {contact_id}")
    person = await session.get(Person, person_id) if person_id is not None else None
    if person_id is not None and person is None:
        raise OutcomeError("person", f"no person {person_id}")
    agencies = sorted({a.strip().lower()[:40] for a in agencies_informed if a.strip()})
    notes = notes.strip()[:NOTES_LIMIT]
    case_reference = case_reference.strip()[:40]
    amended = contact.outcome is not None and contact.outcome != FORWARDED
    contact.outcome = chosen.value
    contact.outcome_notes = notes
    contact.agencies_informed = agencies
    contact.case_reference = case_reference
    contact.day_team_follow_up = (
        day_team_follow_up or chosen is OutcomeCategory.REFERRED_TO_DAY_TEAM
    )
    contact.status = ContactStatus.CLOSED.value
    if contact.resolved_at is None:
        contact.resolved_at = at
    if contact.handled_by_id is None and person is not None:
        contact.handled_by_id = person.id
    await append_event(
        session,
        kind="outcome.amended" if amended else "outcome.recorded",
        at=at,
        contact_id=contact.id,
        actor_type=ActorType.PERSON if person else ActorType.SYSTEM,
        actor=person.code if person else "",
        details={
            "category": chosen.value,
            "notes": notes,
            "agencies_informed": agencies,
            "case_reference": case_reference,
            "day_team_follow_up": contact.day_team_follow_up,
            "via": via,
        },
    )
    return RecordedOutcome(contact.id, contact.reference, amended)
