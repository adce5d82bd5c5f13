"""What the missing-episode rules read from the settings: the case reference's form, when the
return home interview falls due, how far back a repeat looks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from oncall.domain.missing.errors import EpisodeInvalid

REPEAT_WINDOW = timedelta(days=30)  # another episode of the case reported this recently: a repeat
CASE_REFERENCE_LIMIT = 40  # the column's length


@dataclass(frozen=True, slots=True)
class MissingConfig:
    """`case_reference` is ONCALL_CASE_REFERENCE_PATTERN (validated at start-up: anchored, at
    most 40 characters); `interview_hours` is ONCALL_RETURN_INTERVIEW_HOURS."""

    case_reference: re.Pattern[str]
    interview_hours: int = 72

    @property
    def interview_after(self) -> timedelta:
        return timedelta(hours=self.interview_hours)

    def case_reference_of(self, raw: str) -> str:
        """The case reference as stored (trimmed, letters as capitals), if it has the set form.

        The message never repeats what was typed: it may travel back by text.
        """
        value = raw.strip().upper()
        if not value:
            raise EpisodeInvalid("case_reference", "give the case reference")
        if len(value) > CASE_REFERENCE_LIMIT or not self.case_reference.fullmatch(value):
            raise EpisodeInvalid(
                "case_reference", "not in the expected form; check it and send again"
            )
        return value


def missing_config(pattern: str, interview_hours: int) -> MissingConfig:
    """The rules from the two settings (the pattern is matched whole, letters as capitals)."""
    return MissingConfig(re.compile(pattern, re.IGNORECASE), interview_hours)
