"""Calls by line and result, calls in progress, texts received and time to answer: one scan."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import Alert, Channel, Contact, ContactStatus, Line
from oncall.domain.metrics.measures import ANSWER_BOUNDS, Histogram, seconds_between

NO_LINE = "none"  # contacts on no line (a number since removed)


@dataclass(slots=True)
class ContactFigures:
    calls: dict[tuple[str, str], int] = field(default_factory=dict)
    in_progress: dict[str, int] = field(default_factory=dict)
    texts: dict[str, int] = field(default_factory=dict)
    answer_seconds: dict[str, Histogram] = field(default_factory=dict)


def _result(status: str, answered: object, alerted: object) -> str:
    if answered:
        return "answered"
    if status == ContactStatus.OPEN:
        return "in_progress"
    # A call nobody answered raised an alert (missed); one sent to the day desk did not.
    return "missed" if alerted else "forwarded"


async def contact_figures(session: AsyncSession) -> ContactFigures:
    """Calls by line and result, calls in progress, texts, and time to answer: one scan.

    Grouped by plain columns and a bucket number (not by a computed result label, and not with
    one SUM per bucket), so PostgreSQL hashes a handful of groups instead of sorting every row.
    """
    answered_call = and_(Contact.channel == Channel.VOICE, Contact.answered_at.is_not(None))
    seconds = seconds_between(session, Contact.answered_at, Contact.received_at)
    bucket = case(
        *((seconds <= bound, i) for i, bound in enumerate(ANSWER_BOUNDS)),
        else_=len(ANSWER_BOUNDS),
    )
    rows = select(
        Contact.line_id.label("line_id"),
        Contact.channel.label("channel"),
        Contact.status.label("status"),
        Contact.answered_at.is_not(None).label("answered"),
        Contact.id.in_(select(Alert.contact_id).where(Alert.contact_id.is_not(None))).label(
            "alerted"
        ),
        case((answered_call, bucket), else_=None).label("bucket"),
        case((answered_call, seconds), else_=None).label("s"),
    ).subquery()
    keys = (rows.c.line_id, rows.c.channel, rows.c.status, rows.c.answered, rows.c.alerted)
    grouped = await session.execute(
        select(*keys, rows.c.bucket, func.count(), func.sum(rows.c.s)).group_by(
            *keys, rows.c.bucket
        )
    )
    kinds = {line_id: kind for line_id, kind in await session.execute(select(Line.id, Line.kind))}
    found = ContactFigures()
    answers: dict[str, list[int]] = {}  # per line: calls in each bucket (+Inf last)
    seconds_total: dict[str, float] = {}
    for line_id, channel, status, answered, alerted, index, n, total in grouped.all():
        line, result = kinds.get(line_id, NO_LINE), _result(status, answered, alerted)
        if channel == Channel.SMS:
            found.texts[line] = found.texts.get(line, 0) + n
        elif channel == Channel.VOICE and result == "in_progress":
            found.in_progress[line] = found.in_progress.get(line, 0) + n
        elif channel == Channel.VOICE:
            found.calls[(line, result)] = found.calls.get((line, result), 0) + n
        if index is not None:
            answers.setdefault(line, [0] * (len(ANSWER_BOUNDS) + 1))[int(index)] += n
            seconds_total[line] = seconds_total.get(line, 0.0) + float(total or 0)
    for line, per_bucket in answers.items():
        cumulative = tuple(sum(per_bucket[: i + 1]) for i in range(len(ANSWER_BOUNDS)))
        found.answer_seconds[line] = Histogram(
            ANSWER_BOUNDS, cumulative, sum(per_bucket), seconds_total[line]
        )
    return found
