"""Episodes as the pages, the API, the pack and the dashboard read them: filtered, with their
contacts, whether each is a repeat, and when the out-of-hours service first acted."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import Contact, EpisodeContact, EpisodeStatus, Event, MissingEpisode, Risk
from oncall.domain.audit import describe_event
from oncall.domain.missing.config import REPEAT_WINDOW
from oncall.domain.missing.errors import EpisodeInvalid


@dataclass(frozen=True, slots=True)
class EpisodeView:
    """One episode with what is worked out about it (no notes: see `notes_of`)."""

    id: int
    case_reference: str
    risk: str
    missing_from: str | None
    status: str
    reported_at: datetime
    opened_at: datetime
    opened_by: str
    opened_via: str
    returned_at: datetime | None
    return_place: str | None
    interview_due_at: datetime | None
    interview_offered_at: datetime | None
    interview_result: str | None
    interview_result_at: datetime | None
    contacts: tuple[str, ...]  # contact references (OOH-2027-00042), oldest first
    contact_ids: tuple[int, ...]
    repeat: bool  # another episode of the case was reported in the 30 days before
    first_action_at: datetime  # the out-of-hours service's first action (docs/missing.md)

    @property
    def open(self) -> bool:
        return self.status == EpisodeStatus.OPEN

    @property
    def missing_for(self) -> timedelta | None:
        """From the report to the return (None while missing)."""
        return self.returned_at - self.reported_at if self.returned_at else None

    @property
    def to_first_action(self) -> timedelta:
        return max(timedelta(0), self.first_action_at - self.reported_at)

    @property
    def interview_task(self) -> bool:
        """The day team still has to offer the return home interview."""
        returned = self.status == EpisodeStatus.RETURNED
        return returned and self.interview_offered_at is None

    def interview_overdue(self, now: datetime) -> bool:
        return (
            self.interview_task
            and self.interview_due_at is not None
            and self.interview_due_at < now
        )

    @property
    def offered_in_time(self) -> bool:
        offered, due = self.interview_offered_at, self.interview_due_at
        return offered is not None and due is not None and offered <= due


@dataclass(frozen=True, slots=True)
class EpisodeFilter:
    """What the API and the pages ask for; dates are local days of the report, inclusive."""

    status: str | None = None  # open, returned, withdrawn; None: all but withdrawn
    risk: str | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True, slots=True)
class EpisodePage:
    rows: list[EpisodeView]
    total: int
    page: int
    page_size: int
    filter: EpisodeFilter = field(default_factory=EpisodeFilter)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def parse_episode_filter(query: Mapping[str, str]) -> EpisodeFilter:
    """An EpisodeFilter from a query string; EpisodeInvalid names the parameter."""

    def one_of(name: str, allowed: Sequence[str]) -> str | None:
        value = query.get(name, "").strip().lower()
        if value and value not in allowed:
            raise EpisodeInvalid(name, f"must be one of {', '.join(allowed)}")
        return value or None

    def day(name: str) -> date | None:
        raw = query.get(name, "").strip()
        try:
            return date.fromisoformat(raw) if raw else None
        except ValueError:
            raise EpisodeInvalid(name, "not a date (YYYY-MM-DD)") from None

    f = EpisodeFilter(
        status=one_of("status", [s.value for s in EpisodeStatus]),
        risk=one_of("risk", [r.value for r in Risk]),
        date_from=day("from"),
        date_to=day("to"),
    )
    if f.date_from and f.date_to and f.date_to < f.date_from:
        raise EpisodeInvalid("to", "is before from")
    return f


def conditions(f: EpisodeFilter, zone: ZoneInfo) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if f.status:
        where.append(MissingEpisode.status == f.status)
    else:
        where.append(MissingEpisode.status != EpisodeStatus.WITHDRAWN)
    if f.risk:
        where.append(MissingEpisode.risk == f.risk)
    if f.date_from:
        where.append(MissingEpisode.reported_at >= datetime.combine(f.date_from, time(0), zone))
    if f.date_to:
        end = datetime.combine(f.date_to + timedelta(days=1), time(0), zone)
        where.append(MissingEpisode.reported_at < end)
    return where


async def _repeats(session: AsyncSession, episodes: Sequence[MissingEpisode]) -> set[int]:
    """The ids among `episodes` with another episode of their case reported 30 days before."""
    if not episodes:
        return set()
    cases = {e.case_reference for e in episodes}
    earliest = min(e.reported_at for e in episodes) - REPEAT_WINDOW
    seen: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
    rows = await session.execute(
        select(MissingEpisode.case_reference, MissingEpisode.reported_at, MissingEpisode.id).where(
            MissingEpisode.case_reference.in_(cases),
            MissingEpisode.reported_at >= earliest,
            MissingEpisode.status != EpisodeStatus.WITHDRAWN,
        )
    )
    for case, reported, episode_id in rows.all():
        seen[case].append((reported, episode_id))
    return {
        e.id
        for e in episodes
        if any(
            other != e.id and e.reported_at - REPEAT_WINDOW <= at <= e.reported_at
            for at, other in seen[e.case_reference]
        )
    }


async def views_of(session: AsyncSession, episodes: Sequence[MissingEpisode]) -> list[EpisodeView]:
    """Views of these episodes, in the order given (three queries, whatever their number)."""
    ids = [e.id for e in episodes]
    linked: dict[int, list[tuple[datetime, int, str, list[datetime]]]] = defaultdict(list)
    if ids:
        rows = await session.execute(
            select(
                EpisodeContact.episode_id,
                EpisodeContact.added_at,
                Contact.id,
                Contact.reference,
                Contact.received_at,
                Contact.answered_at,
                Contact.acknowledged_at,
            )
            .join(Contact, Contact.id == EpisodeContact.contact_id)
            .where(EpisodeContact.episode_id.in_(ids))
        )
        for episode_id, _added, cid, ref, received, answered, acked in rows.all():
            acts = [t for t in (answered, acked) if t is not None]
            linked[episode_id].append((received, cid, ref, acts))
    repeats = await _repeats(session, episodes)
    views = []
    for e in episodes:
        contacts = sorted(linked[e.id])
        # The earliest action at or after the report: a call accepted, an alert acknowledged,
        # or the episode recorded (docs/missing.md, "time to the first action").
        acts = [t for *_, times in contacts for t in times if t >= e.reported_at]
        views.append(
            EpisodeView(
                id=e.id,
                case_reference=e.case_reference,
                risk=e.risk,
                missing_from=e.missing_from,
                status=e.status,
                reported_at=e.reported_at,
                opened_at=e.opened_at,
                opened_by=e.opened_by,
                opened_via=e.opened_via,
                returned_at=e.returned_at,
                return_place=e.return_place,
                interview_due_at=e.interview_due_at,
                interview_offered_at=e.interview_offered_at,
                interview_result=e.interview_result,
                interview_result_at=e.interview_result_at,
                contacts=tuple(ref for _, _, ref, _ in contacts),
                contact_ids=tuple(cid for _, cid, _, _ in contacts),
                repeat=e.id in repeats,
                first_action_at=min([e.opened_at, *acts]),
            )
        )
    return views


async def episodes_where(
    session: AsyncSession, *where: ColumnElement[bool], limit: int | None = None, offset: int = 0
) -> list[EpisodeView]:
    """Episodes matching `where`, newest report first."""
    query = (
        select(MissingEpisode)
        .where(*where)
        .order_by(MissingEpisode.reported_at.desc(), MissingEpisode.id.desc())
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    return await views_of(session, list(await session.scalars(query)))


async def list_episodes(
    session: AsyncSession, f: EpisodeFilter, *, zone: ZoneInfo, page: int = 1, page_size: int = 50
) -> EpisodePage:
    """One page of episodes matching `f`, newest report first, with the total count."""
    where = conditions(f, zone)
    total = await session.scalar(select(func.count()).select_from(MissingEpisode).where(*where))
    page = max(1, page)
    rows = await episodes_where(session, *where, limit=page_size, offset=(page - 1) * page_size)
    return EpisodePage(rows, total or 0, page, page_size, f)


async def episode_view(session: AsyncSession, episode_id: int) -> EpisodeView | None:
    episode = await session.get(MissingEpisode, episode_id)
    return (await views_of(session, [episode]))[0] if episode is not None else None


async def episodes_of_contact(session: AsyncSession, contact_id: int) -> list[EpisodeView]:
    """The episodes a contact is about (usually one), for the outcome page and the timeline."""
    ids = select(EpisodeContact.episode_id).where(EpisodeContact.contact_id == contact_id)
    return await episodes_where(session, MissingEpisode.id.in_(ids))


async def notes_of(session: AsyncSession, episode_id: int) -> str:
    """An episode's notes: shown on its page only, never in a list, a text, a log line or a CSV."""
    return (
        await session.scalar(select(MissingEpisode.notes).where(MissingEpisode.id == episode_id))
        or ""
    )


async def interview_tasks(session: AsyncSession) -> list[EpisodeView]:
    """The day team's return home interviews still to offer, the one due soonest first."""
    views = await episodes_where(
        session,
        MissingEpisode.status == EpisodeStatus.RETURNED,
        MissingEpisode.interview_offered_at.is_(None),
    )
    return sorted(views, key=lambda e: (e.interview_due_at or e.reported_at, e.id))


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: datetime
    kind: str
    actor: str
    text: str


async def episode_history(session: AsyncSession, episode: EpisodeView) -> list[HistoryEntry]:
    """The episode's own events from the log, in order, each in words."""
    rows = await session.scalars(
        select(Event)
        .where(
            Event.kind.like("missing.%"),
            Event.kind.not_like("missing.pack%"),
            Event.occurred_at >= episode.opened_at,
        )
        .order_by(Event.seq)
    )
    return [
        HistoryEntry(e.occurred_at, e.kind, e.actor, describe_event(e.kind, e.details))
        for e in rows
        if e.details.get("episode") == episode.id
    ]
