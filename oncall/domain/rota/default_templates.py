"""The island's default shift templates for both tiers (all editable by the coordinator)."""

from __future__ import annotations

from datetime import time

from oncall.db.models import ShiftTemplate, Tier

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
FOSTERING_MIN_1 = [{"skill": "fostering", "min": 1}]


def default_templates() -> list[ShiftTemplate]:
    """First tier: weeknights, Friday, weekend days, bank holidays, Christmas; managers by block.

    Weekend and holiday shifts need two first-line workers, one of them with the fostering skill,
    because the foster carers' line is busiest then.
    """
    w, m = Tier.WORKER, Tier.MANAGER
    return [
        ShiftTemplate(
            name="Weeknight",
            tier=w,
            day_type="weekday",
            start_days=[MON, TUE, WED, THU],
            start_time=time(17),
            end_time=time(9),
            end_day_offset=1,
            weight=1.0,
            required=1,
            categories=[],
            skills=[],
            holidays_replace=True,
        ),
        ShiftTemplate(
            name="Friday night",
            tier=w,
            day_type="weekday",
            start_days=[FRI],
            start_time=time(17),
            end_time=time(9),
            end_day_offset=1,
            weight=1.0,
            required=1,
            categories=[],
            skills=[],
            holidays_replace=True,
        ),
        ShiftTemplate(
            name="Weekend day",
            tier=w,
            day_type="weekday",
            start_days=[SAT, SUN],
            start_time=time(9),
            end_time=time(9),
            end_day_offset=1,
            weight=1.5,
            required=2,
            categories=["weekend"],
            skills=FOSTERING_MIN_1,
            holidays_replace=True,
        ),
        ShiftTemplate(
            name="Bank holiday",
            tier=w,
            day_type="bank_holiday",
            start_days=[],
            start_time=time(9),
            end_time=time(9),
            end_day_offset=1,
            weight=2.0,
            required=2,
            categories=["bank_holiday"],
            skills=FOSTERING_MIN_1,
            holidays_replace=True,
        ),
        ShiftTemplate(
            name="Christmas, Boxing Day, New Year's Day",
            tier=w,
            day_type="christmas",
            start_days=[],
            start_time=time(9),
            end_time=time(9),
            end_day_offset=1,
            weight=3.0,
            required=2,
            categories=["christmas"],
            skills=FOSTERING_MIN_1,
            holidays_replace=True,
        ),
        ShiftTemplate(
            name="Manager weeknights",
            tier=m,
            day_type="weekday",
            start_days=[MON],
            start_time=time(17),
            end_time=time(9),
            end_day_offset=4,
            weight=2.0,
            required=1,
            categories=[],
            skills=[],
            holidays_replace=False,
        ),
        ShiftTemplate(
            # The weeknight block ends Friday 09:00 and starts Monday 17:00: a weekday bank
            # holiday's daytime would otherwise have no senior manager on call.
            name="Manager bank holiday daytime",
            tier=m,
            day_type="bank_holiday",
            start_days=[MON, TUE, WED, THU, FRI],
            start_time=time(9),
            end_time=time(17),
            end_day_offset=0,
            weight=1.0,
            required=1,
            categories=["bank_holiday"],
            skills=[],
            holidays_replace=False,
        ),
        ShiftTemplate(
            name="Manager weekend",
            tier=m,
            day_type="weekday",
            start_days=[FRI],
            start_time=time(17),
            end_time=time(9),
            end_day_offset=3,
            weight=2.5,
            required=1,
            categories=["weekend"],
            skills=[],
            holidays_replace=False,
        ),
    ]
