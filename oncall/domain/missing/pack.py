"""The daily missing meeting pack, as things stood at the morning handover: who is still missing,
who returned overnight, the return home interviews due before the next meeting and overdue, and
the repeats. Gathered for any morning from the episodes; prepared (logged) once a day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import EpisodeStatus, MissingEpisode
from oncall.domain.audit import csv_text, night_window
from oncall.domain.chain import EventKind, append_event, logged_before
from oncall.domain.missing.reads import EpisodeView, views_of

PREPARED = EventKind.MISSING_PACK_PREPARED


@dataclass(frozen=True, slots=True)
class PackItem:
    """An episode as the pack shows it, at the pack's instant."""

    episode: EpisodeView
    new: bool  # reported during the night
    nights_open: int  # morning meetings it has been open at, this one included

    @property
    def id(self) -> int:
        return self.episode.id


@dataclass(frozen=True, slots=True)
class Pack:
    day: date  # the morning of the meeting; the night is the one before it
    start: datetime  # the night: handover the day before …
    at: datetime  # … to this morning's handover, the pack's instant
    next_at: datetime  # tomorrow's handover: interviews due before it are "due"
    still_missing: list[PackItem]
    returned: list[PackItem]  # returned or found during the night
    interviews_due: list[PackItem]  # to offer before the next meeting
    interviews_overdue: list[PackItem]
    repeats: list[PackItem]  # of the above and the night's reports, those that are repeats

    @property
    def title(self) -> str:
        return f"Missing meeting pack for {self.day:%a %d %b %Y}"

    @property
    def empty(self) -> bool:
        return not (
            self.still_missing or self.returned or self.interviews_due or self.interviews_overdue
        )


def _open_at(e: EpisodeView, at: datetime) -> bool:
    return e.reported_at < at and (e.returned_at is None or e.returned_at >= at)


def _task_at(e: EpisodeView, at: datetime) -> bool:
    """The interview was still to be offered at `at`."""
    offered = e.interview_offered_at
    returned = e.returned_at is not None and e.returned_at < at
    return returned and e.interview_due_at is not None and (offered is None or offered >= at)


def _mornings_open(e: EpisodeView, at: datetime, zone: ZoneInfo, boundary: time) -> int:
    """How many handovers, up to and including the one at `at`, found the episode open."""
    first = e.reported_at.astimezone(zone)
    first_day = first.date() + timedelta(days=1 if first.time() >= boundary else 0)
    return max(1, (at.astimezone(zone).date() - first_day).days + 1)


async def gather_pack(session: AsyncSession, *, day: date, zone: ZoneInfo, boundary: time) -> Pack:
    """The pack of the meeting on the morning of `day` (handover at `boundary`, local)."""
    start, at = night_window(day, zone, boundary)
    next_at = datetime.combine(day + timedelta(days=1), boundary, zone)
    rows = await session.scalars(
        select(MissingEpisode).where(
            MissingEpisode.status != EpisodeStatus.WITHDRAWN,
            MissingEpisode.reported_at < at,
            or_(
                MissingEpisode.returned_at.is_(None),
                MissingEpisode.returned_at >= start,
                and_(
                    MissingEpisode.interview_due_at.is_not(None),
                    or_(
                        MissingEpisode.interview_offered_at.is_(None),
                        MissingEpisode.interview_offered_at >= at,
                    ),
                ),
            ),
        )
    )
    views = sorted(await views_of(session, list(rows)), key=lambda e: (e.reported_at, e.id))

    def item(e: EpisodeView) -> PackItem:
        return PackItem(e, start <= e.reported_at < at, _mornings_open(e, at, zone, boundary))

    still = [item(e) for e in views if _open_at(e, at)]
    returned = [item(e) for e in views if e.returned_at is not None and start <= e.returned_at < at]
    tasks = [e for e in views if _task_at(e, at)]
    due = [item(e) for e in tasks if e.interview_due_at and e.interview_due_at >= at]
    due = [i for i in due if i.episode.interview_due_at and i.episode.interview_due_at < next_at]
    overdue = [item(e) for e in tasks if e.interview_due_at and e.interview_due_at < at]
    shown = {i.id for i in (*still, *returned, *due, *overdue)}
    repeats = [item(e) for e in views if e.repeat and (e.id in shown or start <= e.reported_at)]
    return Pack(day, start, at, next_at, still, returned, due, overdue, repeats)


def _local(at: datetime | None, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if at else ""


PACK_COLUMNS = (
    "section", "case_reference", "risk", "missing_from", "reported_local", "returned_local",
    "return_place", "interview_due_local", "repeat", "new_overnight", "mornings_open", "contacts",
)  # fmt: skip
SECTIONS = (
    ("still missing", "still_missing"),
    ("returned overnight", "returned"),
    ("interview due", "interviews_due"),
    ("interview overdue", "interviews_overdue"),
    ("repeat", "repeats"),
)


def pack_rows(pack: Pack, zone: ZoneInfo) -> list[tuple[object, ...]]:
    """The pack as table rows (the CSV and the PDF): one per episode and section."""
    rows: list[tuple[object, ...]] = []
    for label, name in SECTIONS:
        for i in getattr(pack, name):
            e = i.episode
            rows.append(
                (
                    label, e.case_reference, e.risk, e.missing_from or "",
                    _local(e.reported_at, zone), _local(e.returned_at, zone), e.return_place or "",
                    _local(e.interview_due_at, zone), e.repeat, i.new, i.nights_open,
                    ";".join(e.contacts),
                )
            )  # fmt: skip
    return rows


def pack_csv(pack: Pack, zone: ZoneInfo) -> str:
    """The pack as CSV (notes are never in it; cells a spreadsheet would run are defused)."""
    return csv_text([PACK_COLUMNS, *pack_rows(pack, zone)])


def _line(i: PackItem, zone: ZoneInfo) -> str:
    e = i.episode
    parts = [f"- {e.case_reference} ({e.risk} risk)", f"reported {_local(e.reported_at, zone)}"]
    if e.returned_at:
        parts.append(f"back {_local(e.returned_at, zone)}")
    if e.interview_due_at and e.interview_offered_at is None:
        parts.append(f"interview due {_local(e.interview_due_at, zone)}")
    if e.repeat:
        parts.append("REPEAT")
    return ", ".join(parts)


def pack_text(pack: Pack, zone: ZoneInfo) -> str:
    """The plain-text body of the pack's e-mail."""
    lines = [pack.title, ""]
    for label, name in SECTIONS:
        items: list[PackItem] = getattr(pack, name)
        lines.append(f"{label.capitalize()}: {len(items)}")
        lines += [_line(i, zone) for i in items]
        lines.append("")
    lines.append("The pack is attached as CSV and on the missing pack page (/missing/pack).")
    return "\n".join(lines) + "\n"


async def prepare_pack(
    session: AsyncSession, *, day: date, zone: ZoneInfo, boundary: time, at: datetime
) -> tuple[Pack, bool]:
    """Gather `day`'s pack and log it once (under the chain head's lock, so replicas agree);
    episodes still open at the handover are flagged in the event. (pack, first)."""
    done = await logged_before(session, kind=PREPARED, actor=f"pack {day}")
    pack = await gather_pack(session, day=day, zone=zone, boundary=boundary)
    if done:
        return pack, False
    await append_event(
        session, kind=PREPARED, at=at, actor=f"pack {day}",
        details={
            "day": str(day),
            "still_missing": [i.id for i in pack.still_missing],
            "returned": [i.id for i in pack.returned],
            "interviews_due": [i.id for i in pack.interviews_due],
            "interviews_overdue": [i.id for i in pack.interviews_overdue],
            "repeats": [i.id for i in pack.repeats],
        },
    )  # fmt: skip
    return pack, True
