"""The morning handover: the night's contacts needing day-team follow-up (page, CSV, e-mail)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from oncall.db.models import Contact, FosterHousehold, KnownCaller, Line, Person
from oncall.domain.audit.exports import csv_text
from oncall.domain.chain import EventKind, append_event, logged_before
from oncall.domain.escalation import remind_missing_outcomes
from oncall.domain.outcomes import FORWARDED, OutcomeLinks

PREPARED = EventKind.HANDOVER_PREPARED


@dataclass(frozen=True, slots=True)
class HandoverItem:
    contact_id: int
    reference: str
    received_at: datetime
    line: str
    caller: str
    worker: str
    outcome: str
    agencies: list[str]
    case_reference: str
    notes: str


@dataclass(frozen=True, slots=True)
class Handover:
    day: date  # the morning of the handover; the night is the one before it
    start: datetime
    end: datetime
    items: list[HandoverItem]  # contacts needing day-team follow-up
    contacts: int  # every contact of the night (forwarded ones excluded)
    without_outcome: list[str]  # references still without an outcome

    @property
    def title(self) -> str:
        night = self.day - timedelta(days=1)
        return f"Handover for {self.day:%a %d %b %Y} (night of {night:%a %d %b})"


def night_window(day: date, zone: ZoneInfo, boundary: time) -> tuple[datetime, datetime]:
    """The night handed over on the morning of `day`: boundary the day before to boundary on day."""
    end = datetime.combine(day, boundary, zone)
    return datetime.combine(day - timedelta(days=1), boundary, zone), end


def latest_handover_day(now: datetime, zone: ZoneInfo, boundary: time) -> date:
    """The morning whose handover is the most recent one due at `now`."""
    local = now.astimezone(zone)
    return local.date() if local.time() >= boundary else local.date() - timedelta(days=1)


def next_handover_at(now: datetime, zone: ZoneInfo, boundary: time) -> datetime:
    """The next instant the handover is due, strictly after `now`."""
    day = latest_handover_day(now, zone, boundary) + timedelta(days=1)
    return datetime.combine(day, boundary, zone)


async def gather_handover(
    session: AsyncSession, *, day: date, zone: ZoneInfo, boundary: time
) -> Handover:
    start, end = night_window(day, zone, boundary)
    in_night = (Contact.received_at >= start, Contact.received_at < end)
    worker = aliased(Person)
    rows = await session.execute(
        select(Contact, Line.name, KnownCaller.name, FosterHousehold.reference, worker.code)
        .outerjoin(Line, Line.id == Contact.line_id)
        .outerjoin(KnownCaller, KnownCaller.id == Contact.known_caller_id)
        .outerjoin(FosterHousehold, FosterHousehold.id == Contact.household_id)
        .outerjoin(worker, worker.id == Contact.handled_by_id)
        .where(*in_night, Contact.day_team_follow_up.is_(True))
        .order_by(Contact.received_at, Contact.id)
    )
    items = [
        HandoverItem(
            contact_id=c.id,
            reference=c.reference,
            received_at=c.received_at,
            line=line or "unknown",
            caller=known
            or (f"foster carer {household}" if household else c.caller_type.replace("_", " ")),
            worker=code or "",
            outcome=c.outcome or "",
            agencies=list(c.agencies_informed),
            case_reference=c.case_reference,
            notes=c.outcome_notes,
        )
        for c, line, known, household, code in rows.all()
    ]
    not_forwarded = (Contact.outcome.is_(None)) | (Contact.outcome != FORWARDED)
    total = await session.scalar(
        select(func.count()).select_from(Contact).where(*in_night, not_forwarded)
    )
    open_refs = list(
        await session.scalars(
            select(Contact.reference)
            .where(*in_night, Contact.outcome.is_(None))
            .order_by(Contact.received_at)
        )
    )
    return Handover(day, start, end, items, total or 0, open_refs)


def handover_csv(handover: Handover, zone: ZoneInfo) -> str:
    header = ("reference", "received_local", "line", "caller", "worker", "outcome",
              "agencies_informed", "case_reference", "notes")  # fmt: skip
    return csv_text(
        [header]
        + [
            (
                i.reference,
                i.received_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                i.line,
                i.caller,
                i.worker,
                i.outcome,
                ";".join(i.agencies),
                i.case_reference,
                i.notes,
            )
            for i in handover.items
        ]
    )


def handover_text(handover: Handover, zone: ZoneInfo) -> str:
    """The plain-text body of the handover e-mail."""
    lines = [handover.title, ""]
    lines.append(
        f"{handover.contacts} contacts overnight; {len(handover.items)} need day-team follow-up."
    )
    for i in handover.items:
        when = i.received_at.astimezone(zone).strftime("%H:%M")
        lines.append(f"- {i.reference} {when} {i.line}, {i.caller}: {i.outcome.replace('_', ' ')}")
        if i.case_reference:
            lines.append(f"  case {i.case_reference}")
    if handover.without_outcome:
        lines += ["", "Still without an outcome: " + ", ".join(handover.without_outcome)]
    lines += ["", "The full list is attached as CSV and on the handover page (/audit/handover)."]
    return "\n".join(lines) + "\n"


async def prepare_handover(
    session: AsyncSession,
    *,
    day: date,
    zone: ZoneInfo,
    boundary: time,
    at: datetime,
    links: OutcomeLinks | None = None,
) -> tuple[Handover, bool]:
    """Gather the handover of `day`, remind workers of missing outcomes (by text, with the
    outcome link when `links` is given), and log it, once.

    Returns (handover, first): `first` is False when this morning's handover was already
    prepared (by this or another replica), so the caller sends the e-mail only once.
    """
    # Under the chain head's lock, so two replicas cannot both see "not yet prepared".
    done = await logged_before(session, kind=PREPARED, actor=f"handover {day}")
    handover = await gather_handover(session, day=day, zone=zone, boundary=boundary)
    if done:
        return handover, False
    reminded = await remind_missing_outcomes(
        session, received_from=handover.start, received_to=handover.end, at=at, zone=zone,
        links=links,
    )  # fmt: skip
    await append_event(
        session, kind=PREPARED, at=at, actor=f"handover {day}",
        details={
            "day": str(day), "contacts": handover.contacts,
            "follow_up": [i.reference for i in handover.items], "reminded": reminded,
        },
    )  # fmt: skip
    return handover, True
