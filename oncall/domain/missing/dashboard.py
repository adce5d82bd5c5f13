"""Senior leaders' figures on missing episodes over a period (docs/missing.md defines each):
episodes per week, open now, median time missing, time from the report to the first
out-of-hours action, return home interviews offered in time, repeat case references."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import EpisodeStatus, MissingEpisode, Risk
from oncall.domain.audit import csv_text, percentile
from oncall.domain.missing.reads import EpisodeView, episodes_where

DEFAULT_WEEKS = 12
RISKS = tuple(r.value for r in Risk)


@dataclass(frozen=True, slots=True)
class Week:
    """One local week of the period, for the charts: reports by risk, and the week's medians."""

    monday: date
    by_risk: dict[str, int]
    median_missing: timedelta | None
    median_first_action: timedelta | None


@dataclass(frozen=True, slots=True)
class Dashboard:
    """The figures of the episodes reported in [start, end) (local days), and of now."""

    start: datetime
    end: datetime
    now: datetime
    weeks: list[tuple[date, int]]  # the Monday of each local week, and episodes reported in it
    episodes: int
    open_now: int  # open at `now`, whenever reported
    returned: int
    median_missing: timedelta | None  # of the returned, report to return (nearest rank)
    median_first_action: timedelta | None  # report to the first out-of-hours action
    interviews_counted: int  # returned, and the interview offered or its due time passed
    interviews_in_time: int  # of those, offered by the due time
    repeat_episodes: int
    repeat_cases: int  # distinct case references with a repeat
    by_risk: dict[str, int] = field(default_factory=dict)
    by_missing_from: dict[str, int] = field(default_factory=dict)
    week_rows: list[Week] = field(default_factory=list)

    @property
    def in_time_percent(self) -> float | None:
        if not self.interviews_counted:
            return None
        return 100.0 * self.interviews_in_time / self.interviews_counted


def week_of(at: datetime, zone: ZoneInfo) -> date:
    """The Monday of the local week `at` falls in."""
    day = at.astimezone(zone).date()
    return day - timedelta(days=day.weekday())


def default_period(now: datetime, zone: ZoneInfo, weeks: int = DEFAULT_WEEKS) -> tuple[date, date]:
    """The last `weeks` local weeks, this one included: Monday to today."""
    today = now.astimezone(zone).date()
    return week_of(now, zone) - timedelta(weeks=weeks - 1), today


def _median(values: Sequence[timedelta]) -> timedelta | None:
    seconds = percentile((v.total_seconds() for v in values), 50)
    return None if seconds is None else timedelta(seconds=seconds)


def figures(
    episodes: Sequence[EpisodeView], *, start: datetime, end: datetime, now: datetime,
    open_now: int, zone: ZoneInfo,
) -> Dashboard:  # fmt: skip
    """The dashboard from the period's episodes (withdrawn ones already left out)."""
    per_week = Counter(week_of(e.reported_at, zone) for e in episodes)
    monday, last = week_of(start, zone), week_of(end - timedelta(microseconds=1), zone)
    weeks = []
    while monday <= last:
        weeks.append((monday, per_week.get(monday, 0)))
        monday += timedelta(weeks=1)
    returned = [e for e in episodes if e.missing_for is not None]
    counted = [
        e
        for e in returned
        if e.interview_offered_at is not None
        or (e.interview_due_at is not None and e.interview_due_at <= now)
    ]
    repeats = [e for e in episodes if e.repeat]
    week_rows = []
    for monday, _ in weeks:
        of_week = [e for e in episodes if week_of(e.reported_at, zone) == monday]
        week_rows.append(
            Week(
                monday,
                {risk: sum(1 for e in of_week if e.risk == risk) for risk in RISKS},
                _median([e.missing_for for e in of_week if e.missing_for is not None]),
                _median([e.to_first_action for e in of_week]),
            )
        )
    return Dashboard(
        start=start, end=end, now=now, weeks=weeks, episodes=len(episodes), open_now=open_now,
        returned=len(returned),
        median_missing=_median([e.missing_for for e in returned if e.missing_for is not None]),
        median_first_action=_median([e.to_first_action for e in episodes]),
        interviews_counted=len(counted),
        interviews_in_time=sum(1 for e in counted if e.offered_in_time),
        repeat_episodes=len(repeats),
        repeat_cases=len({e.case_reference for e in repeats}),
        by_risk=dict(sorted(Counter(e.risk for e in episodes).items())),
        by_missing_from=dict(
            sorted(Counter(e.missing_from or "not recorded" for e in episodes).items())
        ),
        week_rows=week_rows,
    )  # fmt: skip


async def dashboard(
    session: AsyncSession, *, first: date, last: date, now: datetime, zone: ZoneInfo
) -> Dashboard:
    """The figures of the episodes reported from local day `first` to `last` inclusive."""
    start = datetime.combine(first, time(0), zone)
    end = datetime.combine(last + timedelta(days=1), time(0), zone)
    episodes = await episodes_where(
        session,
        MissingEpisode.status != EpisodeStatus.WITHDRAWN,
        MissingEpisode.reported_at >= start,
        MissingEpisode.reported_at < end,
    )
    open_now = await session.scalar(
        select(func.count())
        .select_from(MissingEpisode)
        .where(MissingEpisode.status == EpisodeStatus.OPEN)
    )
    return figures(episodes, start=start, end=end, now=now, open_now=open_now or 0, zone=zone)


def _minutes(value: timedelta | None) -> str:
    return "" if value is None else f"{value.total_seconds() / 60:.0f}"


def dashboard_csv(d: Dashboard, zone: ZoneInfo) -> str:
    """The figures as CSV: one row per figure, then one per week."""
    percent = d.in_time_percent
    rows: list[tuple[object, ...]] = [
        ("figure", "value"),
        ("period_from", d.start.astimezone(zone).date().isoformat()),
        ("period_to", (d.end.astimezone(zone) - timedelta(days=1)).date().isoformat()),
        ("episodes", d.episodes),
        ("open_now", d.open_now),
        ("returned", d.returned),
        ("median_minutes_missing", _minutes(d.median_missing)),
        ("median_minutes_to_first_action", _minutes(d.median_first_action)),
        ("interviews_counted", d.interviews_counted),
        ("interviews_offered_in_time", d.interviews_in_time),
        ("interviews_offered_in_time_percent", "" if percent is None else f"{percent:.1f}"),
        ("repeat_episodes", d.repeat_episodes),
        ("repeat_case_references", d.repeat_cases),
        *((f"risk_{risk}", n) for risk, n in d.by_risk.items()),
        *((f"missing_from_{place.replace(' ', '_')}", n) for place, n in d.by_missing_from.items()),
        *((f"week_of_{monday.isoformat()}", n) for monday, n in d.weeks),
    ]
    return csv_text(rows)
