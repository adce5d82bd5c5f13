"""A rota month in local time: UTC bounds, island holidays, and shifts cut from templates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import holidays

from oncall.db.models import ShiftTemplate, Tier
from oncall.domain.rota.errors import RotaInvalid

DayType = Literal["bank_holiday", "christmas"]
# The festive days themselves carry the Christmas premium. Their substitute days ("Boxing Day
# (substitute day)") are ordinary bank holidays: the day desk is shut, but nobody misses Christmas.
CHRISTMAS_DAYS = frozenset({"Christmas Day", "Boxing Day", "New Year's Day"})
TIER_LETTERS: dict[str, str] = {Tier.WORKER: "w", Tier.MANAGER: "m"}
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


@dataclass(frozen=True, slots=True, order=True)
class Month:
    """A calendar month, e.g. 2027-01; it runs from local midnight on the 1st to the next 1st."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str, field: str = "month") -> Month:
        match = _MONTH.fullmatch(text.strip())
        if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 2000:
            raise RotaInvalid(f"{field}: expected YYYY-MM (e.g. 2027-01), got {text!r}")
        return cls(int(match[1]), int(match[2]))

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def next_first_day(self) -> date:
        return date(self.year + self.month // 12, self.month % 12 + 1, 1)

    def days(self) -> list[date]:
        count = (self.next_first_day - self.first_day).days
        return [self.first_day + timedelta(days=i) for i in range(count)]

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """Local midnight on the 1st and on the next 1st, as UTC instants."""
        return local_instant(self.first_day, time(0), zone), local_instant(
            self.next_first_day, time(0), zone
        )

    def title(self) -> str:
        return self.first_day.strftime("%B %Y")


@dataclass(frozen=True, slots=True)
class Holiday:
    day: date
    name: str
    day_type: DayType


@dataclass(frozen=True, slots=True)
class CutShift:
    """A shift of the month before it is a problem shift or a database row."""

    id: str
    tier: str
    day: date
    template: str
    start: datetime
    end: datetime
    weight: float
    required: int
    categories: list[str]
    skills: list[dict[str, Any]]

    def to_problem(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "tier": self.tier,
            "required": self.required,
            "weight": self.weight,
            "categories": list(self.categories),
            "skills": [dict(s) for s in self.skills],
        }


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time (the 17:00 of a DST day is still 17:00)."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def island_holidays(years: list[int]) -> dict[date, Holiday]:
    """Jersey's bank holidays (Liberation Day when the States grant it), by day type."""
    found: dict[date, Holiday] = {}
    for day, names in holidays.country_holidays("JE", years=years).items():
        # Two holidays on one day come joined by "; ".
        parts = [n.strip() for n in str(names).split(";")]
        kind: DayType = "christmas" if CHRISTMAS_DAYS.intersection(parts) else "bank_holiday"
        found[day] = Holiday(day, str(names), kind)
    return found


def templates_for_day(
    templates: list[ShiftTemplate], day: date, holiday: Holiday | None
) -> list[ShiftTemplate]:
    """The templates of one tier that cut a shift starting on `day`.

    On a holiday a weekday template with `holidays_replace` gives way to the tier's template for
    that kind of day (a Christmas day falls back to the bank holiday template); a template that
    does not replace (the managers' blocks) applies regardless. A tier with no holiday template
    keeps its ordinary shifts, so a holiday never leaves a tier uncovered.
    """
    weekday = [t for t in templates if t.day_type == "weekday" and day.weekday() in t.start_days]
    if holiday is None:
        return weekday

    def holiday_templates(day_type: str) -> list[ShiftTemplate]:
        # A holiday template's start_days, when set, limit it to those weekdays (the managers'
        # holiday daytime is only needed between their weeknight and weekend blocks).
        return [
            t
            for t in templates
            if t.day_type == day_type and (not t.start_days or day.weekday() in t.start_days)
        ]

    special = holiday_templates(holiday.day_type)
    if not special and holiday.day_type == "christmas":
        special = holiday_templates("bank_holiday")
    if not special:
        return weekday
    return [t for t in weekday if not t.holidays_replace] + special


def cut_shifts(
    month: Month, templates: list[ShiftTemplate], zone: ZoneInfo, days_off: dict[date, Holiday]
) -> list[CutShift]:
    """Every shift that starts in the month, in start order, with readable ids (2027-01-04-w)."""
    shifts: list[CutShift] = []
    tiers = sorted({t.tier for t in templates}, key=lambda t: (t != Tier.WORKER, t))
    for day in month.days():
        for tier in tiers:
            mine = [t for t in templates if t.tier == tier]
            chosen = sorted(
                templates_for_day(mine, day, days_off.get(day)),
                key=lambda t: (t.start_time, t.name),
            )
            for n, template in enumerate(chosen, start=1):
                suffix = "" if n == 1 else str(n)  # a second shift that day: 2027-01-04-w2
                shifts.append(_cut(template, day, zone, f"{day}-{_letter(tier)}{suffix}"))
    shifts.sort(key=lambda s: (s.start, s.tier, s.id))
    return shifts


def _letter(tier: str) -> str:
    return TIER_LETTERS.get(tier, tier)


def _cut(template: ShiftTemplate, day: date, zone: ZoneInfo, shift_id: str) -> CutShift:
    start = local_instant(day, template.start_time, zone)
    end = local_instant(day + timedelta(days=template.end_day_offset), template.end_time, zone)
    if end <= start:
        raise RotaInvalid(
            f"templates[{template.name}].end_time: the shift ends before it starts "
            f"(set end_day_offset to 1 for a shift that ends the next day)"
        )
    return CutShift(
        id=shift_id,
        tier=template.tier,
        day=day,
        template=template.name,
        start=start,
        end=end,
        weight=float(template.weight),
        required=int(template.required),
        categories=list(template.categories),
        skills=[dict(s) for s in template.skills],
    )
