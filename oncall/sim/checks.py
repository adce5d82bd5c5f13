"""The invariants, checked after every night against the simulator's ground truth.

1. every contact reached an accepting person or an alert acknowledged within its policy;
2. no message or alert call sent twice for one step (the fake counts what it was handed);
3. no step lost: every escalation row the service decided reached the fake or was cancelled
   because the alert was owned; each alert's steps run in order with none skipped; no timer
   left behind;
4. every contact the fake saw is recorded (a Contact with its CallSid/MessageSid);
5. the hash chain verifies;
6. the KPIs the service reports equal those computed from the ground truth.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import select

from oncall.db.models import (
    Alert,
    AlertKind,
    AlertStatus,
    Contact,
    Event,
    OutboundMessage,
    OutboxStatus,
)
from oncall.domain.audit import kpi_report
from oncall.domain.chain import EventKind, verify_chain
from oncall.sim.truth import ContactTruth, NightTruth

if TYPE_CHECKING:
    from oncall.sim.service import Service

LATE_AFTER = timedelta(seconds=60)  # a step run later than this after it was due is late
PROVIDER_PRECISION_S = 2.0  # the provider's times are whole seconds (and read a moment later)


def outbox_id(url: str | None) -> int | None:
    """The outbox row a provider message or call belongs to, from its status callback URL."""
    values = parse_qs(urlsplit(url or "").query).get("outbox")
    return int(values[0]) if values and values[0].isdigit() else None


@dataclass
class NightCheck:
    """One night's verdict and figures."""

    night: int
    failures: list[str] = field(default_factory=list)
    messages_sent: int = 0  # escalation texts and alert calls handed to the fake
    duplicate_messages: int = 0
    lost_steps: int = 0
    late_steps: int = 0
    given_up: int = 0  # rows the sender gave up on after its retries, the alert moved on
    chain_ok: bool = True
    kpi_ok: bool = True
    # per contact sid: the failures that name it (for the per-fault report)
    failed_sids: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.failures

    def fail(self, message: str, contact: ContactTruth | None = None) -> None:
        self.failures.append(f"night {self.night}: {message}")
        if contact is not None:
            self.failed_sids.add(contact.sid)


def _name(contact: ContactTruth, zone: ZoneInfo) -> str:
    ref = f"OOH-{contact.ref}" if contact.ref else "(unrecorded)"
    when = contact.at.astimezone(zone).strftime("%a %d %b %H:%M")
    return f"contact {ref} ({contact.channel} to the {contact.line} line at {when}, {contact.sid})"


def _moved_on(row: OutboundMessage, ran: dict[int, list[tuple[int, int]]], owned: set[int]) -> bool:
    """Whether the alert of a row the sender gave up on was owned, or ran a later step."""
    if row.alert_id is None or row.alert_id in owned:
        return row.alert_id is not None
    position = (row.round or 0, row.step_index or 0)
    return any(later > position for later in ran.get(row.alert_id, []))


def _recovered_alike(truth: NightTruth, contact: ContactTruth, service_at: datetime | None) -> bool:
    """An acknowledging reply the service could not take when sent (it apologised) is recorded
    when the provider recovery finds it, at its time in the provider's records: whole seconds."""
    if service_at is None or contact.ack_at is None or contact.ref is None:
        return False
    unheard = (contact.ref, contact.ack_at) in truth.unheard
    return unheard and abs((service_at - contact.ack_at).total_seconds()) <= PROVIDER_PRECISION_S


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


async def check_night(sim: Service, truth: NightTruth, zone: ZoneInfo) -> NightCheck:
    check = NightCheck(truth.night)
    by_ref = {c.ref: c for c in truth.contacts if c.ref}
    window_end = truth.start + timedelta(days=1)
    # 4. recorded, and 1. reached
    for contact in truth.contacts:
        if contact.ref is None:
            check.fail(
                f"{_name(contact, zone)}: the fake saw it, the service has no record", contact
            )
        elif not contact.reached:
            check.fail(
                f"{_name(contact, zone)}: nobody accepted it and no alert was acknowledged",
                contact,
            )
    # 2. duplicates: what the fake was handed, per outbox row
    fake = sim.fake
    handed: Counter[int] = Counter()
    for message in fake.messages.values():
        if message.direction == "outbound-api" and (row_id := outbox_id(message.status_callback)):
            handed[row_id] += 1
    for call in fake.calls.values():
        if call.direction == "outbound-api" and (row_id := outbox_id(call.status_callback)):
            handed[row_id] += 1
    async with sim.database.sessions() as session:
        rows = list(
            await session.scalars(
                select(OutboundMessage).where(
                    OutboundMessage.created_at >= truth.start,
                    OutboundMessage.created_at < window_end,
                    OutboundMessage.round.is_not(None),
                )
            )
        )
        contact_refs = dict(
            (await session.execute(select(Contact.id, Contact.short_ref).where(
                Contact.id.in_({r.contact_id for r in rows if r.contact_id})
            ))).all()
        )  # fmt: skip
        alerts = list(
            await session.scalars(
                select(Alert).where(Alert.created_at >= truth.start, Alert.created_at < window_end)
            )
        )
        steps = list(
            await session.scalars(
                select(Event)
                .where(
                    Event.kind == EventKind.ALERT_ESCALATED,
                    Event.occurred_at >= truth.start,
                    Event.occurred_at < window_end,
                )
                .order_by(Event.seq)
            )
        )
        verified = await verify_chain(session)
        report = await kpi_report(session, start=truth.start, end=window_end, zone=zone)
    check.chain_ok = verified.ok
    if not verified.ok and verified.broken is not None:
        check.fail(f"the hash chain breaks at event {verified.broken.seq}: "
                   f"{verified.broken.problem}")  # fmt: skip

    def about(row: OutboundMessage) -> ContactTruth | None:
        return by_ref.get(contact_refs.get(row.contact_id or 0, ""))

    def row_name(row: OutboundMessage) -> str:
        contact = about(row)
        who = _name(contact, zone) if contact else f"alert {row.alert_id}"
        return f"{who}: {row.channel} #{row.id} (round {row.round}, step {row.step_index})"

    ran: dict[int, list[tuple[int, int]]] = {}
    for event in steps:
        ran.setdefault(int(event.details["alert"]), []).append(
            (int(event.details["round"]), int(event.details["step"]))
        )
    owned_alerts = {a.id for a in alerts if a.status is not AlertStatus.OPEN}
    for row in rows:
        count = handed.get(row.id, 0)
        if count:
            check.messages_sent += 1
        if count > 1:
            check.duplicate_messages += count - 1
            check.fail(f"{row_name(row)} was sent {count} times", about(row))
        # 3. lost: decided but never handed over, nor cancelled because the alert was owned, nor
        # given up after its retries with the alert moved on (the sender's escalate_now) or owned
        if row.status is OutboxStatus.CANCELLED or count > 0:
            continue
        if row.status is OutboxStatus.FAILED and _moved_on(row, ran, owned_alerts):
            check.given_up += 1
            continue
        check.lost_steps += 1
        check.fail(f"{row_name(row)} never reached Twilio (status {row.status})", about(row))
    # Every step the engine ran is on the chain (alert.escalated, with its round, step, people
    # and lateness): each alert's steps in order from the first, and each step's rows written.
    rows_at: Counter[tuple[int, int, int]] = Counter(
        (r.alert_id, r.round, r.step_index)
        for r in rows
        if r.alert_id is not None and r.round is not None and r.step_index is not None
    )
    last: dict[int, tuple[int, int]] = {}
    for event in steps:
        details = event.details
        alert_id, position = int(details["alert"]), (int(details["round"]), int(details["step"]))
        before = last.get(alert_id)
        following = {(0, 0)}
        if before is not None:
            following = {(before[0], before[1] + 1), (before[0] + 1, 0)}
        if position not in following:
            check.lost_steps += 1
            check.fail(f"alert {alert_id}: step {position} ran after {before}: a step was lost")
        last[alert_id] = position
        if int(details.get("late_ms", 0)) > LATE_AFTER.total_seconds() * 1000:
            check.late_steps += 1
        wanted = len(details.get("people", [])) * len(details.get("channels", []))
        if rows_at.get((alert_id, *position), 0) != wanted:
            check.lost_steps += 1
            check.fail(f"alert {alert_id}: step {position} was to send {wanted} messages, "
                       f"the outbox holds {rows_at.get((alert_id, *position), 0)}")  # fmt: skip
    for alert in alerts:
        late = alert.next_action_at is not None and _aware(alert.next_action_at) < window_end
        if alert.status is AlertStatus.OPEN and late:
            check.lost_steps += 1
            check.fail(f"alert {alert.id}: its next step at {alert.next_action_at} never ran")
    # 6. the service's KPIs against the truth
    total = report.total
    calls = [c for c in truth.contacts if c.channel == "voice"]
    expected_figures = {
        "contacts": len(truth.contacts),
        "calls": len(calls),
        "answered": sum(1 for c in calls if c.accepted_by is not None),
        "missed": sum(1 for c in calls if c.accepted_by is None),
    }
    reported = {name: getattr(total, name) for name in expected_figures}
    if reported != expected_figures:
        check.kpi_ok = False
        check.fail(f"KPIs {reported} but the ground truth is {expected_figures}")
    owned: dict[int, datetime] = {}
    for alert in alerts:
        if alert.kind is AlertKind.NO_OUTCOME:
            continue  # the morning's reminder to record an outcome: not reaching the caller
        if alert.contact_id is not None and alert.acknowledged_at is not None:
            at = _aware(alert.acknowledged_at)
            owned[alert.contact_id] = min(at, owned.get(alert.contact_id, at))
    async with sim.database.sessions() as session:
        ids = dict(
            (await session.execute(select(Contact.provider_sid, Contact.id).where(
                Contact.provider_sid.in_([c.sid for c in truth.contacts])
            ))).all()
        )  # fmt: skip
    for contact in truth.contacts:
        if contact.accepted_by is not None or contact.ref is None:
            continue
        service_at = owned.get(ids.get(contact.sid, -1))
        if service_at != contact.ack_at and not _recovered_alike(truth, contact, service_at):
            check.kpi_ok = False
            check.fail(
                f"{_name(contact, zone)}: the service says acknowledged at {service_at}, "
                f"the phones say {contact.ack_at} ({contact.ack_by})",
                contact,
            )
    return check
