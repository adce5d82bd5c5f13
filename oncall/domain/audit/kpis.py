"""KPIs of a period: answering, missed calls, escalations, acknowledging (see docs/audit.md)."""

from __future__ import annotations

import asyncio
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from oncall.db.models import Alert, Channel, Contact, Line, Person
from oncall.domain.audit.contacts import NOT_ESCALATIONS
from oncall.domain.outcomes import FORWARDED

K = TypeVar("K")


def percentile(values: Iterable[float], p: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least p% of values at or below it."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True, slots=True)
class ContactFacts:
    """What the KPIs need of one contact."""

    received_at: datetime
    answered_at: datetime | None
    voice: bool
    line: str
    agency: str
    worker: str
    has_outcome: bool
    escalated: bool

    @property
    def answer_seconds(self) -> float | None:
        if self.answered_at is None:
            return None
        return (self.answered_at - self.received_at).total_seconds()


@dataclass(frozen=True, slots=True)
class AlertFacts:
    created_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str
    line: str
    agency: str
    received_at: datetime

    @property
    def ack_seconds(self) -> float | None:
        if self.acknowledged_at is None:
            return None
        return (self.acknowledged_at - self.created_at).total_seconds()


@dataclass(frozen=True, slots=True)
class Figures:
    """One row of KPIs (see docs/audit.md for each definition)."""

    contacts: int = 0
    calls: int = 0
    answered: int = 0
    answered_30s: int = 0
    answered_60s: int = 0
    answer_p50: float | None = None
    answer_p90: float | None = None
    missed: int = 0
    escalations: int = 0
    alerts: int = 0
    acknowledged: int = 0
    ack_p50: float | None = None
    ack_p90: float | None = None
    without_outcome: int = 0

    def rate(self, part: int) -> float | None:
        """`part` as a percentage of calls (None when there were no calls)."""
        return None if self.calls == 0 else 100.0 * part / self.calls


def figures(contacts: list[ContactFacts], alerts: list[AlertFacts]) -> Figures:
    calls = [c for c in contacts if c.voice]
    waits = [s for c in calls if (s := c.answer_seconds) is not None]
    acks = [s for a in alerts if (s := a.ack_seconds) is not None]
    return Figures(
        contacts=len(contacts),
        calls=len(calls),
        answered=len(waits),
        answered_30s=sum(1 for s in waits if s <= 30),
        answered_60s=sum(1 for s in waits if s <= 60),
        answer_p50=percentile(waits, 50),
        answer_p90=percentile(waits, 90),
        missed=sum(1 for c in calls if c.answered_at is None),
        escalations=sum(1 for c in contacts if c.escalated),
        alerts=len(alerts),
        acknowledged=len(acks),
        ack_p50=percentile(acks, 50),
        ack_p90=percentile(acks, 90),
        without_outcome=sum(1 for c in contacts if not c.has_outcome),
    )


@dataclass(frozen=True, slots=True)
class KpiReport:
    start: datetime
    end: datetime
    forwarded: int  # calls outside hours sent to the daytime desk: not counted in any figure
    total: Figures
    by_line: dict[str, Figures] = field(default_factory=dict)
    by_agency: dict[str, Figures] = field(default_factory=dict)
    by_worker: dict[str, Figures] = field(default_factory=dict)
    by_night: dict[date, Figures] = field(default_factory=dict)


def night_of(at: datetime, zone: ZoneInfo, boundary: time) -> date:
    """The night an instant belongs to: night D runs from `boundary` on D to `boundary` on D+1."""
    local = at.astimezone(zone)
    day = local.date()
    return day - timedelta(days=1) if local.time() < boundary else day


def _group(
    contacts: list[ContactFacts],
    alerts: list[AlertFacts],
    contact_key: Callable[[ContactFacts], K],
    alert_key: Callable[[AlertFacts], K],
) -> dict[K, Figures]:
    c_groups: dict[K, list[ContactFacts]] = defaultdict(list)
    a_groups: dict[K, list[AlertFacts]] = defaultdict(list)
    for c in contacts:
        c_groups[contact_key(c)].append(c)
    for a in alerts:
        a_groups[alert_key(a)].append(a)
    keys = sorted(set(c_groups) | set(a_groups), key=str)
    return {k: figures(c_groups.get(k, []), a_groups.get(k, [])) for k in keys}


async def kpi_report(
    session: AsyncSession,
    *,
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    night_boundary: time = time(9, 0),
) -> KpiReport:
    """KPIs of the contacts received in [start, end), overall and by line, agency, worker, night."""
    handler = aliased(Person)
    escalated = (
        select(Alert.id)
        .where(Alert.contact_id == Contact.id, Alert.kind.not_in(NOT_ESCALATIONS))
        .exists()
    )
    rows = (
        await session.execute(
            select(
                Contact.received_at,
                Contact.answered_at,
                Contact.channel,
                Line.kind,
                Contact.caller_type,
                handler.code,
                Contact.outcome,
                escalated,
            )
            .outerjoin(Line, Line.id == Contact.line_id)
            .outerjoin(handler, handler.id == Contact.handled_by_id)
            .where(Contact.received_at >= start, Contact.received_at < end)
        )
    ).all()
    acker = aliased(Person)
    alert_rows = (
        await session.execute(
            select(
                Alert.created_at,
                Alert.acknowledged_at,
                acker.code,
                Line.kind,
                Contact.caller_type,
                Contact.received_at,
            )
            .join(Contact, Contact.id == Alert.contact_id)
            .outerjoin(Line, Line.id == Contact.line_id)
            .outerjoin(acker, acker.id == Alert.acknowledged_by_id)
            .where(
                Contact.received_at >= start,
                Contact.received_at < end,
                Alert.kind.not_in(NOT_ESCALATIONS),
            )
        )
    ).all()
    # A long period's figures are a lot of pure Python: made in a worker thread.
    return await asyncio.to_thread(
        _report, rows, alert_rows, start=start, end=end, zone=zone, night_boundary=night_boundary
    )


def _report(
    rows: Sequence[Any],
    alert_rows: Sequence[Any],
    *,
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    night_boundary: time,
) -> KpiReport:
    forwarded = 0
    contacts: list[ContactFacts] = []
    for received, answered, channel, line, agency, worker, outcome, esc in rows:
        if outcome == FORWARDED:
            forwarded += 1
            continue
        contacts.append(
            ContactFacts(
                received_at=received, answered_at=answered, voice=channel == Channel.VOICE,
                line=line or "unknown", agency=agency, worker=worker or "",
                has_outcome=outcome is not None, escalated=bool(esc),
            )
        )  # fmt: skip
    alerts = [
        AlertFacts(created, acked, by or "", line or "unknown", agency, received)
        for created, acked, by, line, agency, received in alert_rows
    ]
    return KpiReport(
        start=start,
        end=end,
        forwarded=forwarded,
        total=figures(contacts, alerts),
        by_line=_group(contacts, alerts, lambda c: c.line, lambda a: a.line),
        by_agency=_group(contacts, alerts, lambda c: c.agency, lambda a: a.agency),
        by_worker={
            k: v
            for k, v in _group(
                contacts, alerts, lambda c: c.worker, lambda a: a.acknowledged_by
            ).items()
            if k
        },
        by_night=_group(
            contacts,
            alerts,
            lambda c: night_of(c.received_at, zone, night_boundary),
            lambda a: night_of(a.received_at, zone, night_boundary),
        ),
    )


def month_bounds(month: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of a local calendar month "YYYY-MM"; raises ValueError if malformed."""
    year, number = (int(part) for part in month.split("-", 1))
    first = date(year, number, 1)
    following = date(year + (number == 12), number % 12 + 1, 1)
    return datetime.combine(first, time(0), zone), datetime.combine(following, time(0), zone)
