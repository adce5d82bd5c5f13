"""The Now board: who is on duty per line and tier, now and tonight; open alerts; contacts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import Alert, AlertStatus, CallLeg, Contact, Line
from oncall.domain.duty import DutySnapshot, Target, on_duty_at, ringing_order, service_window

TONIGHT_AT = time(22, 0)  # "tonight" is read at 22:00 local, well inside every night shift


@dataclass(frozen=True, slots=True)
class LineDuty:
    name: str
    number: str
    policy: str
    now: list[Target]
    tonight: list[Target]


@dataclass(frozen=True, slots=True)
class AlertRow:
    id: int
    reference: str
    kind: str
    status: str
    summary: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ContactRow:
    reference: str
    channel: str
    caller_type: str
    status: str
    received_at: datetime
    line: str


@dataclass(frozen=True, slots=True)
class NowBoard:
    at: datetime
    tonight_at: datetime
    window_open: bool
    duty_now: DutySnapshot
    duty_tonight: DutySnapshot
    lines: list[LineDuty]
    alerts: list[AlertRow]
    contacts: list[ContactRow]
    since: datetime


def tonight_instant(now: datetime, zone: ZoneInfo) -> datetime:
    """22:00 local tonight; after midnight and before 09:00 it is still last night's shift."""
    local = now.astimezone(zone)
    day = local.date() - timedelta(days=1) if local.time() < time(9) else local.date()
    return datetime.combine(day, TONIGHT_AT, tzinfo=zone)


def night_start(now: datetime, zone: ZoneInfo) -> datetime:
    """17:00 local of the evening this night began on (contacts since then are 'tonight's')."""
    local = now.astimezone(zone)
    day = local.date() - timedelta(days=1) if local.time() < time(17) else local.date()
    return datetime.combine(day, time(17), tzinfo=zone)


async def now_board(
    session: AsyncSession, *, now: datetime, zone: ZoneInfo, person_id: int | None = None
) -> NowBoard:
    """Everything on the board. With `person_id`, alerts and contacts are only that person's."""
    window = await service_window(session)
    tonight = tonight_instant(now, zone)
    duty_now = await on_duty_at(session, now)
    duty_tonight = await on_duty_at(session, tonight)
    lines = (await session.scalars(select(Line).where(Line.active).order_by(Line.id))).all()
    names = {line.id: line.name for line in lines}
    since = night_start(now, zone)
    contact_query = select(Contact).where(Contact.received_at >= since)
    alert_query = (
        select(Alert, Contact.reference)
        .outerjoin(Contact, Alert.contact_id == Contact.id)
        .where(Alert.status.in_([AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED]))
    )
    if person_id is not None:
        theirs = or_(
            Contact.handled_by_id == person_id,
            Contact.id.in_(select(CallLeg.contact_id).where(CallLeg.person_id == person_id)),
        )
        contact_query = contact_query.where(theirs)
        alert_query = alert_query.where(theirs)
    contacts = (await session.scalars(contact_query.order_by(Contact.received_at.desc()))).all()
    alerts = (await session.execute(alert_query.order_by(Alert.created_at.desc()))).all()
    return NowBoard(
        at=now,
        tonight_at=tonight,
        window_open=window.contains(now, zone),
        duty_now=duty_now,
        duty_tonight=duty_tonight,
        lines=[
            LineDuty(
                line.name,
                line.twilio_number,
                line.routing_policy,
                ringing_order(line.routing_policy, duty_now),
                ringing_order(line.routing_policy, duty_tonight),
            )
            for line in lines
        ],
        alerts=[
            AlertRow(a.id, ref or "", a.kind, a.status, a.summary, a.created_at)
            for a, ref in alerts
        ],
        contacts=[
            ContactRow(
                c.reference,
                c.channel,
                c.caller_type,
                c.status,
                c.received_at,
                names.get(c.line_id or 0, ""),
            )
            for c in contacts
        ],
        since=since,
    )
