"""Why an episode change is refused: bad input (naming the field), a state that forbids it, or
no such episode. Nothing is changed when one is raised."""

from __future__ import annotations


class EpisodeError(Exception):
    """A refusal about a missing episode; the message is a sentence for the person who asked."""


class EpisodeInvalid(EpisodeError, ValueError):
    """Bad input: `field` names what is wrong ("case_reference", "risk", "returned_at", …)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field.replace('_', ' ')}: {problem}")
        self.field = field
        self.problem = problem


class EpisodeConflict(EpisodeError):
    """Well formed, but the episode's state does not allow it (already returned, withdrawn)."""


class EpisodeNotFound(EpisodeError, LookupError):
    """No such episode, or no such contact."""
