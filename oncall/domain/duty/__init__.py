"""Who is on duty: the out-of-hours window and bank holidays, the published rota plus tonight's
overrides at any instant (`roster`), and the order in which a line rings them (`ringing`).
Read by calls, escalation, the Now page and metrics; it writes nothing.
"""

from oncall.domain.duty.ringing import Target, ringing_order, spoken_reference, whisper_text
from oncall.domain.duty.roster import (
    DutySnapshot,
    OutOfHoursWindow,
    bank_holiday_name,
    day_desk_number,
    on_duty_at,
    service_window,
)

__all__ = [
    "DutySnapshot",
    "OutOfHoursWindow",
    "Target",
    "bank_holiday_name",
    "day_desk_number",
    "on_duty_at",
    "ringing_order",
    "service_window",
    "spoken_reference",
    "whisper_text",
]
