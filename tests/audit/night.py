"""A known night of contacts written straight into the database, with times chosen by hand.

Friday 8 January 2027 (Jersey is on GMT in January, so local time = UTC). The figures the tests
expect are worked out by hand in test_kpis.py from this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import Alert, Contact, Line, Person
from tests.support import JERSEY


def at(day: int, hh: int, mm: int, ss: int = 0) -> datetime:
    return datetime(2027, 1, day, hh, mm, ss, tzinfo=JERSEY)


@dataclass(frozen=True)
class Row:
    n: int
    line: str
    caller_type: str
    received: datetime
    answer_after: int | None  # seconds
    worker: str | None
    outcome: str | None
    follow_up: bool = False
    channel: str = "voice"
    alert: tuple[str, int, int | None, str | None] | None = (
        None  # kind, raised after s, ack after s, by
    )


ROWS = [
    Row(1, "police", "police", at(8, 18, 0), 20, "sw002", "advice_given"),
    Row(2, "police", "police", at(8, 20, 0), 45, "sw004", None),
    Row(3, "hospital", "hospital", at(8, 23, 0), 90, "sw002", "visit_made", follow_up=True),
    Row(4, "foster", "foster_carer", at(9, 2, 0), None, None, None,
        alert=("missed_call", 60, 120, "sw002")),
    Row(5, "hospital", "hospital", at(9, 3, 0), None, None, "referred_to_day_team",
        follow_up=True, alert=("voicemail", 120, 600, "sm002")),
    Row(6, "police", "police", at(9, 8, 59, 59), 10, "sw004", None),
    Row(7, "police", "police", at(9, 12, 0), 30, "sw002", "advice_given"),
    Row(8, "police", "police", at(8, 10, 0), None, None, "forwarded_to_day_team"),
    Row(9, "foster", "foster_carer", at(9, 22, 0), None, None, None, channel="sms",
        alert=("inbound_sms", 0, None, None)),
]  # fmt: skip


async def write_night(session: AsyncSession) -> dict[int, int]:
    """Write ROWS (the demo data set must be loaded); returns row number -> contact id."""
    lines: dict[str, int] = {line.kind: line.id for line in await session.scalars(select(Line))}
    people = {p.code: p.id for p in await session.scalars(select(Person))}
    ids: dict[int, int] = {}
    for row in ROWS:
        contact = Contact(
            reference=f"OOH-2027-{row.n:05d}", short_ref=f"{row.n:04d}", line_id=lines[row.line],
            channel=row.channel, caller_type=row.caller_type, caller_number="+441534700201",
            status="answered" if row.answer_after is not None else "missed",
            received_at=row.received, first_rung_at=row.received,
            answered_at=row.received + timedelta(seconds=row.answer_after)
            if row.answer_after is not None else None,
            handled_by_id=people[row.worker] if row.worker else None,
            outcome=row.outcome, day_team_follow_up=row.follow_up,
        )  # fmt: skip
        session.add(contact)
        await session.flush()
        ids[row.n] = contact.id
        if row.alert:
            kind, raised, acked, by = row.alert
            created = row.received + timedelta(seconds=raised)
            acked_at = created + timedelta(seconds=acked) if acked is not None else None
            session.add(
                Alert(
                    contact_id=contact.id, kind=kind,
                    status="acknowledged" if acked is not None else "open",
                    created_at=created,
                    acknowledged_at=acked_at,
                    acknowledged_by_id=people[by] if by else None, summary=kind,
                )
            )  # fmt: skip
    # A no-outcome reminder on contact 2: paperwork, not an escalation.
    session.add(
        Alert(contact_id=ids[2], kind="no_outcome", status="open", created_at=at(9, 9, 0),
              summary="no outcome recorded")
    )  # fmt: skip
    await session.flush()
    return ids
