"""What the phone simulator offers: our lines, caller identities and staff phones."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

Entry = tuple[str, str]  # (label, E.164 number)


@dataclass(frozen=True, slots=True)
class Directory:
    """Labelled numbers the simulator page lists, supplied by the mounting code."""

    lines: Sequence[Entry] = ()  # our Twilio numbers, e.g. ("Police line", "+441534…")
    callers: Sequence[Entry] = ()  # who can ring them, e.g. ("Police HQ control room", …)
    phones: Sequence[Entry] = ()  # staff phones to script

    def label_for(self, number: str) -> str:
        """A label for `number` if the directory knows it, else the number itself."""
        for label, known in (*self.lines, *self.callers, *self.phones):
            if known == number:
                return label
        return number


DirectoryProvider = Callable[[], Awaitable[Directory]]
TimelineUrl = Callable[[str], str | None]


def static_directory(directory: Directory) -> DirectoryProvider:
    """A provider that always answers `directory` (for tests and simple set-ups)."""

    async def provide() -> Directory:
        return directory

    return provide
