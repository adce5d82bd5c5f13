"""Demo episodes (invented case references), so the pack and the dashboard show something on the
first run: each one made as a night would make it, through the same functions, dated before
`now`: a police call taken by a worker, MISSING and FOUND, the senior manager's ACK, the day
team's interview."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import Alert, Channel, ContactStatus, Line, LineKind, Person
from oncall.domain.audit import latest_handover_day
from oncall.domain.contacts import identify_caller, open_contact
from oncall.domain.escalation import acknowledge
from oncall.domain.missing.config import MissingConfig
from oncall.domain.missing.edits import record_interview
from oncall.domain.missing.episodes import Actor, open_episode, record_return
from oncall.domain.outcomes import record_outcome

POLICE_CONTROL_ROOM = "+441534700201"  # the demo's police number (oncall.domain.setup.demo)


@dataclass(frozen=True, slots=True)
class DemoEpisode:
    """Days are counted back from the morning of the latest handover; times are local."""

    case: str
    risk: str
    missing_from: str
    called: tuple[int, str]  # (days back, "HH:MM") the police called
    reported_before: int  # minutes the report to the police came before their call
    back: tuple[int, str] | None = None  # returned or found
    place: str = "home"
    interview: tuple[str, int, str] | None = None  # (step, days back, "HH:MM")


EPISODES = (
    DemoEpisode("CR-104233", "high", "residential_home", (1, "22:40"), 25),  # still missing
    DemoEpisode("CR-100871", "medium", "foster_placement", (1, "23:15"), 40, (0, "03:05"),
                "placement"),  # returned overnight
    DemoEpisode("CR-100231", "low", "home", (3, "21:30"), 15, (2, "01:10")),  # due tomorrow 01:10
    DemoEpisode("CR-100231", "medium", "home", (12, "20:05"), 30, (11, "02:30"), "home",
                ("completed", 10, "11:00")),  # so the one above is a repeat
    DemoEpisode("CR-102455", "medium", "home", (5, "19:50"), 20, (4, "00:20")),  # overdue
    DemoEpisode("CR-101190", "high", "foster_placement", (8, "23:55"), 10, (7, "06:40"),
                "police", ("offered", 6, "10:30")),
    DemoEpisode("CR-103318", "low", "residential_home", (16, "18:20"), 45, (15, "00:05"),
                "placement", ("declined", 14, "14:00")),
    DemoEpisode("CR-103318", "low", "residential_home", (30, "21:00"), 35, (30, "23:40"),
                "placement", ("completed", 27, "09:30")),
    DemoEpisode("CR-100502", "medium", "home", (23, "22:10"), 60, (22, "04:15"), "hospital",
                ("offered", 18, "10:00")),  # offered late
    DemoEpisode("CR-105560", "high", "home", (37, "01:30"), 5, (37, "07:50"), "police",
                ("completed", 35, "15:00")),
    DemoEpisode("CR-104001", "low", "foster_placement", (44, "20:30"), 30, (43, "03:00"),
                "placement", ("offered", 41, "11:15")),
    DemoEpisode("CR-102987", "medium", "residential_home", (58, "23:00"), 50, (57, "10:00"),
                "other", ("completed", 55, "16:00")),
    DemoEpisode("CR-101776", "low", "home", (65, "19:10"), 20, (64, "01:00"), "home",
                ("declined", 62, "12:00")),
)  # fmt: skip


def _at(morning: date, back: tuple[int, str], zone: ZoneInfo) -> datetime:
    days, hhmm = back
    return datetime.combine(morning - timedelta(days=days), time.fromisoformat(hhmm), zone)


async def load_demo_episodes(
    session: AsyncSession, config: MissingConfig, *, now: datetime, zone: ZoneInfo,
    boundary: time = time(9, 0),
) -> int:  # fmt: skip
    """Add the demo episodes (the demo's staff and lines must be loaded); the caller commits.

    Returns how many were added: none when the case reference setting refuses the demo's
    references (ONCALL_CASE_REFERENCE_PATTERN set to another form).
    """
    if not all(config.case_reference.fullmatch(e.case) for e in EPISODES):
        return 0
    morning = latest_handover_day(now, zone, boundary)
    line = await session.scalar(select(Line).where(Line.kind == LineKind.POLICE))
    people = {p.code: p for p in await session.scalars(select(Person))}
    manager = people["sm001"]
    caller = await identify_caller(session, POLICE_CONTROL_ROOM)
    for n, demo in enumerate(sorted(EPISODES, key=lambda e: _at(morning, e.called, zone))):
        worker = people[f"sw{n % 10 + 1:03d}"]
        called = _at(morning, demo.called, zone)
        contact = await open_contact(
            session, channel=Channel.VOICE, line=line, caller_number=POLICE_CONTROL_ROOM,
            caller=caller, provider_sid=f"CAdemo{n:026d}", at=called,
            zone_year=called.astimezone(zone).year,
        )  # fmt: skip
        contact.first_rung_at, contact.answered_at = called, called + timedelta(seconds=20 + 7 * n)
        # A call of the past: ended, so that the server's reconciliation does not ask the
        # provider (which never saw it) about it at every start and then every few minutes.
        contact.ended_at = contact.answered_at + timedelta(minutes=8)
        contact.status, contact.handled_by_id = ContactStatus.ANSWERED, worker.id
        by = Actor(worker.code, "sms", worker.id)
        acted = called + timedelta(minutes=12)
        opened = await open_episode(
            session, config, case_reference=demo.case, risk=demo.risk, by=by, at=acted,
            contact=contact, missing_from=demo.missing_from,
            reported_at=called - timedelta(minutes=demo.reported_before),
        )  # fmt: skip
        if demo.risk != "low":  # the senior manager acknowledges the alert by text
            # (the demo's rota starts this month, so no rota paged them: the past is laid down)
            await session.flush()
            for alert in list(
                await session.scalars(
                    select(Alert).where(Alert.contact_id == contact.id, Alert.status == "open")
                )
            ):
                await acknowledge(
                    session, alert, person=manager, at=acted + timedelta(minutes=4), via="sms",
                    zone=zone,
                )  # fmt: skip
        await record_outcome(
            session, contact.id, person_id=worker.id, category="advice_given",
            notes="Demo: advice to the police; missing episode recorded.",
            day_team_follow_up=True, at=acted + timedelta(minutes=20), via="link",
        )  # fmt: skip
        if demo.back is None:
            continue
        back = _at(morning, demo.back, zone)
        episode = opened.episode
        await record_return(
            session, config, episode, returned_at=back, by=by, at=back + timedelta(minutes=5),
            place=demo.place,
        )  # fmt: skip
        if demo.interview is not None:
            step, days, hhmm = demo.interview
            on = _at(morning, (days, hhmm), zone)
            await record_interview(
                session, episode.id, step=step, on=on, by=Actor("coordinator", "web"), at=on
            )
    return len(EPISODES)
