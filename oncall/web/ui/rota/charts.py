"""Pictures of a rota drawn on the server: the month calendar grid and the fairness chart (SVG)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from html import escape
from zoneinfo import ZoneInfo

from markupsafe import Markup

from oncall.domain.rota import FairnessReport, LoadedVersion, Month, island_holidays


@dataclass
class CalendarShift:
    key: str
    label: str  # "17:00"
    people: list[tuple[str, str, bool, bool]]  # (code, name, moved in, manual)


@dataclass
class CalendarDay:
    day: date | None
    holiday: str = ""
    shifts: list[CalendarShift] = field(default_factory=list)


def month_grid(
    loaded: LoadedVersion, tier: str, zone: ZoneInfo, moved: set[tuple[str, str]]
) -> list[list[CalendarDay]]:
    """Weeks (Monday first) of days, each with the tier's shifts starting that day."""
    month: Month = loaded.month
    holidays = island_holidays([month.year])
    days: dict[date, CalendarDay] = {
        d: CalendarDay(d, holidays[d].name if d in holidays else "") for d in month.days()
    }
    for shift in loaded.version.shifts:
        if shift.tier != tier:
            continue
        start = shift.start.astimezone(zone)
        cell = days.get(start.date())
        if cell is None:
            continue
        people = [
            (p.code, p.name, (shift.key, p.code) in moved, a.source == "manual")
            for p, a in zip(loaded.crew(shift), shift.assignments, strict=True)
        ]
        cell.shifts.append(CalendarShift(shift.key, f"{start:%H:%M}", people))
    weeks: list[list[CalendarDay]] = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month):
        weeks.append([days.get(d, CalendarDay(None)) for d in week])
    return weeks


ROW = 26
LABEL_W = 190
BAR_W = 420
RIGHT_W = 110


def fairness_svg(report: FairnessReport, tier: str, chart_id: str) -> Markup:
    """Each person's load (bar) against their target (black mark); the colour and the figure at
    the right give their balance after the month (dev). Text alternatives are in the SVG."""
    people = [p for p in report.people if p.tier == tier]
    if not people:
        return Markup("")
    top = max(max(p.load, p.target, p.carried + p.load) for p in people) or 1.0
    scale = BAR_W / (top * 1.1)
    height = ROW * len(people) + 40
    width = LABEL_W + BAR_W + RIGHT_W
    title = f"Load against target, {tier} tier"
    parts = [
        f'<svg class="chart" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        'xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" font-size="13">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">Bars show each person\'s load this month; the black mark is '
        "their target; the figure on the right is their balance after the month (dev).</desc>",
    ]
    for i, p in enumerate(people):
        y = 10 + i * ROW
        colour = "#bc4c00" if p.dev > 0.5 else "#0a7d6f" if p.dev < -0.5 else "#0b5cad"
        load_w = max(p.load * scale, 1)
        target_x = LABEL_W + p.target * scale
        name = escape(f"{p.name or p.code} ({p.code})")
        parts.append(
            f"<g><title>{name}: load {p.load:g}, target {p.target:.1f}, "
            f"carried {p.carried:+.1f}, dev {p.dev:+.1f}</title>"
            f'<text x="{LABEL_W - 8}" y="{y + 15}" text-anchor="end">{name}</text>'
            f'<rect x="{LABEL_W}" y="{y + 3}" width="{load_w:.1f}" height="{ROW - 8}" '
            f'fill="{colour}" rx="2"/>'
            f'<line x1="{target_x:.1f}" x2="{target_x:.1f}" y1="{y}" y2="{y + ROW - 2}" '
            'stroke="#000" stroke-width="3"/>'
            f'<text x="{LABEL_W + BAR_W + 8}" y="{y + 15}">dev {p.dev:+.1f}</text></g>'
        )
    axis_y = 10 + len(people) * ROW + 4
    parts.append(
        f'<line x1="{LABEL_W}" x2="{LABEL_W + BAR_W}" y1="{axis_y}" y2="{axis_y}" '
        'stroke="#57606a"/>'
    )
    span = top * 1.1
    step = next(n for n in (0.5, 1, 2, 5, 10, 20, 50, 100) if span / n <= 6)
    value = 0.0
    while value <= span:
        x = LABEL_W + value * scale
        parts.append(
            f'<text x="{x:.1f}" y="{axis_y + 16}" text-anchor="middle" fill="#57606a">'
            f"{value:g}</text>"
        )
        value += step
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every value above is a number or escaped)
