"""An alert's lifecycle after it is raised: acknowledge, resolve, cancel, escalate at once."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import (
    ActorType,
    Alert,
    AlertKind,
    AlertStatus,
    Channel,
    Contact,
    OutboundMessage,
    OutboxStatus,
    Person,
)
from oncall.domain.chain import EventKind, append_event
from oncall.domain.escalation.facts import facts_of
from oncall.domain.escalation.policies import policy_by_id
from oncall.domain.outbox import queue as outbox
from oncall.domain.outcomes import FORWARDED, OutcomeCategory, record_outcome
from oncall.domain.texts.staff import closed_elsewhere_notice, owned_elsewhere_notice
from oncall.log import get_logger

log = get_logger(__name__)

LIVE = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)
# DONE by text carries free words; a first word naming a category sets it, else "other" (the
# outcome page can refine it later).
_CATEGORY_WORDS = {
    "advice": OutcomeCategory.ADVICE_GIVEN,
    "visit": OutcomeCategory.VISIT_MADE,
    "visited": OutcomeCategory.VISIT_MADE,
    "pp": OutcomeCategory.POLICE_PROTECTION,
    "placement": OutcomeCategory.EMERGENCY_PLACEMENT,
    "placed": OutcomeCategory.EMERGENCY_PLACEMENT,
    "dayteam": OutcomeCategory.REFERRED_TO_DAY_TEAM,
    "referred": OutcomeCategory.REFERRED_TO_DAY_TEAM,
    "nfa": OutcomeCategory.NO_ACTION,
}


def outcome_category(note: str) -> str:
    """The outcome category a DONE note names by its first word ("advice …", "nfa …")."""
    first = note.split(maxsplit=1)[0].strip(".:,;-").lower() if note.strip() else ""
    return _CATEGORY_WORDS.get(first, OutcomeCategory.OTHER).value


# Missed calls, voicemails, texts and a missing outcome fold into a contact's live alert; an
# advice request and a shift alert are alerts of their own.
_FOLDED = frozenset({
    AlertKind.MISSED_CALL, AlertKind.VOICEMAIL, AlertKind.INBOUND_SMS, AlertKind.NO_OUTCOME,
})  # fmt: skip
_SUMMARIES = {
    AlertKind.MISSED_CALL: "call missed",
    AlertKind.VOICEMAIL: "voicemail left",
    AlertKind.INBOUND_SMS: "text message",
    AlertKind.ADVICE_REQUEST: "senior advice requested",
    AlertKind.SHIFT_UNCONFIRMED: "shift not confirmed",
    AlertKind.NO_OUTCOME: "no outcome recorded",
    # Never the child's details, not even the case reference: the contact's reference and risk.
    AlertKind.MISSING_HIGH: "missing child, HIGH RISK",
    AlertKind.MISSING_MEDIUM: "missing child, medium risk",
}


async def raise_alert(
    session: AsyncSession,
    contact: Contact | None,
    *,
    kind: AlertKind,
    at: datetime,
    person_id: int | None = None,
) -> Alert:
    """The one way an alert is created; the escalation engine chases it from `at`.

    News about a contact (a missed call, a voicemail, a text, no outcome) folds into the
    contact's live alert, so a contact never has two at once; an advice request (about
    `contact`, asked by `person_id`) and a shift alert (about `person_id`, no contact) are new
    alerts of their own.
    """
    summary = _SUMMARIES[kind]
    if kind in _FOLDED:
        if contact is None:
            raise ValueError(f"a {kind} alert needs its contact")
        alert = await session.scalar(
            select(Alert).where(Alert.contact_id == contact.id, Alert.status.in_(LIVE))
        )
        if alert is not None:
            if alert.kind != kind:
                alert.kind, alert.summary = kind, summary
                await append_event(
                    session, kind=EventKind.ALERT_UPDATED, at=at, contact_id=contact.id,
                    details={"alert": alert.id, "alert_kind": kind.value},
                )  # fmt: skip
            return alert
    contact_id = contact.id if contact is not None else None
    alert = Alert(
        contact_id=contact_id, kind=kind.value, status=AlertStatus.OPEN,
        next_action_at=at, created_at=at, summary=summary, person_id=person_id,
    )  # fmt: skip
    session.add(alert)
    await session.flush()
    details: dict[str, object] = {"alert": alert.id, "alert_kind": kind.value}
    if kind not in _FOLDED:
        details["person"] = person_id
    await append_event(
        session, kind=EventKind.ALERT_RAISED, at=at, contact_id=contact_id, details=details
    )
    log.warning(
        "alert raised", alert=alert.id, alert_kind=kind.value,
        reference=contact.reference if contact is not None else None,
    )  # fmt: skip
    return alert


async def lock_contact_of(session: AsyncSession, alert_id: int) -> None:
    """Lock the contact an alert belongs to (if any), before the alert itself.

    One lock order for every writer: outbox row, contact, alert, pending outbox rows, chain head
    (as the transaction commits). Call webhooks lock the contact and then change its alert (a
    voicemail raises it); a DONE or ACK that locked the alert first and then the contact could
    deadlock with them on PostgreSQL. Contacts are locked FOR NO KEY UPDATE (`key_share`): an
    event or outbox row inserted for a contact takes FOR KEY SHARE on it (its foreign key), which
    a plain FOR UPDATE would block, so a writer holding the chain head or an alert could wait on
    a contact holder that waits on it.
    """
    owner = select(Alert.contact_id).where(Alert.id == alert_id).scalar_subquery()
    await session.execute(
        select(Contact.id).where(Contact.id == owner).with_for_update(of=Contact, key_share=True)
    )


async def lock_alert(session: AsyncSession, alert_id: int) -> Alert | None:
    """The alert, locked (its contact locked first: see `lock_contact_of`)."""
    await lock_contact_of(session, alert_id)
    return await session.get(Alert, alert_id, with_for_update=True)


async def acknowledge(
    session: AsyncSession,
    alert: Alert,
    *,
    person: Person,
    at: datetime,
    via: str,
    zone: ZoneInfo,
) -> bool:
    """Open → acknowledged by `person`; stop the timer, cancel unsent messages, tell the others.

    False when the alert was not open (already owned, resolved or cancelled).
    """
    if alert.status != AlertStatus.OPEN:
        return False
    alert.status, alert.acknowledged_at, alert.acknowledged_by_id = (
        AlertStatus.ACKNOWLEDGED, at, person.id,
    )  # fmt: skip
    alert.next_action_at = None
    contact = await session.get(Contact, alert.contact_id) if alert.contact_id else None
    if contact is not None and contact.acknowledged_at is None:
        contact.acknowledged_at = at
        contact.handled_by_id = contact.handled_by_id or person.id
    cancelled = await outbox.cancel_pending(session, alert_id=alert.id, now=at)
    await append_event(
        session, kind=EventKind.ALERT_ACKNOWLEDGED, at=at, contact_id=alert.contact_id,
        actor_type=ActorType.PERSON, actor=person.code,
        details={"alert": alert.id, "via": via, "unsent_cancelled": cancelled},
    )  # fmt: skip
    await _tell_others(session, alert, person, at, zone)
    return True


async def _tell_others(
    session: AsyncSession,
    alert: Alert,
    owner: Person,
    at: datetime,
    zone: ZoneInfo,
    *,
    closed: bool = False,
) -> None:
    """Everyone already texted about this alert hears it is owned (or closed, by DONE or the
    outcome page), so nobody else acts on it. Once each: an ACK then a DONE tells them once."""
    told = await session.execute(
        select(OutboundMessage.person_id, OutboundMessage.to_number, OutboundMessage.from_number)
        .where(
            OutboundMessage.alert_id == alert.id,
            OutboundMessage.channel == Channel.SMS,
            OutboundMessage.status != OutboxStatus.CANCELLED,
            OutboundMessage.step_index.is_not(None),  # sent by a step, not a notice
        )
        .distinct()
    )
    facts = await facts_of(session, alert)
    body = (closed_elsewhere_notice if closed else owned_elsewhere_notice)(
        facts, owner.name, at, zone
    )
    for person_id, to, from_ in told.all():
        if person_id is None or person_id == owner.id:
            continue
        await outbox.enqueue(
            session, dedupe_key=f"notice:alert:{alert.id}:owned:p{person_id}",
            channel=Channel.SMS, to=to, from_=from_, body=body, now=at,
            alert_id=alert.id, contact_id=alert.contact_id, person_id=person_id,
        )  # fmt: skip


async def resolve(
    session: AsyncSession,
    alert: Alert,
    *,
    person: Person,
    note: str,
    at: datetime,
    via: str,
    zone: ZoneInfo | None = None,
) -> bool:
    """Open or acknowledged → resolved, with the outcome note on the contact and in the log.

    Given `zone`, an alert closed while still open tells the others already texted, as ACK does
    (an acknowledged one told them then)."""
    if alert.status not in LIVE:
        return False
    was_open = alert.status == AlertStatus.OPEN
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by_id = at, person.id
    alert.status, alert.resolved_at, alert.next_action_at = AlertStatus.RESOLVED, at, None
    contact = await session.get(Contact, alert.contact_id) if alert.contact_id else None
    category = outcome_category(note)
    if contact is not None:
        contact.acknowledged_at = contact.acknowledged_at or at
        await note_outcome(session, contact, person=person, note=note, at=at, via=via)
    await outbox.cancel_pending(session, alert_id=alert.id, now=at)
    await append_event(
        session, kind=EventKind.ALERT_RESOLVED, at=at, contact_id=alert.contact_id,
        actor_type=ActorType.PERSON, actor=person.code,
        details={"alert": alert.id, "via": via, "outcome": category, "note": note},
    )  # fmt: skip
    if was_open and zone is not None:
        await _tell_others(session, alert, person, at, zone, closed=True)
    return True


async def note_outcome(
    session: AsyncSession, contact: Contact, *, person: Person, note: str, at: datetime, via: str
) -> None:
    """A DONE note about `contact`: its outcome (the category its first word names) when none is
    recorded yet, else its words added to the outcome's notes once."""
    if contact.outcome is None or contact.outcome == FORWARDED:
        await record_outcome(
            session, contact.id, person_id=person.id, category=outcome_category(note),
            notes=note, at=at, via=via,
        )  # fmt: skip
    elif note not in contact.outcome_notes:  # recorded already (the web form, or another
        # alert of this contact closed by the same DONE): keep it, add the words once, as an
        # amendment the log shows (`outcome.amended`), not a field changed behind its back
        await record_outcome(
            session, contact.id, person_id=person.id, category=contact.outcome,
            notes=f"{contact.outcome_notes}\n{note}", agencies_informed=contact.agencies_informed,
            case_reference=contact.case_reference,
            day_team_follow_up=contact.day_team_follow_up, at=at, via=via,
        )  # fmt: skip


async def cancel(
    session: AsyncSession, alert: Alert, *, at: datetime, by: str, reason: str
) -> bool:
    """Open or acknowledged → cancelled (raised in error, or the need went away)."""
    if alert.status not in LIVE:
        return False
    alert.status, alert.next_action_at = AlertStatus.CANCELLED, None
    await outbox.cancel_pending(session, alert_id=alert.id, now=at)
    await append_event(
        session, kind=EventKind.ALERT_CANCELLED, at=at, contact_id=alert.contact_id,
        actor_type=ActorType.USER, actor=by[:80], details={"alert": alert.id, "reason": reason},
    )  # fmt: skip
    return True


async def escalate_now(
    session: AsyncSession, message: OutboundMessage, at: datetime, reason: str
) -> bool:
    """A message of the step just run failed: run the next step now instead of after the wait.

    Only the latest step's failures count: a late failure of an older step changes nothing.
    """
    if message.alert_id is None or message.round is None or message.step_index is None:
        return False  # not sent by an escalation step
    alert = await lock_alert(session, message.alert_id)
    if alert is None or alert.status != AlertStatus.OPEN or alert.next_action_at is None:
        return False
    policy = await policy_by_id(session, alert.policy_id) if alert.policy_id else None
    sent_by = (message.round, message.step_index)
    if policy is None or policy.before(alert.round, alert.step_index) != sent_by:
        return False
    if alert.next_action_at <= at:
        return False
    alert.next_action_at = at
    await append_event(
        session, kind=EventKind.ALERT_ESCALATING_EARLY, at=at, contact_id=alert.contact_id,
        details={"alert": alert.id, "reason": reason, "channel": message.channel,
                 "message": message.id},
    )  # fmt: skip
    return True


async def close_alerts_of_contact(
    session: AsyncSession,
    contact_id: int,
    *,
    person: Person,
    note: str,
    at: datetime,
    zone: ZoneInfo,
    via: str,
) -> int:
    """The contact's live alerts resolved by `person` (its outcome recorded: the outcome page),
    the others already texted told; how many were closed."""
    closed = 0
    for alert in await live_alerts_of_contact(session, contact_id):
        closed += await resolve(session, alert, person=person, note=note, at=at, via=via, zone=zone)
    return closed


async def live_alerts_of_contact(session: AsyncSession, contact_id: int) -> list[Alert]:
    """The contact's open and acknowledged alerts, locked, after the contact itself (the one
    lock order: see `lock_contact_of`)."""
    await session.execute(
        select(Contact.id).where(Contact.id == contact_id).with_for_update(key_share=True)
    )
    return list(
        await session.scalars(
            select(Alert)
            .where(Alert.contact_id == contact_id, Alert.status.in_(LIVE))
            .order_by(Alert.id)
            .with_for_update()
        )
    )
