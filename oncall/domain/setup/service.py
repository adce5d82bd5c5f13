"""Production set-up: the three standard lines, the day desk, default templates and policies."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import ActorType, Line, LineKind, ServiceCalendar, ShiftTemplate
from oncall.domain.chain import append_event
from oncall.domain.errors import Conflict
from oncall.domain.escalation import ensure_default_policies
from oncall.domain.rota import default_templates
from oncall.phones import display_phone

_AGENCY_GREETING = "Children's social care out of hours. Connecting you to the duty worker."


@dataclass(frozen=True, slots=True)
class LineStyle:
    """What a standard line is called, says and how it routes (editable later on /lines)."""

    name: str
    greeting: str
    offers_menu: bool
    routing_policy: str


STANDARD_LINES: dict[LineKind, LineStyle] = {
    LineKind.POLICE: LineStyle("Police HQ", _AGENCY_GREETING, False, "default"),
    LineKind.HOSPITAL: LineStyle("General Hospital", _AGENCY_GREETING, False, "default"),
    # The foster carers' line asks "1 for an emergency, 2 for advice" before ringing.
    LineKind.FOSTER: LineStyle(
        "Foster carers",
        "Children's social care out of hours, foster carers' line.",
        True,
        "foster",
    ),
}


def standard_line(kind: LineKind, twilio_number: str) -> Line:
    """A new line of a standard kind on `twilio_number` (already E.164)."""
    style = STANDARD_LINES[kind]
    return Line(
        kind=kind.value,
        name=style.name,
        twilio_number=twilio_number,
        greeting=style.greeting,
        offers_menu=style.offers_menu,
        routing_policy=style.routing_policy,
        active=True,
    )


def service_calendar(day_desk_number: str, now: datetime) -> ServiceCalendar:
    """The default out-of-hours window (weekdays 17:00-09:00, weekends and bank holidays all
    day) with calls outside it forwarded to the day desk."""
    return ServiceCalendar(
        weekday_start=time(17),
        weekday_end=time(9),
        weekends_all_day=True,
        bank_holidays_all_day=True,
        day_desk_number=day_desk_number,
        updated_at=now,
    )


class SetupConflict(Conflict):
    """A number is already used by a line of another kind; `field` names the option."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(slots=True)
class SetupReport:
    """What `configure_lines` did, one sentence per change (empty: nothing needed doing)."""

    changes: list[str] = field(default_factory=list)


async def configure_lines(
    session: AsyncSession,
    *,
    numbers: dict[LineKind, str],
    day_desk: str | None,
    now: datetime,
    actor: str,
) -> SetupReport:
    """Create or renumber the standard lines, set the day desk, and add the default shift
    templates and escalation policies if there are none; every change is an audit event.
    Names, greetings and routing of existing lines are left as the /lines screen set them.
    Numbers are E.164 already. The caller commits (or rolls back on SetupConflict)."""
    report = SetupReport()
    existing = {line.kind: line for line in (await session.scalars(select(Line))).all()}
    for kind, number in numbers.items():
        other = await session.scalar(
            select(Line).where(Line.twilio_number == number, Line.kind != kind.value)
        )
        if other is not None:
            raise SetupConflict(
                f"--{kind.value}", f"{display_phone(number)} is already the {other.name} line"
            )
    for kind, number in numbers.items():
        line = existing.get(kind.value)
        if line is not None and line.twilio_number == number:
            continue
        if line is None:
            line = standard_line(kind, number)
            session.add(line)
            action = "created"
        else:
            line.twilio_number = number
            action = "renumbered"
        await session.flush()  # one at a time: two lines may swap numbers only via the screen
        await _event(session, now, "line.configured", actor, line=line.name, line_kind=kind.value,
                     number=number, action=action)  # fmt: skip
        report.changes.append(f"{line.name} line {action}: {display_phone(number)}")
    if day_desk is not None:
        await _day_desk(session, day_desk, now, actor, report)
    if not await session.scalar(select(func.count()).select_from(ShiftTemplate)):
        templates = default_templates()
        session.add_all(templates)
        await session.flush()
        await _event(session, now, "templates.defaults_added", actor, templates=len(templates))
        report.changes.append(f"{len(templates)} default shift templates added")
    policies = await ensure_default_policies(session, now)
    if policies:
        await _event(session, now, "policies.defaults_added", actor, policies=policies)
        report.changes.append(f"{policies} default escalation policies added")
    return report


async def _day_desk(
    session: AsyncSession, number: str, now: datetime, actor: str, report: SetupReport
) -> None:
    calendar = await session.scalar(select(ServiceCalendar).order_by(ServiceCalendar.id).limit(1))
    if calendar is not None and calendar.day_desk_number == number:
        return
    if calendar is None:
        session.add(service_calendar(number, now))
    else:
        calendar.day_desk_number, calendar.updated_at = number, now
    await session.flush()
    await _event(session, now, "day_desk.configured", actor, number=number)
    report.changes.append(f"day desk set: {display_phone(number)}")


async def _event(
    session: AsyncSession, at: datetime, kind: str, actor: str, **details: object
) -> None:
    """One audit event (kind third, as the event-kind scan in tests/audit expects)."""
    await append_event(
        session, kind=kind, at=at, actor_type=ActorType.SYSTEM, actor=actor[:80], details=details
    )
