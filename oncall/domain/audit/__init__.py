"""The managers' read side of the log: contacts listed and filtered, one contact's timeline,
the event browser, KPIs, the monthly report, exports, the morning handover (and its e-mail and
retention run), and the record of every read and every chain verification.

Reads only, apart from its own events (`audit.read`, `audit.verified`, `handover.prepared`) and
retention's redaction; the chain itself is `chain`, outcomes are `outcomes`.
"""

from oncall.domain.audit.contacts import (
    ContactFilter,
    FilterError,
    filter_query,
    list_contacts,
    local_day_bounds,
    parse_filter,
    with_page_defaults,
)
from oncall.domain.audit.describe import describe_event
from oncall.domain.audit.events import browse_events, events_in_order
from oncall.domain.audit.exports import (
    contacts_csv,
    csv_text,
    events_csv,
    events_csv_into,
    safe_cell,
)
from oncall.domain.audit.handover import (
    Handover,
    gather_handover,
    handover_csv,
    handover_text,
    latest_handover_day,
    next_handover_at,
    night_window,
)
from oncall.domain.audit.kpis import (
    Figures,
    KpiReport,
    kpi_report,
    month_bounds,
    night_of,
    percentile,
)
from oncall.domain.audit.mail import SmtpConfig, build_message, send_email
from oncall.domain.audit.morning import MorningConfig, morning_jobs
from oncall.domain.audit.reads import (
    ChainStatus,
    chain_status,
    log_read,
    record_verification,
    verify_and_record,
)
from oncall.domain.audit.report import outcome_counts
from oncall.domain.audit.retention import redact_before
from oncall.domain.audit.timeline import contact_timeline, timeline_for_call

__all__ = [
    "ChainStatus",
    "ContactFilter",
    "Figures",
    "FilterError",
    "Handover",
    "KpiReport",
    "MorningConfig",
    "SmtpConfig",
    "browse_events",
    "build_message",
    "chain_status",
    "contact_timeline",
    "contacts_csv",
    "csv_text",
    "describe_event",
    "events_csv",
    "events_csv_into",
    "events_in_order",
    "filter_query",
    "gather_handover",
    "handover_csv",
    "handover_text",
    "kpi_report",
    "latest_handover_day",
    "list_contacts",
    "local_day_bounds",
    "log_read",
    "month_bounds",
    "morning_jobs",
    "next_handover_at",
    "night_of",
    "night_window",
    "outcome_counts",
    "parse_filter",
    "percentile",
    "record_verification",
    "redact_before",
    "safe_cell",
    "send_email",
    "timeline_for_call",
    "verify_and_record",
    "with_page_defaults",
]
