"""Why an episode change is refused, in the domain's error family: bad input naming the field
(`EpisodeInvalid`, an Invalid), a state that forbids it (`EpisodeConflict`, a Conflict), or no
such episode (`EpisodeNotFound`, a NotFound). Nothing is changed when one is raised."""

from __future__ import annotations

from oncall.domain.errors import Conflict, Invalid, NotFound


class EpisodeInvalid(Invalid):
    """Bad input in one field ("case_reference", "risk", "returned_at", …); never repeats what
    was typed, which may travel back by text."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(field, problem)

    @property
    def problem(self) -> str:
        return self.errors[self.field]


class EpisodeConflict(Conflict):
    """Well formed, but the episode's state does not allow it (already returned, withdrawn)."""


class EpisodeNotFound(NotFound):
    """No such episode, or no such contact."""
