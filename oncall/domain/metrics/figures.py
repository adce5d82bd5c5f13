"""Business figures read from the database at scrape time, so every replica reports the same truth.

Counters here are counts of rows whose counted property never changes back (a call answered, a
text failed for good), so they only grow and survive restarts. Figures that move both ways (alerts
by status, messages by status, who is on duty) are gauges. No names or numbers, ever: labels are
line kinds, tiers, statuses and kinds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Subquery, case, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from oncall.db.models import (
    Alert,
    AlertStatus,
    Channel,
    Event,
    Line,
    OutboundMessage,
    OutboxStatus,
    RotaVersion,
)
from oncall.domain.duty import on_duty_at, service_window
from oncall.domain.metrics.calls import contact_figures
from oncall.domain.metrics.measures import (
    ACKNOWLEDGE_BOUNDS,
    SOLVER_BOUNDS,
    Histogram,
    seconds_between,
)
from oncall.domain.outbox import FINAL_FAILURES
from oncall.domain.overview import tonight_instant


@dataclass(frozen=True, slots=True)
class Figures:
    """Everything /metrics reports from the database, read at `at` (the service's clock)."""

    at: datetime
    lines: tuple[str, ...]  # kinds of the active lines (each gets every series, zeros included)
    calls: dict[tuple[str, str], int]  # (line kind, answered|missed|forwarded) -> calls
    calls_in_progress: dict[str, int]  # line kind -> calls not yet answered or missed
    texts_received: dict[str, int]  # line kind -> inbound texts that opened a contact
    answer_seconds: dict[str, Histogram]  # line kind -> time from receipt to a press of 1
    alerts: dict[tuple[str, str], int]  # (alert kind, status) -> alerts now
    alerts_raised: int
    acknowledge_seconds: Histogram  # time from an alert being raised to its acknowledgement
    oldest_open_alert_seconds: float  # age of the oldest alert nobody has acknowledged (0: none)
    escalation_steps: int
    messages: dict[tuple[str, str], int]  # (channel, status) -> outbox rows now
    sms_sent: int  # texts handed to the provider
    sms_failed: int  # texts that failed or were undelivered (final)
    escalation_due: int  # open alerts whose next step is due now
    escalation_lag_seconds: float  # how late the oldest due step is (0: none due)
    outbox_due: int
    outbox_lag_seconds: float
    solver_runs: dict[tuple[str, str], int]  # (generate|repair, solver status) -> runs stored
    solver_seconds: dict[str, Histogram]  # generate|repair -> wall time of each run
    on_duty: dict[tuple[str, str], int]  # (tier, now|tonight) -> people on duty
    out_of_hours: bool  # the out-of-hours window is open now


async def _histograms(
    session: AsyncSession, rows: Subquery, bounds: tuple[float, ...]
) -> dict[str, Histogram]:
    """One histogram per `rows.c.key` over `rows.c.s`, buckets summed by the database."""
    buckets = [func.sum(case((rows.c.s <= bound, 1), else_=0)) for bound in bounds]
    result = await session.execute(
        select(rows.c.key, func.count(), func.sum(rows.c.s), *buckets).group_by(rows.c.key)
    )
    return {
        str(k): Histogram(bounds, tuple(int(b or 0) for b in counts), int(n), float(total or 0))
        for k, n, total, *counts in result.all()
    }


async def _due(
    session: AsyncSession,
    column: InstrumentedAttribute[datetime | None],
    *where: ColumnElement[bool],
) -> tuple[int, datetime | None]:
    """How many rows are due, and the oldest due time (an index on (status, due time) serves)."""
    row = (await session.execute(select(func.count(), func.min(column)).where(*where))).one()
    return int(row[0]), row[1]


def _lag(now: datetime, oldest: datetime | None) -> float:
    return max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0


async def _alerts(session: AsyncSession, now: datetime) -> tuple[dict[tuple[str, str], int], float]:
    by_state = await session.execute(
        select(Alert.kind, Alert.status, func.count()).group_by(Alert.kind, Alert.status)
    )
    oldest = await session.scalar(
        select(func.min(Alert.created_at)).where(Alert.status == AlertStatus.OPEN.value)
    )
    return {(k, s): int(n) for k, s, n in by_state.all()}, _lag(now, oldest)


async def _messages(session: AsyncSession) -> tuple[dict[tuple[str, str], int], int, int]:
    rows = (
        await session.execute(
            select(
                OutboundMessage.channel,
                OutboundMessage.status,
                func.count(),
                func.count(OutboundMessage.sent_at),
            ).group_by(OutboundMessage.channel, OutboundMessage.status)
        )
    ).all()
    messages = {(c, s): int(n) for c, s, n, _ in rows}
    sms = [(s, n, sent) for c, s, n, sent in rows if c == Channel.SMS.value]
    sent = sum(int(handed) for _, _, handed in sms)
    failed = sum(int(n) for s, n, _ in sms if s in FINAL_FAILURES)
    return messages, sent, failed


def _run_kind(reason: str) -> str | None:
    if reason == "generated":
        return "generate"
    if reason.startswith("repair"):
        return "repair"
    return None  # an edit by hand: no solver run


async def _solver(
    session: AsyncSession,
) -> tuple[dict[tuple[str, str], int], dict[str, Histogram]]:
    """Every stored solve (few rows a month), its wall time from the solution's statistics."""
    wall = RotaVersion.solution[("stats", "wall_time_s")].as_float()
    rows = await session.execute(select(RotaVersion.reason, RotaVersion.solver_status, wall))
    runs: dict[tuple[str, str], int] = {}
    seconds: dict[str, list[float]] = {}
    for reason, status, wall_s in rows.all():
        kind = _run_kind(reason)
        if kind is None:
            continue
        runs[(kind, status or "unknown")] = runs.get((kind, status or "unknown"), 0) + 1
        if wall_s is not None:
            seconds.setdefault(kind, []).append(float(wall_s))
    return runs, {k: Histogram.of(v, SOLVER_BOUNDS) for k, v in seconds.items()}


async def _duty(
    session: AsyncSession, now: datetime, zone: ZoneInfo
) -> tuple[dict[tuple[str, str], int], bool]:
    on_duty: dict[tuple[str, str], int] = {}
    for when, at in (("now", now), ("tonight", tonight_instant(now, zone))):
        snapshot = await on_duty_at(session, at)
        on_duty[("worker", when)] = len(snapshot.workers)
        on_duty[("manager", when)] = len(snapshot.managers)
    window = await service_window(session)
    return on_duty, window.contains(now, zone)


async def read_figures(session: AsyncSession, *, now: datetime, zone: ZoneInfo) -> Figures:
    """Read every figure: a dozen aggregate queries, each on an index or a small table."""
    contacts = await contact_figures(session)
    alerts, oldest_open = await _alerts(session, now)
    owned = (
        select(
            literal_column("'all'").label("key"),
            seconds_between(session, Alert.acknowledged_at, Alert.created_at).label("s"),
        )
        .where(Alert.acknowledged_at.is_not(None))
        .subquery()
    )
    acknowledged = await _histograms(session, owned, ACKNOWLEDGE_BOUNDS)
    steps = await session.scalar(
        select(func.count()).select_from(Event).where(Event.kind == "alert.escalated")
    )
    messages, sms_sent, sms_failed = await _messages(session)
    due_alerts, oldest_alert = await _due(
        session,
        Alert.next_action_at,
        Alert.status == AlertStatus.OPEN.value,
        Alert.next_action_at <= now,
    )
    due_messages, oldest_message = await _due(
        session,
        OutboundMessage.next_attempt_at,
        OutboundMessage.status == OutboxStatus.PENDING.value,
        OutboundMessage.next_attempt_at <= now,
    )
    runs, solver_seconds = await _solver(session)
    on_duty, out_of_hours = await _duty(session, now, zone)
    lines = await session.scalars(select(Line.kind).where(Line.active).order_by(Line.kind))
    return Figures(
        at=now,
        lines=tuple(lines.all()),
        calls=contacts.calls,
        calls_in_progress=contacts.in_progress,
        texts_received=contacts.texts,
        answer_seconds=contacts.answer_seconds,
        alerts=alerts,
        alerts_raised=sum(alerts.values()),
        acknowledge_seconds=acknowledged.get("all") or Histogram.of([], ACKNOWLEDGE_BOUNDS),
        oldest_open_alert_seconds=oldest_open,
        escalation_steps=int(steps or 0),
        messages=messages,
        sms_sent=sms_sent,
        sms_failed=sms_failed,
        escalation_due=due_alerts,
        escalation_lag_seconds=_lag(now, oldest_alert),
        outbox_due=due_messages,
        outbox_lag_seconds=_lag(now, oldest_message),
        solver_runs=runs,
        solver_seconds=solver_seconds,
        on_duty=on_duty,
        out_of_hours=out_of_hours,
    )
