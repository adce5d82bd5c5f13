"""Outcomes: what the worker did about a contact, recorded once and then amended (`record`), the
signed outcome link a worker opens from a text (`links`), and the texts that carry it (`texts`).
"""

from oncall.domain.outcomes.links import (
    LONG_OUTCOME_PATH,
    OUTCOME_PATH,
    BadLink,
    OutcomeGrant,
    OutcomeLinks,
    outcome_link,
    read_outcome_token,
)
from oncall.domain.outcomes.record import (
    AGENCIES,
    FORWARDED,
    OUTCOME_LABELS,
    OutcomeCategory,
    OutcomeError,
    record_outcome,
)
from oncall.domain.outcomes.texts import text_after_call, text_outcome_link, worker_of

__all__ = [
    "AGENCIES",
    "FORWARDED",
    "LONG_OUTCOME_PATH",
    "OUTCOME_LABELS",
    "OUTCOME_PATH",
    "BadLink",
    "OutcomeCategory",
    "OutcomeError",
    "OutcomeGrant",
    "OutcomeLinks",
    "outcome_link",
    "read_outcome_token",
    "record_outcome",
    "text_after_call",
    "text_outcome_link",
    "worker_of",
]
