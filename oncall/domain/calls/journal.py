"""This replica's journal of fail-safe answers not yet recorded (ONCALL_FAILSAFE_JOURNAL).

A fail-safe answer given while the database is away is kept in memory until the database takes
its record. If the process is restarted first, memory is gone; so each answer is also a line in
this file, written and fsynced as it is given, and a second line when it is recorded. At
start-up the answers given and never recorded are read back and recorded as soon as the
database answers (`record_failsafe` writes one `call.failsafe` per call, however many writers:
the provider recovery's record of the same call included). When nothing is left to record the
file is emptied.

One process per file: the file is locked (`flock`) while open, and a second process opening it
is refused, so two replicas sharing a folder cannot mix their answers up.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from oncall.domain.calls.failsafe import FailsafeGiven
from oncall.domain.errors import Conflict, Invalid
from oncall.log import get_logger

log = get_logger(__name__)


class JournalInUse(Conflict):
    """Another process holds the journal file."""


class JournalUnusable(Invalid):
    """The journal file cannot be created or opened (a missing or read-only folder, a folder
    where the file should be): said at start-up, naming the setting, not at the first outage."""


def _line(state: str, given: FailsafeGiven) -> bytes:
    fields: dict[str, Any] = asdict(given)
    fields["at"] = given.at.isoformat()
    fields["numbers"] = list(given.numbers)
    return (json.dumps({state: fields}, sort_keys=True) + "\n").encode()


def _given(fields: dict[str, Any]) -> FailsafeGiven:
    return FailsafeGiven(
        call_sid=str(fields["call_sid"]), step=str(fields["step"]),
        receipt=str(fields["receipt"]), from_=str(fields["from_"]), to=str(fields["to"]),
        numbers=tuple(str(n) for n in fields["numbers"]), fallback=bool(fields["fallback"]),
        at=datetime.fromisoformat(str(fields["at"])), recovered=bool(fields.get("recovered")),
    )  # fmt: skip


class FailsafeJournal:
    """The open, locked journal file. Its methods block (disk writes and fsync): call them from a
    thread, never on the event loop."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file: IO[bytes] = path.open("a+b")
        except OSError as exc:
            raise JournalUnusable(
                "ONCALL_FAILSAFE_JOURNAL", f"cannot open {path}: {exc.strerror or exc}"
            ) from None
        try:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._file.close()
            raise JournalInUse(
                f"ONCALL_FAILSAFE_JOURNAL: {path} is in use by another process "
                "(each replica needs a journal file of its own)"
            ) from None
        self._waiting: set[FailsafeGiven] = set()

    def replay(self) -> list[FailsafeGiven]:
        """The answers given and not recorded, in the order given (a line cut short by a crash
        mid-write, or unreadable, is skipped with a warning)."""
        with self._lock:
            self._file.seek(0)
            given: list[FailsafeGiven] = []
            recorded: set[FailsafeGiven] = set()
            for number, raw in enumerate(self._file.read().splitlines(), start=1):
                try:
                    ((state, fields),) = json.loads(raw).items()
                    item = _given(fields)
                except (ValueError, KeyError, TypeError, AttributeError):
                    log.warning("fail-safe journal line unreadable; skipped", line=number)
                    continue
                if state == "given":
                    given.append(item)
                else:
                    recorded.add(item)
            waiting = [g for g in dict.fromkeys(given) if g not in recorded]
            self._waiting = set(waiting)
            if not waiting:
                self._empty()
            return waiting

    def write(self, lines: list[tuple[str, FailsafeGiven]]) -> None:
        """Note each ("given" or "recorded", answer), on the disk before this returns: one write
        and one fsync for them all (a burst of calls over budget is one flush, not one each);
        the file is emptied instead when nothing is left to record."""
        with self._lock:
            for state, given in lines:
                if state == "given":
                    self._waiting.add(given)
                else:
                    self._waiting.discard(given)
            if self._waiting:
                self._append(b"".join(_line(state, given) for state, given in lines))
            else:
                self._empty()

    def given(self, given: FailsafeGiven) -> None:
        self.write([("given", given)])

    def recorded(self, given: FailsafeGiven) -> None:
        self.write([("recorded", given)])

    def close(self) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.close()  # and the lock with it

    def _append(self, line: bytes) -> None:
        self._file.seek(0, os.SEEK_END)
        self._file.write(line)
        self._file.flush()
        os.fsync(self._file.fileno())

    def _empty(self) -> None:
        self._file.truncate(0)
        self._file.flush()
        os.fsync(self._file.fileno())
